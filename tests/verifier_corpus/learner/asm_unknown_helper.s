// A call of a helper id the kernel does not have.
call 99999
r0 = 0
exit
