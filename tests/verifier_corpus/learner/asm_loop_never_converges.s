// A counter loop with no bound: every iteration is a new state.
r0 = 0
loop:
r0 += 1
if r0 != 0 goto loop
exit
