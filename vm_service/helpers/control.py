"""bpf_tail_call and bpf_loop change control flow, so the Machine runs them itself.

The Machine calls these (through ``bind``, so the prototype's argument checks
run first) and then performs the call itself (``Machine._tail_call``,
``Machine._bpf_loop``): each loop iteration is a real, steppable call of the
callback, and a tail call swaps the running program. The functions themselves
have nothing left to do.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..machine import Machine


def tail_call(m: "Machine", *_args: int) -> int:
    return 0


def loop(m: "Machine", *_args: int) -> int:
    return 0
