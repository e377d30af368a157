"""bpf_perf_event_output(ctx, map, flags, data, size): a sample into a perf event array.

The low 32 bits of flags pick the array slot; BPF_F_CURRENT_CPU (0xffffffff)
means the slot of the CPU the program runs on (``env.cpu``). Any other bit is
-EINVAL. The map answers the rest: -E2BIG past the end, -ENOENT for a slot
with no event, -EOPNOTSUPP if the slot's event belongs to another CPU, -ENOSPC
when its buffer is full.

This is the tracing flavour. Networking programs get a variant whose upper
flag bits (BPF_F_CTXLEN_MASK) append packet bytes to the sample; here those
bits are refused with -EINVAL, as in tracing programs.

A delivered sample is also appended to ``machine.output`` as
``{"kind": "perf_event", "map", "index", "cpu", "data" (hex), "pc", "step"}``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .linux import EINVAL
from .map_ops import map_label

if TYPE_CHECKING:
    from ..machine import Machine

BPF_F_INDEX_MASK = 0xFFFF_FFFF
BPF_F_CURRENT_CPU = BPF_F_INDEX_MASK


def perf_event_output(m: "Machine", ctx: int, bpf_map, flags: int, data: int,
                      size: int) -> int:
    if flags & ~BPF_F_INDEX_MASK:
        return -EINVAL
    index = flags & BPF_F_INDEX_MASK
    if index == BPF_F_CURRENT_CPU:
        index = m.env.cpu
    payload = m.memory.read_bytes(data, size)
    result = bpf_map.output(index, payload, cpu=m.env.cpu)
    if result == 0:
        m.output.append({"kind": "perf_event", "map": map_label(m, bpf_map), "index": index,
                         "cpu": m.env.cpu, "data": payload.hex(), "pc": m.pc,
                         "step": m.instructions})
    return result
