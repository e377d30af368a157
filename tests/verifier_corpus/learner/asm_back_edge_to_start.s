// A loop jumping back to the first instruction with no bound.
r1 = 0
r1 += 1
if r1 > 0 goto -3
r0 = 0
exit
