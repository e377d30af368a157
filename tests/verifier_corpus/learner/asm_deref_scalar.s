// Dereferencing an integer as if it were a pointer.
r1 = 4096
r0 = *(u64 *)(r1 +0)
exit
