/* <bpf/bpf_helpers.h>: what a libbpf-style BPF program needs besides its
 * types: the helper declarations, SEC() and the BTF map definition macros,
 * inlining attributes, bpf_printk() and bpf_tail_call_static().
 *
 * The eBPF playground's own implementation of libbpf's header of the same
 * name: same macro names, same expansions' meaning. Helper declarations come
 * from bpf_helper_defs.h, which is generated from the playground's helper
 * table, so only helpers the playground implements are declared. */
#ifndef __BPF_HELPERS__
#define __BPF_HELPERS__

#include "bpf_helper_defs.h"

/* ---- BTF-defined maps ----
 * A map is a global struct in SEC(".maps") whose members say what the map is
 * through their *types*, which the loader reads back from BTF:
 *
 *   struct {
 *       __uint(type, BPF_MAP_TYPE_HASH);
 *       __uint(max_entries, 1024);
 *       __type(key, __u32);
 *       __type(value, struct stats);
 *   } stats_map SEC(".maps");
 */
#define __uint(name, val) int (*name)[val]              /* a number, as an array length */
#define __type(name, val) __typeof__(val) *name             /* a type, as the pointee */
#define __array(name, val) __typeof__(val) *name[]          /* map-in-map and prog array slots */
#define __ulong(name, val) enum { ___bpf_concat(__unique_value, __COUNTER__) = val } name  /* a 64-bit number */

/* Puts a program, map or variable in the named ELF section: the section name
 * tells the loader what a program is (SEC("xdp"), SEC("kprobe/do_unlinkat")).
 * "used" keeps it even when nothing refers to it; the warning it would raise
 * on extern declarations is silenced. */
#define SEC(name) \
	_Pragma("GCC diagnostic push") \
	_Pragma("GCC diagnostic ignored \"-Wignored-attributes\"") \
	__attribute__((section(name), used)) \
	_Pragma("GCC diagnostic pop")

/* linux/stddef.h defines a weaker __always_inline; this one wins. */
#undef __always_inline
#define __always_inline __inline__ __attribute__((always_inline))

#ifndef __noinline
#define __noinline __attribute__((noinline))
#endif
#ifndef __weak
#define __weak __attribute__((weak))
#endif

/* A global function the verifier checks with its caller's context, like a
 * static one, instead of on its own. */
#define __hidden __attribute__((visibility("hidden")))

/* Programs built on vmlinux.h cannot include system headers, so the usual
 * conveniences live here. */
#ifndef NULL
#define NULL ((void *)0)
#endif

#ifndef KERNEL_VERSION
#define KERNEL_VERSION(a, b, c) (((a) << 16) + ((b) << 8) + ((c) > 255 ? 255 : (c)))
#endif

/* offsetof() by address arithmetic: __builtin_offsetof() would hide the
 * member access from CO-RE relocation. */
#undef offsetof
#define offsetof(type, member) ((unsigned long)&((type *)0)->member)

#undef container_of
#define container_of(ptr, type, member) \
	({ \
		void *__mptr = (void *)(ptr); \
		((type *)(__mptr - offsetof(type, member))); \
	})

#ifndef likely
#define likely(x) __builtin_expect(!!(x), 1)
#endif
#ifndef unlikely
#define unlikely(x) __builtin_expect(!!(x), 0)
#endif

/* A compiler barrier: memory may have changed behind the compiler's back. */
#ifndef barrier
#define barrier() __asm__ __volatile__("" ::: "memory")
#endif

/* A barrier for one variable: the compiler must assume var was modified,
 * which stops it from merging or delaying operations on it (a common way to
 * keep a bounds check where the verifier needs it). */
#ifndef barrier_var
#define barrier_var(var) __asm__ __volatile__("" : "+r"(var))
#endif

/* Marks code the compiler must prove unreachable: the BPF backend cannot
 * emit a trap, so if the call survives optimisation the build fails. */
#ifndef __bpf_unreachable
#define __bpf_unreachable() __builtin_trap()
#endif

/* Tail call into prog_array[slot] with a constant slot, loading r1-r3 right
 * before the call so the kernel can patch it into a direct jump. */
#if defined(__bpf__)
static __always_inline void
bpf_tail_call_static(void *ctx, const void *map, const __u32 slot)
{
	if (!__builtin_constant_p(slot))
		__bpf_unreachable();

	/* r0-r5 are clobbered by any call, so say so. */
	__asm__ __volatile__("r1 = %[ctx]\n\t"
		     "r2 = %[map]\n\t"
		     "r3 = %[slot]\n\t"
		     "call 12"
		     :: [ctx] "r"(ctx), [map] "r"(map), [slot] "i"(slot)
		     : "r0", "r1", "r2", "r3", "r4", "r5");
}
#endif

/* __uint(pinning, LIBBPF_PIN_BY_NAME) pins a map under /sys/fs/bpf. */
enum libbpf_pin_type {
	LIBBPF_PIN_NONE,
	LIBBPF_PIN_BY_NAME,
};

/* Values of tristate Kconfig externs (extern enum libbpf_tristate CONFIG_X __kconfig;). */
enum libbpf_tristate {
	TRI_NO = 0,
	TRI_YES = 1,
	TRI_MODULE = 2,
};

/* Externs the loader resolves: Kconfig values and kernel symbols. */
#define __kconfig __attribute__((section(".kconfig")))
#define __ksym __attribute__((section(".ksyms")))

/* Kernel pointers stored in map values (BTF type tags the verifier reads). */
#define __kptr_untrusted __attribute__((btf_type_tag("kptr_untrusted")))
#define __kptr __attribute__((btf_type_tag("kptr")))
#define __percpu_kptr __attribute__((btf_type_tag("percpu_kptr")))
#define __uptr __attribute__((btf_type_tag("uptr")))

/* Is a __weak __ksym present in the running kernel? (Refuses a non-weak one,
 * which would always be true.) */
#define bpf_ksym_exists(sym) ({ \
	_Static_assert(!__builtin_constant_p(!!sym), #sym " should be marked as __weak"); \
	!!sym; \
})

/* Argument annotations of global functions, for the verifier. */
#define __arg_ctx __attribute__((btf_decl_tag("arg:ctx")))
#define __arg_nonnull __attribute__((btf_decl_tag("arg:nonnull")))
#define __arg_nullable __attribute__((btf_decl_tag("arg:nullable")))
#define __arg_trusted __attribute__((btf_decl_tag("arg:trusted")))
#define __arg_untrusted __attribute__((btf_decl_tag("arg:untrusted")))
#define __arg_arena __attribute__((btf_decl_tag("arg:arena")))

#if __has_attribute(bpf_fastcall)
#define __bpf_fastcall __attribute__((bpf_fastcall))
#else
#define __bpf_fastcall
#endif

/* ---- Variadic macro tools ----
 * ___bpf_narg(...) counts its arguments (0-12); ___bpf_apply(fn, n) pastes
 * fn and n into the name of the macro handling n arguments. */
#ifndef ___bpf_concat
#define ___bpf_concat(a, b) a ## b
#endif
#ifndef ___bpf_apply
#define ___bpf_apply(fn, n) ___bpf_concat(fn, n)
#endif
#ifndef ___bpf_nth
#define ___bpf_nth(_, _1, _2, _3, _4, _5, _6, _7, _8, _9, _a, _b, _c, N, ...) N
#endif
#ifndef ___bpf_narg
#define ___bpf_narg(...) ___bpf_nth(_, ##__VA_ARGS__, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0)
#endif

/* ___bpf_fill(arr, a, b, ...) stores its arguments into arr[0], arr[1], ... */
#define ___bpf_fill0(arr, p, x) do {} while (0)
#define ___bpf_fill1(arr, p, x) arr[p] = x
#define ___bpf_fill2(arr, p, x, args...) arr[p] = x; ___bpf_fill1(arr, p + 1, args)
#define ___bpf_fill3(arr, p, x, args...) arr[p] = x; ___bpf_fill2(arr, p + 1, args)
#define ___bpf_fill4(arr, p, x, args...) arr[p] = x; ___bpf_fill3(arr, p + 1, args)
#define ___bpf_fill5(arr, p, x, args...) arr[p] = x; ___bpf_fill4(arr, p + 1, args)
#define ___bpf_fill6(arr, p, x, args...) arr[p] = x; ___bpf_fill5(arr, p + 1, args)
#define ___bpf_fill7(arr, p, x, args...) arr[p] = x; ___bpf_fill6(arr, p + 1, args)
#define ___bpf_fill8(arr, p, x, args...) arr[p] = x; ___bpf_fill7(arr, p + 1, args)
#define ___bpf_fill9(arr, p, x, args...) arr[p] = x; ___bpf_fill8(arr, p + 1, args)
#define ___bpf_fill10(arr, p, x, args...) arr[p] = x; ___bpf_fill9(arr, p + 1, args)
#define ___bpf_fill11(arr, p, x, args...) arr[p] = x; ___bpf_fill10(arr, p + 1, args)
#define ___bpf_fill12(arr, p, x, args...) arr[p] = x; ___bpf_fill11(arr, p + 1, args)
#define ___bpf_fill(arr, args...) ___bpf_apply(___bpf_fill, ___bpf_narg(args))(arr, 0, args)

/* Helpers taking their format arguments as an array of u64 get variadic
 * wrappers. Pointer arguments are stored as integers on purpose. */
#define ___bpf_u64_args(name, args...) \
	unsigned long long name[___bpf_narg(args)]; \
	_Pragma("GCC diagnostic push") \
	_Pragma("GCC diagnostic ignored \"-Wint-conversion\"") \
	___bpf_fill(name, args); \
	_Pragma("GCC diagnostic pop")

/* BPF_SEQ_PRINTF(seq, fmt, args...): bpf_seq_printf() for iterator programs. */
#define BPF_SEQ_PRINTF(seq, fmt, args...) \
({ \
	static const char ___fmt[] = fmt; \
	___bpf_u64_args(___param, args) \
	bpf_seq_printf(seq, ___fmt, sizeof(___fmt), ___param, sizeof(___param)); \
})

/* BPF_SNPRINTF(out, out_size, fmt, args...): format into a buffer. */
#define BPF_SNPRINTF(out, out_size, fmt, args...) \
({ \
	static const char ___fmt[] = fmt; \
	___bpf_u64_args(___param, args) \
	bpf_snprintf(out, out_size, ___fmt, ___param, sizeof(___param)); \
})

/* ---- bpf_printk(fmt, args...) ----
 * Prints to the trace pipe. The format string lives in .rodata (or on the
 * stack when BPF_NO_GLOBAL_DATA is defined, for loaders without global data).
 * Up to 3 arguments go straight to bpf_trace_printk(); more need
 * bpf_trace_vprintk(), which takes them as an array. */
#ifdef BPF_NO_GLOBAL_DATA
#define BPF_PRINTK_FMT_MOD
#else
#define BPF_PRINTK_FMT_MOD static const
#endif

#define __bpf_printk(fmt, ...) \
({ \
	BPF_PRINTK_FMT_MOD char ____fmt[] = fmt; \
	bpf_trace_printk(____fmt, sizeof(____fmt), ##__VA_ARGS__); \
})

#define __bpf_vprintk(fmt, args...) \
({ \
	static const char ___fmt[] = fmt; \
	___bpf_u64_args(___param, args) \
	bpf_trace_vprintk(___fmt, sizeof(___fmt), ___param, sizeof(___param)); \
})

/* Picks the printer by counting the arguments after the format. */
#define ___bpf_pick_printk(...) \
	___bpf_nth(_, ##__VA_ARGS__, __bpf_vprintk, __bpf_vprintk, __bpf_vprintk, \
		   __bpf_vprintk, __bpf_vprintk, __bpf_vprintk, __bpf_vprintk, \
		   __bpf_vprintk, __bpf_vprintk, __bpf_printk /* 3 */, __bpf_printk /* 2 */, \
		   __bpf_printk /* 1 */, __bpf_printk /* 0 */)

#define bpf_printk(fmt, args...) ___bpf_pick_printk(args)(fmt, ##args)

#endif /* __BPF_HELPERS__ */
