// The last instruction falls through past the end.
r0 = 0
r0 += 1
