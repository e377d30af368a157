"""The program types the playground runs, as one table.

Each row is a program type by the kernel's name (``enum bpf_prog_type``
without its prefix, lower case), with the libbpf section names that select it,
its context, the names of its return codes, where its packet starts, and the
class that turns an event into its context. Which helpers it may call is the
helper table's business (``helpers.implementations(spec.prog_type)``).

``kretprobe`` is a row of its own although the kernel loads it as a kprobe
program: its context holds a return value where a kprobe's holds arguments.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from ..errors import VmError
from ..helpers.kinds import ProgType
from .context import EventError
from .fields import FieldTable
from .skb import SkbContext, skb_table
from .tracing import (PERF_EVENT_TABLE, PT_REGS_TABLE, PerfEventContext, RawTracepointContext,
                      RegsContext, TracepointContext)
from .xdp import XDP_TABLE, XdpContext

XDP_ACTIONS = {0: "XDP_ABORTED", 1: "XDP_DROP", 2: "XDP_PASS", 3: "XDP_TX", 4: "XDP_REDIRECT"}
TC_ACTIONS = {-1: "TC_ACT_UNSPEC", 0: "TC_ACT_OK", 1: "TC_ACT_RECLASSIFY", 2: "TC_ACT_SHOT",
              3: "TC_ACT_PIPE", 4: "TC_ACT_STOLEN", 5: "TC_ACT_QUEUED", 6: "TC_ACT_REPEAT",
              7: "TC_ACT_REDIRECT", 8: "TC_ACT_TRAP"}
SK_ACTIONS = {0: "SK_DROP", 1: "SK_PASS"}
SOCKET_FILTER_RESULTS = {0: "drop"}   # any other value: keep that many bytes of the packet
REDIRECT_CODES = {"xdp": 4, "sched_cls": 7, "sched_act": 7}

BPF_CGROUP_INET_INGRESS = 0           # enum bpf_attach_type


class ProgTypeError(VmError):
    """A program type name the playground does not know."""


@dataclass(frozen=True)
class ProgramTypeSpec:
    """One program type: what the kernel calls it and how its programs see the world."""

    name: str                        # the kernel's name: "sched_cls"
    prog_type: ProgType
    sections: tuple[str, ...]        # libbpf section names selecting it ("tc", "classifier")
    context: str                     # the C type r1 points to
    fields: FieldTable | None        # the context's fields (None: decided per event)
    return_codes: dict[int, str]     # names of return values, for display
    packet_view: str                 # where its packet starts ("" for no packet)
    build: Callable                  # (spec, memory, event, ctx_in, attach, pid) -> Context
    signed_return: bool = False      # the return code is an int (tc), not a u32
    expected_attach_type: int = 0    # what loading it into the kernel needs

    def __deepcopy__(self, memo: dict) -> "ProgramTypeSpec":
        return self   # immutable: machine snapshots share it

    @property
    def has_packet(self) -> bool:
        return bool(self.packet_view)

    def return_code_name(self, r0: int) -> str | None:
        """The name of a return value (the low 32 bits), or None."""
        value = r0 & 0xFFFF_FFFF
        if self.signed_return and value >> 31:
            value -= 1 << 32
        return self.return_codes.get(value)

    @property
    def redirect_code(self) -> int | None:
        """The return value that makes a bpf_redirect take effect."""
        return REDIRECT_CODES.get(self.name)


def _skb(spec, memory, event, ctx_in, attach, pid):
    return SkbContext(spec, memory, _packet(spec, event), ctx_in)


def _xdp(spec, memory, event, ctx_in, attach, pid):
    return XdpContext(spec, memory, _packet(spec, event), ctx_in)


def _packet(spec: ProgramTypeSpec, event) -> bytes:
    if event.packet is None:
        raise EventError(f"a {spec.name} program runs on a packet; the event has none")
    return bytes(event.packet)


def _regs(spec, memory, event, ctx_in, attach, pid):
    return RegsContext(spec, memory, event)


def _perf(spec, memory, event, ctx_in, attach, pid):
    return PerfEventContext(spec, memory, event)



def _raw_tp(spec, memory, event, ctx_in, attach, pid):
    return RawTracepointContext(spec, memory, event, attach=attach)


def _tracepoint(spec, memory, event, ctx_in, attach, pid):
    return TracepointContext(spec, memory, event, attach=attach, pid=pid)


P = ProgType
PROGRAM_TYPES: tuple[ProgramTypeSpec, ...] = (
    ProgramTypeSpec("xdp", P.XDP, ("xdp",), "struct xdp_md", XDP_TABLE, XDP_ACTIONS,
                    "Ethernet header, after data_meta's metadata", _xdp),
    ProgramTypeSpec("socket_filter", P.SOCKET_FILTER, ("socket",), "struct __sk_buff",
                    skb_table("socket_filter"), SOCKET_FILTER_RESULTS,
                    "network header (the Ethernet header is pulled)", _skb),
    ProgramTypeSpec("sched_cls", P.SCHED_CLS, ("tc", "classifier", "tcx/ingress", "tcx/egress",
                                               "tc/ingress", "tc/egress"),
                    "struct __sk_buff", skb_table("sched_cls"), TC_ACTIONS, "Ethernet header",
                    _skb, signed_return=True),
    ProgramTypeSpec("sched_act", P.SCHED_ACT, ("action",), "struct __sk_buff",
                    skb_table("sched_act"), TC_ACTIONS, "Ethernet header", _skb,
                    signed_return=True),
    ProgramTypeSpec("cgroup_skb", P.CGROUP_SKB, ("cgroup_skb/ingress", "cgroup_skb/egress",
                                                 "cgroup/skb"),
                    "struct __sk_buff", skb_table("cgroup_skb"), SK_ACTIONS,
                    "network header (the Ethernet header is pulled)", _skb,
                    expected_attach_type=BPF_CGROUP_INET_INGRESS),
    ProgramTypeSpec("kprobe", P.KPROBE, ("kprobe", "uprobe", "ksyscall"), "struct pt_regs",
                    PT_REGS_TABLE, {}, "", _regs),
    ProgramTypeSpec("kretprobe", P.KPROBE, ("kretprobe", "uretprobe", "kretsyscall"),
                    "struct pt_regs", PT_REGS_TABLE, {}, "", _regs),
    ProgramTypeSpec("tracepoint", P.TRACEPOINT, ("tracepoint", "tp"),
                    "the tracepoint's record", None, {}, "", _tracepoint),
    ProgramTypeSpec("raw_tracepoint", P.RAW_TRACEPOINT, ("raw_tracepoint", "raw_tp"),
                    "struct bpf_raw_tracepoint_args", None, {}, "", _raw_tp),
    ProgramTypeSpec("perf_event", P.PERF_EVENT, ("perf_event",), "struct bpf_perf_event_data",
                    PERF_EVENT_TABLE, {}, "", _perf),
)

_BY_NAME: dict[str, ProgramTypeSpec] = {}
for _spec in PROGRAM_TYPES:
    for _name in (_spec.name, *_spec.sections):
        _BY_NAME.setdefault(_name, _spec)


def lookup(name: str) -> ProgramTypeSpec:
    """A program type by its kernel name or a libbpf section name.

    A section name may carry its attach point (``kprobe/do_sys_open``,
    ``tp/syscalls/sys_enter_openat``): the longest known prefix decides.
    """
    return split_section(name)[0]


def split_section(name: str) -> tuple[ProgramTypeSpec, str]:
    """(program type, attach point) of a kernel name or a libbpf section name."""
    key = name.strip().lower()
    if key in _BY_NAME:
        return _BY_NAME[key], ""
    parts = key.split("/")
    for cut in range(len(parts) - 1, 0, -1):
        prefix = "/".join(parts[:cut])
        if prefix in _BY_NAME:
            return _BY_NAME[prefix], name.strip()[len(prefix) + 1:]
    known = ", ".join(spec.name for spec in PROGRAM_TYPES)
    raise ProgTypeError(f"unknown program type {name!r}; the playground runs {known} "
                        f"(or their libbpf section names)")
