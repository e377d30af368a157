/* <stddef.h> for a freestanding BPF compile (-nostdinc), from compiler builtins. */
#ifndef _PLAYGROUND_STDDEF_H
#define _PLAYGROUND_STDDEF_H

typedef __SIZE_TYPE__ size_t;
typedef __PTRDIFF_TYPE__ ptrdiff_t;
#ifndef __cplusplus
typedef __WCHAR_TYPE__ wchar_t;
#endif
typedef struct {
	long long __ll __attribute__((aligned(__alignof__(long long))));
	long double __ld __attribute__((aligned(__alignof__(long double))));
} max_align_t;

#ifndef NULL
#define NULL ((void *)0)
#endif

/* bpf/bpf_helpers.h replaces offsetof with a CO-RE friendly form; keep it. */
#ifndef offsetof
#define offsetof(type, member) __builtin_offsetof(type, member)
#endif

#endif /* _PLAYGROUND_STDDEF_H */
