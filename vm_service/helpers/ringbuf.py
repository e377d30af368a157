"""Ring-buffer helpers: bpf_ringbuf_output, _reserve, _submit, _discard, _query.

``reserve`` maps the new record's storage (the ring buffer map's own
bytearray) as a RINGBUF region and returns its address, or 0 (NULL) when the
ring is full or flags are not 0. ``submit``/``discard`` take that address back:
it must be the start of a live record, as the verifier demands of the
reference being released. The record's region is then unmapped, so a later
access through the old pointer faults, as the verifier would refuse it.

Submitted records (by ``submit`` or ``output``) are also appended to
``machine.output`` as ``{"kind": "ringbuf", "map", "data" (hex), "pc", "step"}``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..machine import MachineFault
from ..memory import Region, RegionKind
from .calling import RINGBUF, map_type_of
from .map_ops import map_label

BPF_RB_PROD_POS = 3

if TYPE_CHECKING:
    from ..machine import Machine


def _record_output(m: "Machine", bpf_map, data: bytes) -> None:
    m.output.append({"kind": "ringbuf", "map": map_label(m, bpf_map), "data": bytes(data).hex(),
                     "pc": m.pc, "step": m.instructions})


def ringbuf_output(m: "Machine", bpf_map, data: int, size: int, flags: int,
                   *_args: int) -> int:
    """Copy size bytes into a new record and submit it: 0, -EAGAIN (full) or -EINVAL (flags)."""
    payload = m.memory.read_bytes(data, size)
    result = bpf_map.output(payload, flags)
    if result == 0:
        _record_output(m, bpf_map, payload)
    return result


def ringbuf_reserve(m: "Machine", bpf_map, size: int, flags: int, *_args: int) -> int:
    """A pointer to size bytes of a new busy record, or 0."""
    if flags:
        return 0
    position = bpf_map.query(BPF_RB_PROD_POS)
    record = bpf_map.reserve(size)
    if record is None:
        return 0
    return m.value_pointer(record, f"{map_label(m, bpf_map)} record@{position}",
                           kind=RegionKind.RINGBUF)


def _release(m: "Machine", addr: int, flags: int, discard: bool) -> int:
    region = next((r for r in m.memory.regions if r.kind is RegionKind.RINGBUF
                   and r.base <= addr < r.base + max(len(r.data), 1)), None)
    if region is None:
        raise MachineFault(f"R1 (0x{addr:x}) is not a ring-buffer record from bpf_ringbuf_reserve")
    offset = addr - region.base
    if offset:
        raise MachineFault(f"R1 must have zero offset when passed to release func "
                           f"(it is {region.name}+{offset})")
    owner = _owner(m, region)
    if owner is None:
        raise MachineFault(f"{region.name} was already submitted or discarded")
    if discard:
        owner.discard(region.data, flags)
    else:
        owner.submit(region.data, flags)
        _record_output(m, owner, region.data)
    m.memory.remove(region)
    return 0


def _owner(m: "Machine", region: Region):
    """The ring buffer whose busy record is this region's storage."""
    for bpf_map in m.maps:
        if map_type_of(bpf_map) != RINGBUF:
            continue
        for entry in getattr(bpf_map, "records", ()):
            if entry[2] is region.data and entry[1] == "busy":
                return bpf_map
    return None


def ringbuf_submit(m: "Machine", data: int, flags: int, *_args: int) -> int:
    return _release(m, data, flags, discard=False)


def ringbuf_discard(m: "Machine", data: int, flags: int, *_args: int) -> int:
    return _release(m, data, flags, discard=True)


def ringbuf_query(m: "Machine", bpf_map, flags: int, *_args: int) -> int:
    """BPF_RB_AVAIL_DATA (0), _RING_SIZE (1), _CONS_POS (2), _PROD_POS (3); anything else 0."""
    return bpf_map.query(flags)
