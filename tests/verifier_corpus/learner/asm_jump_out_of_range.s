// A jump past the end of the program.
r0 = 0
if r0 == 0 goto +10
exit
