// Division by the constant zero.
r0 = 7
r0 /= 0
exit
