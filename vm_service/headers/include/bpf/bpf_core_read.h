/* <bpf/bpf_core_read.h>: CO-RE ("compile once, run everywhere") reads of
 * kernel structures, as libbpf provides them.
 *
 * Clang records every field access made inside __builtin_preserve_access_index()
 * (or on a type marked preserve_access_index, as vmlinux.h does for all its
 * structs) as a relocation; the loader rewrites the offset for the kernel it
 * loads into. The bpf_core_*() queries below ask the loader about fields,
 * types and enum values of that kernel instead of reading memory.
 *
 * The eBPF playground's own implementation: same names and meaning as
 * libbpf's. The reads call bpf_probe_read_kernel() and friends, declared by
 * bpf/bpf_helpers.h. */
#ifndef __BPF_CORE_READ_H__
#define __BPF_CORE_READ_H__

/* Second argument of __builtin_preserve_field_info(): what to ask of a field. */
enum bpf_field_info_kind {
	BPF_FIELD_BYTE_OFFSET = 0,   /* its byte offset */
	BPF_FIELD_BYTE_SIZE = 1,     /* its size in bytes */
	BPF_FIELD_EXISTS = 2,        /* 1 if the target kernel has it, else 0 */
	BPF_FIELD_SIGNED = 3,        /* 1 if it is a signed integer */
	BPF_FIELD_LSHIFT_U64 = 4,    /* bitfield extraction: left shift */
	BPF_FIELD_RSHIFT_U64 = 5,    /* bitfield extraction: right shift */
};

/* Second argument of __builtin_btf_type_id(). */
enum bpf_type_id_kind {
	BPF_TYPE_ID_LOCAL = 0,       /* the type's id in the program's BTF */
	BPF_TYPE_ID_TARGET = 1,      /* the matching type's id in the kernel's BTF */
};

/* Second argument of __builtin_preserve_type_info(). */
enum bpf_type_info_kind {
	BPF_TYPE_EXISTS = 0,         /* 1 if the kernel has the type */
	BPF_TYPE_SIZE = 1,           /* its size in the kernel */
	BPF_TYPE_MATCHES = 2,        /* 1 if the kernel's type matches (stricter than exists) */
};

/* Second argument of __builtin_preserve_enum_value(). */
enum bpf_enum_value_kind {
	BPF_ENUMVAL_EXISTS = 0,      /* 1 if the kernel's enum has the value */
	BPF_ENUMVAL_VALUE = 1,       /* the value's number in the kernel */
};

/* One field-info relocation on src->field. */
#define __CORE_RELO(src, field, info) \
	__builtin_preserve_field_info((src)->field, BPF_FIELD_##info)

/* Copies the bytes holding a bitfield into the low bytes of the u64 at dst
 * (where the LSHIFT/RSHIFT relocations expect them). */
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define __CORE_BITFIELD_PROBE_READ(dst, src, fld) \
	bpf_probe_read_kernel((void *)(dst), __CORE_RELO(src, fld, BYTE_SIZE), \
			      (const void *)(src) + __CORE_RELO(src, fld, BYTE_OFFSET))
#else
#define __CORE_BITFIELD_PROBE_READ(dst, src, fld) \
	bpf_probe_read_kernel((void *)(dst) + (8 - __CORE_RELO(src, fld, BYTE_SIZE)), \
			      __CORE_RELO(src, fld, BYTE_SIZE), \
			      (const void *)(src) + __CORE_RELO(src, fld, BYTE_OFFSET))
#endif

/* Shifts the loaded storage unit so only the bitfield is left, sign-extended
 * if the field is signed. */
#define __CORE_BITFIELD_EXTRACT(val, s, field) \
	do { \
		(val) <<= __CORE_RELO(s, field, LSHIFT_U64); \
		if (__CORE_RELO(s, field, SIGNED)) \
			(val) = ((long long)(val)) >> __CORE_RELO(s, field, RSHIFT_U64); \
		else \
			(val) = (val) >> __CORE_RELO(s, field, RSHIFT_U64); \
	} while (0)

/* The value of bitfield s->field as a u64, read with bpf_probe_read_kernel()
 * (for memory the program may not load from directly). */
#define BPF_CORE_READ_BITFIELD_PROBED(s, field) ({ \
	unsigned long long ___bf_val = 0; \
	__CORE_BITFIELD_PROBE_READ(&___bf_val, s, field); \
	__CORE_BITFIELD_EXTRACT(___bf_val, s, field); \
	___bf_val; \
})

/* The value of bitfield s->field as a u64, read by direct loads (for memory
 * the program may read, such as typed tracepoint arguments). */
#define BPF_CORE_READ_BITFIELD(s, field) ({ \
	const void *___bf_ptr = (const void *)(s) + __CORE_RELO(s, field, BYTE_OFFSET); \
	unsigned long long ___bf_val = 0; \
	/* keep the relocated address in a register: one relocation, four loads */ \
	__asm__ __volatile__("" : "+r"(___bf_ptr)); \
	switch (__CORE_RELO(s, field, BYTE_SIZE)) { \
	case 1: ___bf_val = *(const unsigned char *)___bf_ptr; break; \
	case 2: ___bf_val = *(const unsigned short *)___bf_ptr; break; \
	case 4: ___bf_val = *(const unsigned int *)___bf_ptr; break; \
	case 8: ___bf_val = *(const unsigned long long *)___bf_ptr; break; \
	} \
	__CORE_BITFIELD_EXTRACT(___bf_val, s, field); \
	___bf_val; \
})

/* Stores new_val into bitfield s->field by direct loads and stores, leaving
 * the neighbouring bits alone. */
#define BPF_CORE_WRITE_BITFIELD(s, field, new_val) ({ \
	void *___bf_ptr = (void *)(s) + __CORE_RELO(s, field, BYTE_OFFSET); \
	unsigned int ___bf_size = __CORE_RELO(s, field, BYTE_SIZE); \
	unsigned int ___bf_lshift = __CORE_RELO(s, field, LSHIFT_U64); \
	unsigned int ___bf_rshift = __CORE_RELO(s, field, RSHIFT_U64); \
	unsigned long long ___bf_mask, ___bf_new, ___bf_old = 0; \
	__asm__ __volatile__("" : "+r"(___bf_ptr)); \
	switch (___bf_size) { \
	case 1: ___bf_old = *(unsigned char *)___bf_ptr; break; \
	case 2: ___bf_old = *(unsigned short *)___bf_ptr; break; \
	case 4: ___bf_old = *(unsigned int *)___bf_ptr; break; \
	case 8: ___bf_old = *(unsigned long long *)___bf_ptr; break; \
	} \
	/* the field's bits within the loaded unit, and the new value moved there */ \
	___bf_mask = (~0ULL << ___bf_rshift) >> ___bf_lshift; \
	___bf_new = ((unsigned long long)(new_val) << (___bf_rshift - ___bf_lshift)) & ___bf_mask; \
	___bf_old = (___bf_old & ~___bf_mask) | ___bf_new; \
	switch (___bf_size) { \
	case 1: *(unsigned char *)___bf_ptr = ___bf_old; break; \
	case 2: *(unsigned short *)___bf_ptr = ___bf_old; break; \
	case 4: *(unsigned int *)___bf_ptr = ___bf_old; break; \
	case 8: *(unsigned long long *)___bf_ptr = ___bf_old; break; \
	} \
})

/* ---- Argument counting for the variadic macros below ---- */
#define __bpf_cr_cat(a, b) __bpf_cr_cat_(a, b)
#define __bpf_cr_cat_(a, b) a ## b
#define __bpf_cr_pick(_1, _2, _3, _4, _5, _6, _7, _8, _9, _10, N, ...) N
#define __bpf_cr_nargs(...) __bpf_cr_pick(__VA_ARGS__, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0)

/* A field named either by an expression (p->field) or by type and name
 * (struct foo, field). */
#define __bpf_cr_field_1(field) (field)
#define __bpf_cr_field_2(type, field) (((__typeof__(type) *)0)->field)
#define __bpf_cr_field(args...) __bpf_cr_cat(__bpf_cr_field_, __bpf_cr_nargs(args))(args)

/* 1 if the target kernel has the field, else 0.
 *   bpf_core_field_exists(p->field)  or  bpf_core_field_exists(struct foo, field) */
#define bpf_core_field_exists(field...) \
	__builtin_preserve_field_info(__bpf_cr_field(field), BPF_FIELD_EXISTS)

/* The field's size in bytes in the target kernel (same two forms). */
#define bpf_core_field_size(field...) \
	__builtin_preserve_field_info(__bpf_cr_field(field), BPF_FIELD_BYTE_SIZE)

/* The field's byte offset in the target kernel (same two forms). */
#define bpf_core_field_offset(field...) \
	__builtin_preserve_field_info(__bpf_cr_field(field), BPF_FIELD_BYTE_OFFSET)

/* The type's BTF id in the program's own BTF (always known). */
#define bpf_core_type_id_local(type) \
	__builtin_btf_type_id(*(__typeof__(type) *)0, BPF_TYPE_ID_LOCAL)

/* The matching type's BTF id in the kernel, or 0 if it has none. */
#define bpf_core_type_id_kernel(type) \
	__builtin_btf_type_id(*(__typeof__(type) *)0, BPF_TYPE_ID_TARGET)

/* 1 if the kernel has a type of this kind and name (struct, union, enum, typedef). */
#define bpf_core_type_exists(type) \
	__builtin_preserve_type_info(*(__typeof__(type) *)0, BPF_TYPE_EXISTS)

/* 1 if the kernel's type matches this one member for member. */
#define bpf_core_type_matches(type) \
	__builtin_preserve_type_info(*(__typeof__(type) *)0, BPF_TYPE_MATCHES)

/* The type's size in the kernel, or 0 if it has no such type. */
#define bpf_core_type_size(type) \
	__builtin_preserve_type_info(*(__typeof__(type) *)0, BPF_TYPE_SIZE)

/* 1 if the kernel's enum has the enumerator.
 *   bpf_core_enum_value_exists(enum bpf_func_id, BPF_FUNC_ktime_get_ns) */
#define bpf_core_enum_value_exists(enum_type, enum_value) \
	__builtin_preserve_enum_value(*(__typeof__(enum_type) *)enum_value, BPF_ENUMVAL_EXISTS)

/* The enumerator's value in the kernel, or 0 if it has none. */
#define bpf_core_enum_value(enum_type, enum_value) \
	__builtin_preserve_enum_value(*(__typeof__(enum_type) *)enum_value, BPF_ENUMVAL_VALUE)

/* bpf_probe_read_*() whose source address is a relocated field access:
 *   bpf_core_read(&pid, sizeof(pid), &task->pid) */
#define bpf_core_read(dst, sz, src) \
	bpf_probe_read_kernel(dst, sz, (const void *)__builtin_preserve_access_index(src))
#define bpf_core_read_user(dst, sz, src) \
	bpf_probe_read_user(dst, sz, (const void *)__builtin_preserve_access_index(src))
#define bpf_core_read_str(dst, sz, src) \
	bpf_probe_read_kernel_str(dst, sz, (const void *)__builtin_preserve_access_index(src))
#define bpf_core_read_user_str(dst, sz, src) \
	bpf_probe_read_user_str(dst, sz, (const void *)__builtin_preserve_access_index(src))

/* ---- Pointer chasing: BPF_CORE_READ(s, a, b, c) is s->a->b->c ----
 * Each step reads one pointer into a temporary with a relocated read; the
 * last step reads the final field into the destination. An accessor may be
 * a member path (a.b.c) or index (arr[2].x); up to 10 accessors. */
/* __bpf_cr_path_N(s, a1..aN) is s->a1->...->aN. */
#define __bpf_cr_path_1(s, a1) (s)->a1
#define __bpf_cr_path_2(s, a1, a2) (s)->a1->a2
#define __bpf_cr_path_3(s, a1, a2, a3) (s)->a1->a2->a3
#define __bpf_cr_path_4(s, a1, a2, a3, a4) (s)->a1->a2->a3->a4
#define __bpf_cr_path_5(s, a1, a2, a3, a4, a5) (s)->a1->a2->a3->a4->a5
#define __bpf_cr_path_6(s, a1, a2, a3, a4, a5, a6) (s)->a1->a2->a3->a4->a5->a6
#define __bpf_cr_path_7(s, a1, a2, a3, a4, a5, a6, a7) (s)->a1->a2->a3->a4->a5->a6->a7
#define __bpf_cr_path_8(s, a1, a2, a3, a4, a5, a6, a7, a8) (s)->a1->a2->a3->a4->a5->a6->a7->a8
#define __bpf_cr_path_9(s, a1, a2, a3, a4, a5, a6, a7, a8, a9) (s)->a1->a2->a3->a4->a5->a6->a7->a8->a9
#define __bpf_cr_path_10(s, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10) (s)->a1->a2->a3->a4->a5->a6->a7->a8->a9->a10

/* __bpf_cr_chase_N(pf, s, a1..aN) leaves s->a1->...->aN in ___cr_ptr,
 * reading each pointer with pf. */
#define __bpf_cr_chase_1(pf, s, a1) \
	pf((void *)&___cr_ptr, sizeof(___cr_ptr), &(s)->a1);
#define __bpf_cr_chase_2(pf, s, a1, a2) \
	__bpf_cr_chase_1(pf, s, a1) \
	pf((void *)&___cr_ptr, sizeof(___cr_ptr), &((__typeof__(__bpf_cr_path_1(s, a1)))___cr_ptr)->a2);
#define __bpf_cr_chase_3(pf, s, a1, a2, a3) \
	__bpf_cr_chase_2(pf, s, a1, a2) \
	pf((void *)&___cr_ptr, sizeof(___cr_ptr), &((__typeof__(__bpf_cr_path_2(s, a1, a2)))___cr_ptr)->a3);
#define __bpf_cr_chase_4(pf, s, a1, a2, a3, a4) \
	__bpf_cr_chase_3(pf, s, a1, a2, a3) \
	pf((void *)&___cr_ptr, sizeof(___cr_ptr), &((__typeof__(__bpf_cr_path_3(s, a1, a2, a3)))___cr_ptr)->a4);
#define __bpf_cr_chase_5(pf, s, a1, a2, a3, a4, a5) \
	__bpf_cr_chase_4(pf, s, a1, a2, a3, a4) \
	pf((void *)&___cr_ptr, sizeof(___cr_ptr), &((__typeof__(__bpf_cr_path_4(s, a1, a2, a3, a4)))___cr_ptr)->a5);
#define __bpf_cr_chase_6(pf, s, a1, a2, a3, a4, a5, a6) \
	__bpf_cr_chase_5(pf, s, a1, a2, a3, a4, a5) \
	pf((void *)&___cr_ptr, sizeof(___cr_ptr), &((__typeof__(__bpf_cr_path_5(s, a1, a2, a3, a4, a5)))___cr_ptr)->a6);
#define __bpf_cr_chase_7(pf, s, a1, a2, a3, a4, a5, a6, a7) \
	__bpf_cr_chase_6(pf, s, a1, a2, a3, a4, a5, a6) \
	pf((void *)&___cr_ptr, sizeof(___cr_ptr), &((__typeof__(__bpf_cr_path_6(s, a1, a2, a3, a4, a5, a6)))___cr_ptr)->a7);
#define __bpf_cr_chase_8(pf, s, a1, a2, a3, a4, a5, a6, a7, a8) \
	__bpf_cr_chase_7(pf, s, a1, a2, a3, a4, a5, a6, a7) \
	pf((void *)&___cr_ptr, sizeof(___cr_ptr), &((__typeof__(__bpf_cr_path_7(s, a1, a2, a3, a4, a5, a6, a7)))___cr_ptr)->a8);
#define __bpf_cr_chase_9(pf, s, a1, a2, a3, a4, a5, a6, a7, a8, a9) \
	__bpf_cr_chase_8(pf, s, a1, a2, a3, a4, a5, a6, a7, a8) \
	pf((void *)&___cr_ptr, sizeof(___cr_ptr), &((__typeof__(__bpf_cr_path_8(s, a1, a2, a3, a4, a5, a6, a7, a8)))___cr_ptr)->a9);

/* __bpf_cr_into_N(fn, pf, dst, s, a1..aN) reads s->a1->...->aN into *dst:
 * the pointers with pf, the last field with fn. Its value is fn's result. */
#define __bpf_cr_into_1(fn, pf, dst, s, a1) \
	fn((void *)(dst), sizeof(*(dst)), &(s)->a1)
#define __bpf_cr_into_2(fn, pf, dst, s, a1, a2) ({ \
	const void *___cr_ptr; \
	__bpf_cr_chase_1(pf, s, a1) \
	fn((void *)(dst), sizeof(*(dst)), &((__typeof__(__bpf_cr_path_1(s, a1)))___cr_ptr)->a2); \
})
#define __bpf_cr_into_3(fn, pf, dst, s, a1, a2, a3) ({ \
	const void *___cr_ptr; \
	__bpf_cr_chase_2(pf, s, a1, a2) \
	fn((void *)(dst), sizeof(*(dst)), &((__typeof__(__bpf_cr_path_2(s, a1, a2)))___cr_ptr)->a3); \
})
#define __bpf_cr_into_4(fn, pf, dst, s, a1, a2, a3, a4) ({ \
	const void *___cr_ptr; \
	__bpf_cr_chase_3(pf, s, a1, a2, a3) \
	fn((void *)(dst), sizeof(*(dst)), &((__typeof__(__bpf_cr_path_3(s, a1, a2, a3)))___cr_ptr)->a4); \
})
#define __bpf_cr_into_5(fn, pf, dst, s, a1, a2, a3, a4, a5) ({ \
	const void *___cr_ptr; \
	__bpf_cr_chase_4(pf, s, a1, a2, a3, a4) \
	fn((void *)(dst), sizeof(*(dst)), &((__typeof__(__bpf_cr_path_4(s, a1, a2, a3, a4)))___cr_ptr)->a5); \
})
#define __bpf_cr_into_6(fn, pf, dst, s, a1, a2, a3, a4, a5, a6) ({ \
	const void *___cr_ptr; \
	__bpf_cr_chase_5(pf, s, a1, a2, a3, a4, a5) \
	fn((void *)(dst), sizeof(*(dst)), &((__typeof__(__bpf_cr_path_5(s, a1, a2, a3, a4, a5)))___cr_ptr)->a6); \
})
#define __bpf_cr_into_7(fn, pf, dst, s, a1, a2, a3, a4, a5, a6, a7) ({ \
	const void *___cr_ptr; \
	__bpf_cr_chase_6(pf, s, a1, a2, a3, a4, a5, a6) \
	fn((void *)(dst), sizeof(*(dst)), &((__typeof__(__bpf_cr_path_6(s, a1, a2, a3, a4, a5, a6)))___cr_ptr)->a7); \
})
#define __bpf_cr_into_8(fn, pf, dst, s, a1, a2, a3, a4, a5, a6, a7, a8) ({ \
	const void *___cr_ptr; \
	__bpf_cr_chase_7(pf, s, a1, a2, a3, a4, a5, a6, a7) \
	fn((void *)(dst), sizeof(*(dst)), &((__typeof__(__bpf_cr_path_7(s, a1, a2, a3, a4, a5, a6, a7)))___cr_ptr)->a8); \
})
#define __bpf_cr_into_9(fn, pf, dst, s, a1, a2, a3, a4, a5, a6, a7, a8, a9) ({ \
	const void *___cr_ptr; \
	__bpf_cr_chase_8(pf, s, a1, a2, a3, a4, a5, a6, a7, a8) \
	fn((void *)(dst), sizeof(*(dst)), &((__typeof__(__bpf_cr_path_8(s, a1, a2, a3, a4, a5, a6, a7, a8)))___cr_ptr)->a9); \
})
#define __bpf_cr_into_10(fn, pf, dst, s, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10) ({ \
	const void *___cr_ptr; \
	__bpf_cr_chase_9(pf, s, a1, a2, a3, a4, a5, a6, a7, a8, a9) \
	fn((void *)(dst), sizeof(*(dst)), &((__typeof__(__bpf_cr_path_9(s, a1, a2, a3, a4, a5, a6, a7, a8, a9)))___cr_ptr)->a10); \
})

/* Dispatch on the number of accessors. */
#define __bpf_cr_read_into(fn, pf, dst, src, accessors...) \
	__bpf_cr_cat(__bpf_cr_into_, __bpf_cr_nargs(accessors))(fn, pf, dst, src, accessors)

/* The type of src->a->...->last without qualifiers, for the variable
 * BPF_CORE_READ fills in (a const field still needs a writable copy). */
#if defined(__clang__) && __clang_major__ >= 19
#define __bpf_cr_type(src, accessors...) \
	__typeof_unqual__(__bpf_cr_cat(__bpf_cr_path_, __bpf_cr_nargs(accessors))(src, accessors))
#else
#define __bpf_cr_type(src, accessors...) \
	__typeof__(__bpf_cr_cat(__bpf_cr_path_, __bpf_cr_nargs(accessors))(src, accessors))
#endif

/* Reads src->a->...->last into *dst; the value is the last read's result
 * (0 or a negative error). Relocated (CO-RE) and non-relocated (PROBE),
 * kernel and user memory, whole fields and NUL-terminated strings. */
#define BPF_CORE_READ_INTO(dst, src, a, ...) ({ \
	__bpf_cr_read_into(bpf_core_read, bpf_core_read, dst, (src), a, ##__VA_ARGS__); \
})
#define BPF_CORE_READ_USER_INTO(dst, src, a, ...) ({ \
	__bpf_cr_read_into(bpf_core_read_user, bpf_core_read_user, dst, (src), a, ##__VA_ARGS__); \
})
#define BPF_PROBE_READ_INTO(dst, src, a, ...) ({ \
	__bpf_cr_read_into(bpf_probe_read_kernel, bpf_probe_read_kernel, dst, (src), a, ##__VA_ARGS__); \
})
#define BPF_PROBE_READ_USER_INTO(dst, src, a, ...) ({ \
	__bpf_cr_read_into(bpf_probe_read_user, bpf_probe_read_user, dst, (src), a, ##__VA_ARGS__); \
})
#define BPF_CORE_READ_STR_INTO(dst, src, a, ...) ({ \
	__bpf_cr_read_into(bpf_core_read_str, bpf_core_read, dst, (src), a, ##__VA_ARGS__); \
})
#define BPF_CORE_READ_USER_STR_INTO(dst, src, a, ...) ({ \
	__bpf_cr_read_into(bpf_core_read_user_str, bpf_core_read_user, dst, (src), a, ##__VA_ARGS__); \
})
#define BPF_PROBE_READ_STR_INTO(dst, src, a, ...) ({ \
	__bpf_cr_read_into(bpf_probe_read_kernel_str, bpf_probe_read_kernel, dst, (src), a, ##__VA_ARGS__); \
})
#define BPF_PROBE_READ_USER_STR_INTO(dst, src, a, ...) ({ \
	__bpf_cr_read_into(bpf_probe_read_user_str, bpf_probe_read_user, dst, (src), a, ##__VA_ARGS__); \
})

/* The value of src->a->...->last:
 *   pid_t ppid = BPF_CORE_READ(task, real_parent, tgid);
 * (An array field such as comm cannot be a value: use BPF_CORE_READ_INTO or
 * BPF_CORE_READ_STR_INTO.) _USER reads user memory (still with kernel types). */
#define BPF_CORE_READ(src, a, ...) ({ \
	__bpf_cr_type((src), a, ##__VA_ARGS__) ___cr_val; \
	BPF_CORE_READ_INTO(&___cr_val, (src), a, ##__VA_ARGS__); \
	___cr_val; \
})
#define BPF_CORE_READ_USER(src, a, ...) ({ \
	__bpf_cr_type((src), a, ##__VA_ARGS__) ___cr_val; \
	BPF_CORE_READ_USER_INTO(&___cr_val, (src), a, ##__VA_ARGS__); \
	___cr_val; \
})
#define BPF_PROBE_READ(src, a, ...) ({ \
	__bpf_cr_type((src), a, ##__VA_ARGS__) ___cr_val; \
	BPF_PROBE_READ_INTO(&___cr_val, (src), a, ##__VA_ARGS__); \
	___cr_val; \
})
#define BPF_PROBE_READ_USER(src, a, ...) ({ \
	__bpf_cr_type((src), a, ##__VA_ARGS__) ___cr_val; \
	BPF_PROBE_READ_USER_INTO(&___cr_val, (src), a, ##__VA_ARGS__); \
	___cr_val; \
})

#endif /* __BPF_CORE_READ_H__ */
