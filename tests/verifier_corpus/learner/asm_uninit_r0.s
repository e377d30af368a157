// exit with r0 never written.
r1 = 1
exit
