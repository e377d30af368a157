// A jump into the second half of a 64-bit immediate load.
r0 = 0
if r0 == 1 goto +1
r1 = 0x100000000 ll
exit
