// Writing the frame pointer.
r10 = 0
r0 = 0
exit
