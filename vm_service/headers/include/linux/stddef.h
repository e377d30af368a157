/* Small UAPI helpers for structure declarations. */
#ifndef _LINUX_STDDEF_H
#define _LINUX_STDDEF_H

#ifndef __always_inline
#define __always_inline __inline__
#endif

/* Declares MEMBERS twice over the same bytes: once anonymously (so they read
 * as plain members) and once as the struct NAME (so the group has a name, a
 * size and an address). Used by struct iphdr for its address pair. */
#define __struct_group(TAG, NAME, ATTRS, MEMBERS...) \
	union { \
		struct { MEMBERS } ATTRS; \
		struct TAG { MEMBERS } ATTRS NAME; \
	} ATTRS

/* A flexible array member that may also sit alone in a struct or in a union:
 * it needs a named (empty) companion member to be valid C. */
#define __DECLARE_FLEX_ARRAY(TYPE, NAME) \
	struct { \
		struct { } __empty_ ## NAME; \
		TYPE NAME[]; \
	}

/* Bounds annotations the kernel uses for flexible arrays; no-ops here. */
#ifndef __counted_by
#define __counted_by(m)
#endif
#ifndef __counted_by_le
#define __counted_by_le(m)
#endif
#ifndef __counted_by_be
#define __counted_by_be(m)
#endif

#endif /* _LINUX_STDDEF_H */
