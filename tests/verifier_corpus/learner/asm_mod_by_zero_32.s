// 32-bit modulo by the constant zero.
w0 = 7
w0 %= 0
exit
