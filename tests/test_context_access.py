"""Context access rules against the verifier: every offset, size and direction, every type.

For each program type the playground runs, a one-instruction program loads
from, stores a register into, or stores an immediate into the context at
every offset (and a little beyond) with every size; the kernel's verdict
(accepted, or ``invalid bpf_context access``) must be what the type's
``FieldTable`` says. The rest checks what the playground does with the
accesses it refuses: a fault with the verifier's message.
"""

from __future__ import annotations

import pytest

from vm_service import kernel, progtypes
from vm_service.asm import assemble
from vm_service.events import EventInput
from vm_service.memory import Memory
from vm_service.progtypes.tracepoints import tracepoint
from vm_service.progtypes.tracing import RawTracepointContext, tracepoint_table
from vm_service.runner import ProgramInstance

AVAILABLE, WHY = kernel.available()
SIZES = {1: "u8", 2: "u16", 4: "u32", 8: "u64"}
PACKET = bytes(6) + bytes.fromhex("020000000001 0800") + bytes.fromhex(
    "45000014000000004011 0000 c0a80001 c0a80002")
TYPES = ["xdp", "socket_filter", "sched_cls", "sched_act", "cgroup_skb", "kprobe", "perf_event",
         "raw_tracepoint", "tracepoint"]


@pytest.fixture(scope="module")
def bpf_ok():
    if not AVAILABLE:
        pytest.skip(f"the kernel cannot serve as the oracle: {WHY}")


def access_text(kind: str, offset: int, size: int) -> str:
    where = f"*({SIZES[size]} *)(r1 {offset:+d})"
    body = {"read": f"r2 = {where}", "write": f"r2 = 0\n{where} = r2", "st": f"{where} = 0"}
    return f"{body[kind]}\nr0 = 0\nexit"


def table_of(prog_type: str):
    """The type's field table; raw tracepoints with all 12 arguments, tracepoints for openat."""
    spec = progtypes.lookup(prog_type)
    if spec.fields is not None:
        return spec.fields
    if prog_type == "raw_tracepoint":
        return RawTracepointContext(spec, Memory(), EventInput(args=tuple(range(12)))).table
    return tracepoint_table(tracepoint("syscalls/sys_enter_openat"))


def kernel_accepts(prog_type: str, text: str) -> bool:
    spec = progtypes.lookup(prog_type)
    with kernel.prog_load(assemble(text).program().encode(), int(spec.prog_type),
                          expected_attach_type=spec.expected_attach_type) as loaded:
        if loaded.ok:
            return True
        assert "invalid bpf_context access" in loaded.log, loaded.log
        return False


@pytest.mark.kernel
@pytest.mark.parametrize("prog_type", TYPES)
def test_the_field_table_grants_exactly_what_the_verifier_allows(bpf_ok, kernel_comparisons,
                                                                 prog_type):
    table = table_of(prog_type)
    offsets = range(-4, table.size + 8)
    if prog_type == "tracepoint":
        # The verifier takes any offset from 8 up to PERF_MAX_TRACE_SIZE (and, oddly, small
        # negative ones); what lies past the record is refused when the program is attached,
        # and a fault here. Compared: the record itself.
        offsets = range(0, table.size)
    wrong = []
    compared = 0
    for size in SIZES:
        for offset in offsets:
            if prog_type == "tracepoint" and offset + size > table.size:
                continue
            for kind in ("read", "write", "st"):
                ours = table.allows(offset, size, write=kind != "read") if offset >= 0 else False
                theirs = kernel_accepts(prog_type, access_text(kind, offset, size))
                compared += 1
                if ours != theirs:
                    wrong.append((kind, offset, size, "kernel allows" if theirs else "kernel refuses"))
    kernel_comparisons(compared)
    assert wrong == []


# -- what the playground does with refused accesses ------------------------------------------------

def run(prog_type: str, text: str, event: EventInput | None = None):
    instance = ProgramInstance(assemble(text).program(), prog_type)
    return instance.run_event(event or EventInput(packet=PACKET))


@pytest.mark.parametrize("fast", [True, False])
@pytest.mark.parametrize("prog_type, text, message", [
    ("socket_filter", "r0 = *(u32 *)(r1 + 2)\nexit", "invalid bpf_context access off=2 size=4"),
    ("socket_filter", "r0 = *(u32 *)(r1 + 76)\nexit", "invalid bpf_context access off=76 size=4"),
    ("socket_filter", "r2 = 1\n*(u32 *)(r1 + 8) = r2\nr0 = 0\nexit",
     "invalid bpf_context access off=8 size=4"),
    ("sched_cls", "r0 = *(u16 *)(r1 + 76)\nexit", "invalid bpf_context access off=76 size=2"),
    ("sched_cls", "*(u16 *)(r1 + 8) = 1\nr0 = 0\nexit", "invalid bpf_context access off=8 size=2"),
    ("xdp", "r0 = *(u64 *)(r1 + 0)\nexit", "invalid bpf_context access off=0 size=8"),
    ("xdp", "r0 = *(u32 *)(r1 + 20)\nexit", "invalid bpf_context access off=20 size=4"),
    ("xdp", "*(u32 *)(r1 + 12) = 1\nr0 = 0\nexit", "invalid bpf_context access off=12 size=4"),
    ("xdp", "r2 = 1\nlock *(u32 *)(r1 + 12) += r2\nr0 = 0\nexit",
     "BPF_ATOMIC stores into R1 ctx is not allowed"),
    ("sched_cls", "r0 = *(u64 *)(r1 + 168)\nexit",
     "__sk_buff->sk (a struct bpf_sock pointer) is not modelled by the playground"),
    ("cgroup_skb", "r0 = *(u8 *)skb[0]\nexit",
     "BPF_LD_[ABS|IND] instructions not allowed for this program type"),
    ("socket_filter", "r0 = *(u8 *)skb[0]\nexit", "R6 !read_ok"),
    ("socket_filter", "r6 = r10\nr0 = *(u8 *)skb[0]\nexit",
     "at the time of BPF_LD_ABS|IND R6 != pointer to skb"),
])
def test_refused_accesses_fault_with_the_verifiers_message(prog_type, text, message, fast):
    instance = ProgramInstance(assemble(text).program(), prog_type)
    result = instance.run_event(EventInput(packet=PACKET), fast=fast)
    assert result.exit["kind"] == "fault"
    assert result.exit["message"] == message


def test_a_kprobe_context_is_read_only():
    result = run("kprobe", "r2 = 1\n*(u64 *)(r1 + 112) = r2\nr0 = 0\nexit", EventInput(args=(1,)))
    assert result.exit["message"] == "invalid bpf_context access off=112 size=8"


def test_a_tracepoint_header_is_not_readable():
    result = run("tracepoint/syscalls/sys_enter_read", "r0 = *(u32 *)(r1 + 4)\nexit",
                 EventInput(args=(1, 2, 3)))
    assert result.exit["message"] == "invalid bpf_context access off=4 size=4"


def test_reading_past_a_raw_tracepoints_arguments_faults():
    result = run("raw_tp/sys_enter", "r0 = *(u64 *)(r1 + 16)\nexit", EventInput(args=(1, 2)))
    assert result.exit["kind"] == "fault"
    assert "has 2 argument(s)" in result.exit["message"]


def test_narrow_reads_of_u16_fields_read_as_the_rewritten_load():
    """protocol is a u16 in struct sk_buff: a u16 read of its upper half gives it whole."""
    text = "r2 = *(u16 *)(r1 + 18)\nr3 = *(u8 *)(r1 + 16)\nr0 = *(u8 *)(r1 + 6)\nr0 <<= 8\n" \
           "r0 |= r3\nr0 <<= 16\nr0 |= r2\nexit"
    multicast = bytes.fromhex("01005e000001") + PACKET[6:]
    result = run("sched_cls", text, EventInput(packet=multicast))
    assert result.r0 == 0x02_08_0008   # pkt_type 2 at any offset, 0x08 of 0x0008, protocol
