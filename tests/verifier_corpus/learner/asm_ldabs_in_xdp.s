// Legacy packet access (ld_abs) from XDP, where only socket filters and tc have it.
r6 = r1
r0 = *(u8 *)skb[12]
exit
