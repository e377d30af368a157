// A misaligned 8-byte stack store.
r1 = 1
*(u64 *)(r10 -3) = r1
r0 = 0
exit
