// r2 is read before anything wrote it.
r0 = r2
exit
