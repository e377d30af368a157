// An instruction no path reaches.
r0 = 0
exit
r0 = 1
exit
