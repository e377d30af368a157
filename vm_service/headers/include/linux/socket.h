/* The address family type of socket addresses. */
#ifndef _LINUX_SOCKET_H
#define _LINUX_SOCKET_H

#define _K_SS_MAXSIZE 128   /* size of struct sockaddr_storage */

typedef unsigned short __kernel_sa_family_t;

#endif /* _LINUX_SOCKET_H */
