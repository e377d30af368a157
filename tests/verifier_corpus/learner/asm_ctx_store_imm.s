// Storing into an xdp_md field.
*(u32 *)(r1 +0) = 0
r0 = 0
exit
