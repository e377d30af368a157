/* <stdbool.h>: bool, true and false (keywords of their own since C23).
 * vmlinux.h declares them too; in either include order the first one wins. */
#ifndef __bool_true_false_are_defined
#define __bool_true_false_are_defined 1
#if !defined(__cplusplus) && (!defined(__STDC_VERSION__) || __STDC_VERSION__ < 202311L)
#define bool _Bool
#define true 1
#define false 0
#endif
#endif /* __bool_true_false_are_defined */
