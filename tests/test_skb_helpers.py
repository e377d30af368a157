"""The packet helpers against the kernel: same calls, same answers, same packets.

Each test builds one program that calls a helper several times with normal and
edge arguments, storing every return value (and whatever the helper copied)
in the "out" map, and runs it on the playground and with BPF_PROG_TEST_RUN on
several packets (``Oracle`` in ``test_progtypes_oracle``): return values,
output packets, contexts and maps must agree. The unit tests at the end check
the ones'-complement arithmetic on its own.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vm_service.events import EventInput
from vm_service.helpers import csum
from vm_service.maps import MapSpec, MapType, create_map
from vm_service.progtypes import lookup
from vm_service.runner import ProgramInstance
from vm_service.asm import assemble
from vm_service.helpers import helper_name, implementations
from vm_service.helpers.kinds import ProgType
from vm_service.machine import Machine
from tests.test_progtypes_oracle import PACKETS, Oracle, bpf_ok, xdp_ctx  # noqa: F401

M64 = (1 << 64) - 1
BUFFER = 512          # helpers' buffers live in the out map's value from here
SHORT = PACKETS["14-bytes"]
IPV4 = PACKETS["ipv4-host"]
UDP_IPV4 = IPV4            # IPv4 + UDP (checksum at 14 + 20 + 6)
IPV6 = PACKETS["ipv6-other"]


def program(calls: list, helper: str, epilogue: str = "", ret: str = "r0 = 0",
            prologue: str = "") -> str:
    """Assembly calling ``helper`` once per entry of ``calls`` (lines setting r2-r5; r1 is
    the context unless they set it; a (helper, lines) pair calls another helper),
    storing each r0 at out+8*i. r6 holds the context,
    r7 the out map's value; ``prologue`` runs before the calls, ``epilogue`` after."""
    lines = ["r6 = r1", "r1 = 0", "*(u32 *)(r10 - 4) = r1", "r2 = r10", "r2 += -4",
             "r1 = $m0", "call bpf_map_lookup_elem", "if r0 != 0 goto found", "exit",
             "found:", "r7 = r0", *filter(None, prologue.split("\n"))]
    for index, call in enumerate(calls):
        name, setup = call if isinstance(call, tuple) else (helper, call)
        lines += ["r1 = r6", *setup.split("\n"), f"call {name}",
                  f"*(u64 *)(r7 + {8 * index}) = r0"]
    lines += [*filter(None, epilogue.split("\n")), ret, "exit"]
    return "\n".join(lines)


def compare_all(prog_type: str, text: str, packets, kernel_comparisons, ctx_in=None) -> None:
    with Oracle(prog_type, text) as oracle:
        for packet in packets:
            oracle.compare(packet, kernel_comparisons, ctx_in(packet) if ctx_in else None)


def buffer(offset: int = 0) -> str:
    return f"r3 = r7\nr3 += {BUFFER + offset}"


# -- loading bytes ---------------------------------------------------------------------------

LOAD_OFFSETS = [0, 1, 13, 14, 40, 41, 45, 46, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFF,
                0x1_0000_0002]


def load_calls(sizes=(1, 4, 14, 64)) -> list[str]:
    calls = []
    for size in sizes:
        for offset in LOAD_OFFSETS:
            calls.append(f"r2 = {offset:#x} ll\n{buffer(size)}\nr4 = {size}")
    return calls


@pytest.mark.kernel
@pytest.mark.parametrize("prog_type", ["socket_filter", "sched_cls", "cgroup_skb"])
def test_skb_load_bytes_as_the_kernel(bpf_ok, kernel_comparisons, prog_type):
    ret = "r0 = 1" if prog_type == "cgroup_skb" else "r0 = *(u32 *)(r7 + 0)"
    compare_all(prog_type, program(load_calls(), "bpf_skb_load_bytes", ret=ret),
                PACKETS.values(), kernel_comparisons)


@pytest.mark.kernel
@pytest.mark.parametrize("prog_type", ["socket_filter", "sched_cls", "cgroup_skb"])
def test_skb_load_bytes_relative_as_the_kernel(bpf_ok, kernel_comparisons, prog_type):
    calls = []
    for start in (0, 1, 2, 0x1_0000_0001):
        for offset in (0, 6, 14, 30, 0xFFFF, 0x1_0000, 0xFFFF_FFFF):
            for size in (2, 20):
                calls.append(f"r2 = {offset:#x} ll\n{buffer(size)}\nr4 = {size}\n"
                             f"r5 = {start:#x} ll")
    text = program(calls, "bpf_skb_load_bytes_relative",
                   ret="r0 = 1" if prog_type == "cgroup_skb" else "r0 = 2")
    compare_all(prog_type, text, PACKETS.values(), kernel_comparisons)


# -- storing bytes and resizing ------------------------------------------------------------------

@pytest.mark.kernel
def test_skb_store_bytes_as_the_kernel(bpf_ok, kernel_comparisons):
    calls = []
    for flags in (0, 1, 2, 3, 4, 1 << 32):
        for offset in (0, 6, 12, 36, 37, 0x7FFF_FFFF, 0x8000_0000, 0x1_0000_0008):
            calls.append(f"r2 = {offset:#x} ll\n*(u64 *)(r7 + {BUFFER}) = r2\n{buffer()}\n"
                         f"r4 = 8\nr5 = {flags:#x} ll")
    text = program(calls, "bpf_skb_store_bytes",
                   prologue="r1 = r6\nr2 = 0x12345678\ncall bpf_set_hash",
                   epilogue="r0 = *(u32 *)(r6 + 68)\n*(u64 *)(r7 + 800) = r0")
    compare_all("sched_cls", text, [IPV4, SHORT, PACKETS["odd"]], kernel_comparisons)


@pytest.mark.kernel
def test_set_hash_and_its_invalidation_as_the_kernel(bpf_ok, kernel_comparisons):
    text = "\n".join([
        "r6 = r1", "r7 = 0", "r1 = r6", "r2 = 0xabcdef01", "call bpf_set_hash", "r7 += r0",
        "r8 = *(u32 *)(r6 + 68)", "r1 = r6", "call bpf_set_hash_invalid", "r7 += r0",
        "r9 = *(u32 *)(r6 + 68)", "r1 = r6", "r2 = -1", "call bpf_set_hash",
        "r0 = *(u16 *)(r6 + 70)", "r0 += r8", "r0 += r9", "r0 += r7", "exit"])
    compare_all("sched_cls", text, [IPV4], kernel_comparisons)


@pytest.mark.parametrize("helper, lengths", [
    ("bpf_skb_change_tail", [100, 14, 13, 60, 0, 16064, 16065, 0x1_0000_0040, 200]),
    ("bpf_skb_change_head", [0, 14, 1, 100, 16000, 0xFFFF_FFFF, 7]),
    ("bpf_skb_pull_data", [0, 14, 54, 55, 1000, 0x1_0000_0000]),
])
@pytest.mark.kernel
def test_skb_resizing_as_the_kernel(bpf_ok, kernel_comparisons, helper, lengths):
    calls = [f"r2 = {n:#x} ll\nr3 = 0" for n in lengths] + ["r2 = 70\nr3 = 1"]
    epilogue = "\n".join(f"r0 = *(u32 *)(r6 + {off})\n*(u64 *)(r7 + {600 + off}) = r0"
                         for off in (0, 160))
    epilogue += ("\nr2 = *(u32 *)(r6 + 76)\nr3 = *(u32 *)(r6 + 80)\nr5 = r3\nr5 -= r2\n"
                 "*(u64 *)(r7 + 900) = r5\nr4 = r2\nr4 += 20\nif r4 > r3 goto skip\n"
                 "r0 = *(u64 *)(r2 + 0)\n*(u64 *)(r7 + 908) = r0\nr0 = *(u32 *)(r2 + 16)\n"
                 "*(u64 *)(r7 + 916) = r0\nskip:")
    compare_all("sched_cls", program(calls, helper, epilogue, ret="r0 = *(u32 *)(r6 + 0)"),
                [IPV4, SHORT, PACKETS["odd"]], kernel_comparisons)


# -- checksums -------------------------------------------------------------------------------

def fill(count: int, factor: int) -> str:
    """Lines filling ``count`` u64s of the out value's buffer area with a pattern."""
    return "\n".join(f"r1 = {factor * (i + 1) & M64:#x} ll\n*(u64 *)(r7 + {BUFFER + 8 * i}) = r1"
                     for i in range(count))


@pytest.mark.kernel
def test_csum_diff_as_the_kernel(bpf_ok, kernel_comparisons):
    calls = []
    cases = [(4, 4, 0), (0, 8, 0), (8, 0, 0), (0, 0, 0x1234), (0, 0, 0xFFFF_FFFF), (3, 4, 0),
             (4, 6, 0), (20, 20, 0xDEAD), (0, 20, 0xFFFF_FFFF), (20, 0, 7), (256, 0, 0),
             (128, 128, 0x1_0000_0001), (8, 8, 0)]
    for from_size, to_size, seed in cases:
        calls.append(f"r1 = r7\nr1 += {BUFFER}\nr2 = {from_size}\nr3 = r7\nr3 += {BUFFER + 64}\n"
                     f"r4 = {to_size}\nr5 = {seed:#x} ll")
    calls.append("r1 = 0\nr2 = 0\nr3 = r7\nr3 += 600\nr4 = 8\nr5 = 0")
    text = program(calls, "bpf_csum_diff", prologue=fill(64, 0x0123456789ABCDEF))
    compare_all("sched_cls", text, [IPV4], kernel_comparisons)
    compare_all("xdp", text, [IPV4], kernel_comparisons)


@pytest.mark.kernel
def test_csum_diff_of_equal_buffers_is_the_seed_folded(bpf_ok, kernel_comparisons):
    calls = [f"r1 = r7\nr1 += {BUFFER}\nr2 = 8\nr3 = r7\nr3 += {BUFFER}\nr4 = 8\nr5 = {seed}"
             for seed in (0, 1, 0xFFFF, 0x10000)]
    compare_all("sched_cls", program(calls, "bpf_csum_diff"), [IPV4], kernel_comparisons)


IP_CSUM = 14 + 10           # the IPv4 header checksum
UDP_CSUM = 14 + 20 + 6      # the UDP checksum after it


def l3_calls() -> list[str]:
    calls = []
    for offset in (IP_CSUM, IP_CSUM + 1, 0x10000, 52, 53, 0x1_0000_0000 + IP_CSUM):
        for flags, old, new in ((4, 0xC0A80001, 0x0A000001), (2, 0x0040, 0x3F40), (0, 0, 0x1234),
                                (0, 5, 0x1234), (3, 1, 2), (0x14, 1, 2), (4, 0xFFFF_FFFF, 0),
                                (2, 0, 0xFFFF), (1 << 32 | 4, 1, 2)):
            calls.append(f"r2 = {offset:#x} ll\nr3 = {old:#x} ll\nr4 = {new:#x} ll\n"
                         f"r5 = {flags:#x} ll")
    return calls


@pytest.mark.kernel
def test_l3_csum_replace_as_the_kernel(bpf_ok, kernel_comparisons):
    compare_all("sched_cls", program(l3_calls(), "bpf_l3_csum_replace"),
                [IPV4, PACKETS["ipv4-broadcast"], PACKETS["odd"]], kernel_comparisons)


L4_FLAGS = [0x10 | 4, 4, 2, 0, 0x20 | 4, 0x20 | 0x40 | 4, 0x80 | 0x10 | 4, 0x100 | 4, 0x30 | 2,
            5, 0x20 | 0]


@pytest.mark.kernel
@pytest.mark.parametrize("offset", [UDP_CSUM, UDP_CSUM + 1, 0xFFFF, 0x10000])
def test_l4_csum_replace_as_the_kernel(bpf_ok, kernel_comparisons, offset):
    calls = []
    for flags in L4_FLAGS:
        # (0, 0x3412) turns the checksum 0x1234 into 0: BPF_F_MARK_MANGLED_0 then writes 0xffff
        for old, new in ((0xC0A80001, 0x0A000001), (0, 0x1234), (0x3039, 0x3039),
                         (0x0100, 0xFEFF), (0, 0x3412)):
            calls.append(f"r2 = {offset:#x} ll\nr3 = {old:#x} ll\nr4 = {new:#x} ll\n"
                         f"r5 = {flags:#x} ll")
    zero_csum = UDP_IPV4[:UDP_CSUM] + b"\0\0" + UDP_IPV4[UDP_CSUM + 2:]
    ones_csum = UDP_IPV4[:UDP_CSUM] + b"\xff\xff" + UDP_IPV4[UDP_CSUM + 2:]
    some_csum = UDP_IPV4[:UDP_CSUM] + b"\x12\x34" + UDP_IPV4[UDP_CSUM + 2:]
    for packet in (UDP_IPV4, zero_csum, ones_csum, some_csum) if offset == UDP_CSUM else ():
        for flags in L4_FLAGS:   # one call per program, so each starts from the packet's sum
            for old, new in ((0, 0x3412), (0xC0A80001, 0x0A000001)):
                text = program([f"r2 = {offset:#x} ll\nr3 = {old:#x} ll\nr4 = {new:#x} ll\n"
                                 f"r5 = {flags:#x} ll"], "bpf_l4_csum_replace")
                compare_all("sched_cls", text, [packet], kernel_comparisons)
    compare_all("sched_cls", program(calls, "bpf_l4_csum_replace"),
                [UDP_IPV4, zero_csum, ones_csum, some_csum, SHORT], kernel_comparisons)


# -- redirect --------------------------------------------------------------------------------

@pytest.mark.kernel
@pytest.mark.parametrize("prog_type, flags", [
    ("sched_cls", 0), ("sched_cls", 1), ("sched_cls", 2), ("sched_cls", 1 << 32),
    ("sched_act", 1), ("xdp", 0), ("xdp", 1), ("xdp", 1 << 40)])
def test_redirect_answers_as_the_kernel(bpf_ok, kernel_comparisons, prog_type, flags):
    text = f"r1 = 7\nr2 = {flags:#x} ll\ncall bpf_redirect\nexit"
    with Oracle(prog_type, text) as oracle:
        oracle.compare(IPV4, kernel_comparisons)
        result = oracle.instance.run_event(EventInput(packet=IPV4))
    verdict = lookup(prog_type).return_code_name(result.r0)
    if verdict in ("TC_ACT_REDIRECT", "XDP_REDIRECT"):
        assert result.redirect["ifindex"] == 7
    else:
        assert result.redirect is None and verdict in ("TC_ACT_SHOT", "XDP_ABORTED")


# -- XDP ---------------------------------------------------------------------------------------

def xdp_sequence(helper_deltas: list[tuple[str, int]]) -> str:
    lines = ["r6 = r1", "r1 = 0", "*(u32 *)(r10 - 4) = r1", "r2 = r10", "r2 += -4",
             "r1 = $m0", "call bpf_map_lookup_elem", "if r0 != 0 goto found", "exit",
             "found:", "r7 = r0"]
    for index, (helper, delta) in enumerate(helper_deltas):
        lines += ["r1 = r6", f"r2 = {delta & M64:#x} ll", f"call {helper}",
                  f"*(u64 *)(r7 + {8 * index}) = r0",
                  "r2 = *(u32 *)(r6 + 0)", "r3 = *(u32 *)(r6 + 4)", "r4 = *(u32 *)(r6 + 8)",
                  "r3 -= r2", "r2 -= r4", f"*(u32 *)(r7 + {256 + 8 * index}) = r3",
                  f"*(u32 *)(r7 + {260 + 8 * index}) = r2"]
    lines += ["r2 = *(u32 *)(r6 + 0)", "r3 = *(u32 *)(r6 + 4)", "r4 = r2", "r4 += 14",
              "if r4 > r3 goto out", "r0 = *(u32 *)(r2 + 0)", "*(u32 *)(r7 + 1000) = r0",
              "r1 = 0x44332211", "*(u32 *)(r2 + 4) = r1", "out:", "r0 = 2", "exit"]
    return "\n".join(lines)


XDP_SEQUENCES = {
    "head": [("bpf_xdp_adjust_head", d) for d in (-300, -217, -216, 216, -14, 10, 20, 30, 40,
                                                   -40, 1 << 32, -1 + (1 << 32), 0x8000_0000)],
    "tail": [("bpf_xdp_adjust_tail", d) for d in (-100, -30, -26, -25, 3480, 3481, -3400, 100,
                                                   -100, 1 << 33, 0xFFFF_FFFF)],
    "meta": [("bpf_xdp_adjust_meta", d) for d in (-4, -3, -32, -216, 4, 40, -212, -1 << 32,
                                                   -213, 100)],
    "mixed": [("bpf_xdp_adjust_meta", -8), ("bpf_xdp_adjust_head", -16),
              ("bpf_xdp_adjust_head", 30), ("bpf_xdp_adjust_meta", -200),
              ("bpf_xdp_adjust_head", -200), ("bpf_xdp_adjust_head", -4),
              ("bpf_xdp_adjust_tail", -2), ("bpf_xdp_adjust_meta", 8),
              ("bpf_xdp_adjust_head", 10), ("bpf_xdp_adjust_head", -10)],
}


@pytest.mark.kernel
@pytest.mark.parametrize("name", sorted(XDP_SEQUENCES))
def test_xdp_adjustments_as_the_kernel(bpf_ok, kernel_comparisons, name):
    text = xdp_sequence(XDP_SEQUENCES[name])
    with Oracle("xdp", text) as oracle:
        for packet in (IPV4, SHORT, PACKETS["odd"]):
            oracle.compare(packet, kernel_comparisons)
        meta = bytes(range(8)) + IPV4
        oracle.compare(meta, kernel_comparisons, xdp_ctx(meta, 8))


@pytest.mark.kernel
def test_xdp_load_and_store_bytes_as_the_kernel(bpf_ok, kernel_comparisons):
    calls = []
    for helper in ("bpf_xdp_load_bytes", "bpf_xdp_store_bytes"):
        for offset in (0, 10, 40, 54, 55, 0xFFFF, 0x10000, 0xFFFF_FFFF, 0x1_0000_0001):
            for size in (1, 8, 54):
                calls.append((helper, f"r2 = {offset:#x} ll\n{buffer(size)}\nr4 = {size}"))
    calls.append(("bpf_xdp_get_buff_len", ""))
    text = program(calls, "", prologue=fill(8, 0x1122334455667788))
    compare_all("xdp", text, [IPV4, SHORT, PACKETS["odd"]], kernel_comparisons)


# -- legacy loads ---------------------------------------------------------------------------------

SKF_NET_OFF, SKF_LL_OFF = -0x100000, -0x200000
LEGACY_OFFSETS = [0, 1, 12, 13, 39, 40, 46, 52, 53, 60, -1, SKF_NET_OFF, SKF_NET_OFF + 8,
                  SKF_NET_OFF + 39, SKF_NET_OFF - 1, SKF_LL_OFF, SKF_LL_OFF + 12, SKF_LL_OFF + 53,
                  SKF_LL_OFF + 54, SKF_LL_OFF - 1]


@pytest.mark.kernel
@pytest.mark.parametrize("prog_type", ["socket_filter", "sched_cls"])
@pytest.mark.parametrize("size", ["u8", "u16", "u32"])
def test_legacy_packet_loads_as_the_kernel(bpf_ok, kernel_comparisons, prog_type, size):
    for offset in LEGACY_OFFSETS:
        absolute = f"r6 = r1\nr0 = *({size} *)skb[{offset}]\nr0 += 1\nexit"
        indirect = (f"r6 = r1\nr7 = {offset - 5}\nr0 = *({size} *)skb[r7 + 5]\nr0 += 1\nexit")
        for text in (absolute, indirect):
            compare_all(prog_type, text, [IPV4, SHORT, PACKETS["802.3"]], kernel_comparisons)


@pytest.mark.kernel
def test_socket_cookies_are_non_zero_and_stable_within_a_run(bpf_ok, kernel_comparisons):
    text = "\n".join(["r6 = r1", "r1 = r6", "call bpf_get_socket_cookie", "r7 = r0",
                      "r1 = r6", "call bpf_get_socket_cookie", "r0 ^= r7", "if r0 != 0 goto bad",
                      "if r7 == 0 goto bad", "r0 = 1", "exit", "bad:", "r0 = 0", "exit"])
    for prog_type in ("socket_filter", "sched_cls", "cgroup_skb"):
        compare_all(prog_type, text, [IPV4, SHORT], kernel_comparisons)


# -- unit tests --------------------------------------------------------------------------------

def test_socket_cookies_differ_from_packet_to_packet():
    text = "r6 = r1\ncall bpf_get_socket_cookie\nexit"
    instance = ProgramInstance(assemble(text).program(), "tc")
    first, second = (instance.run_event(EventInput(packet=IPV4)).r0 for _ in range(2))
    assert first and second and first != second


def ones_complement_sum(words: list[int]) -> int:
    """The mathematical ones'-complement sum of 16-bit words (0xffff and 0 both zero)."""
    total = 0
    for word in words:
        total += word
        total = (total & 0xFFFF) + (total >> 16)
    return total


@settings(max_examples=200, deadline=None)
@given(st.binary(min_size=0, max_size=64).map(lambda b: b[:len(b) // 4 * 4]),
       st.integers(0, 0xFFFF_FFFF))
def test_csum_partial_folds_to_the_ones_complement_sum(data, seed):
    words = [int.from_bytes(data[i:i + 2], "little") for i in range(0, len(data), 2)]
    words += [seed & 0xFFFF, seed >> 16]
    expected = ones_complement_sum(words)
    folded = csum.csum_from32to16(csum.csum_partial(data, seed))
    assert folded % 0xFFFF == expected % 0xFFFF


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 0xFFFF), st.integers(0, 0xFFFF_FFFF), st.integers(0, 0xFFFF_FFFF))
def test_replacing_a_field_keeps_the_checksum_consistent(checksum, old, new):
    """Updating the checksum for old -> new equals recomputing it, modulo 0xffff."""
    updated = csum.csum_replace4(checksum, old, new)
    words = [~checksum & 0xFFFF, ~old & 0xFFFF, (~old >> 16) & 0xFFFF, new & 0xFFFF, new >> 16]
    assert (~updated & 0xFFFF) % 0xFFFF == ones_complement_sum(words) % 0xFFFF


def test_the_packet_helpers_fault_without_a_packet_context():
    machine = Machine.raw(assemble("r2 = 0\ncall bpf_skb_pull_data\nexit").program(),
                          helpers=implementations(ProgType.SCHED_CLS), helper_name=helper_name)
    event = machine.run()
    assert event.kind == "fault" and "needs a packet" in event.message


def test_a_helper_given_the_context_as_a_buffer_faults_as_the_verifier():
    text = "r6 = r1\nr2 = 0\nr3 = r6\nr4 = 4\ncall bpf_skb_load_bytes\nexit"
    result = ProgramInstance(assemble(text).program(), "tc").run_event(EventInput(packet=IPV4))
    assert result.exit["message"] == ("R3 type=ctx expected=fp, pkt, pkt_meta, map_key, "
                                      "map_value, mem, ringbuf_mem, buf, trusted_ptr_")


def test_a_helper_given_a_moved_context_pointer_faults_as_the_verifier():
    text = "r1 += 8\nr2 = 0\nr3 = r10\nr3 += -8\nr4 = 4\ncall bpf_skb_load_bytes\nexit"
    result = ProgramInstance(assemble(text).program(), "tc").run_event(EventInput(packet=IPV4))
    assert result.exit["message"] == "dereference of modified ctx ptr R1 off=8 disallowed"
    text = "r1 = r10\nr2 = 0\nr3 = r10\nr3 += -8\nr4 = 4\ncall bpf_skb_load_bytes\nexit"
    result = ProgramInstance(assemble(text).program(), "tc").run_event(EventInput(packet=IPV4))
    assert result.exit["message"] == "R1 type=fp expected=ctx"


def test_a_counter_map_sees_every_packet():
    spec = MapSpec(MapType.ARRAY, 4, 8, 1, name="n")
    counter = create_map(spec)
    text = ("r1 = 0\n*(u32 *)(r10 - 4) = r1\nr2 = r10\nr2 += -4\nr1 = map[idx:0]\n"
            "call bpf_map_lookup_elem\nif r0 == 0 goto out\nr1 = 1\n"
            "lock *(u64 *)(r0 + 0) += r1\nout:\nr0 = 2\nexit")
    instance = ProgramInstance(assemble(text).program(), "xdp", maps=[counter])
    for _ in range(3):
        instance.run_event(EventInput(packet=IPV4))
    assert counter.lookup(bytes(4)) == (3).to_bytes(8, "little")
