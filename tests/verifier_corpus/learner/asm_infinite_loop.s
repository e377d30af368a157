// A loop that makes no progress: the same state comes back.
r0 = 0
loop:
goto loop
