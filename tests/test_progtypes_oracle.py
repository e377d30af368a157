"""The kernel as the oracle for packet programs: one program, run by the playground and by
BPF_PROG_TEST_RUN on the same packets, must give the same answers.

``Oracle`` loads one assembled program twice: into the kernel (with real
maps) and into a ``ProgramInstance`` (with model maps of the same specs).
``compare(packet, ctx_in)`` runs both on one packet and checks, as the kernel
reports them: the return value (its low 32 bits, all test_run gives), the
output packet (``data_out``), the context (``ctx_out``), and every map's
contents. Maps persist across the packets of one Oracle on both sides.

In program text ``$m0``, ``$m1``... name the maps (the kernel's fds on one
side, indices on the other). Map 0 is an "out" array of one 1024-byte value,
where programs store what they read, so a comparison of maps compares every
value the program saw.

The tests here compare, for xdp, socket_filter, sched_cls, sched_act and
cgroup_skb, a program reading every field the type may read (narrow reads
too), writing every field it may write and reading them back, over packets of
every shape test_run accepts, with ctx_in variations, while a counter map
counts the packets.
"""

from __future__ import annotations

import struct

import pytest

from vm_service import kernel, progtypes
from vm_service.asm import assemble
from vm_service.events import EventInput
from vm_service.maps import MapSpec, MapType, create_map
from vm_service.progtypes.fields import Grant
from vm_service.runner import ProgramInstance

AVAILABLE, WHY = kernel.available()
OUT_SIZE = 1024
OUT = MapSpec(MapType.ARRAY, 4, OUT_SIZE, 1, name="out")
COUNTERS = MapSpec(MapType.ARRAY, 4, 8, 4, name="counters")
CTX_SIZES = {"xdp": 24, "socket_filter": 192, "sched_cls": 192, "sched_act": 192,
             "cgroup_skb": 192}
PACKET_TYPES = ("xdp", "socket_filter", "sched_cls", "sched_act", "cgroup_skb")


@pytest.fixture(scope="module")
def bpf_ok():
    if not AVAILABLE:
        pytest.skip(f"the kernel cannot serve as the oracle: {WHY}")


def mac(text: str) -> bytes:
    return bytes.fromhex(text.replace(":", ""))


def frame(dst: str, ethertype: int, payload: bytes) -> bytes:
    return mac(dst) + mac("02:00:00:00:00:01") + ethertype.to_bytes(2, "big") + payload


IPV4 = bytes.fromhex("45000030 1234 4000 4011 0000 c0a80001 c0a80002") \
    + bytes.fromhex("3039 0035 001c 0000") + bytes(range(20))
IPV6 = bytes.fromhex("60000000 0010 1140") + bytes(range(1, 17)) + bytes(range(0x21, 0x31)) \
    + bytes.fromhex("3039 0035 0010 0000") + bytes(8)

# Packets of every shape test_run takes: to the loopback address, broadcast, multicast,
# another host; IPv4, IPv6, ARP, raw 802.3 and 802.2; the shortest and odd lengths.
PACKETS = {
    "ipv4-host": frame("00:00:00:00:00:00", 0x0800, IPV4),
    "ipv4-broadcast": frame("ff:ff:ff:ff:ff:ff", 0x0800, IPV4[:20]),
    "ipv6-other": frame("02:00:00:00:00:02", 0x86DD, IPV6),
    "arp-multicast": frame("01:00:5e:00:00:01", 0x0806, bytes(range(28))),
    "802.3": frame("02:00:00:00:00:02", 60, b"\xff\xff" + bytes(43)),
    "802.2": frame("02:00:00:00:00:02", 60, b"\xaa\xaa\x03" + bytes(42)),
    "14-bytes": frame("00:00:00:00:00:00", 0x1234, b""),
    "odd": frame("02:00:00:00:00:03", 0x88B5, bytes(range(3, 40, 2))),
}


def skb_ctx(**fields) -> bytes:
    """A struct __sk_buff for ctx_in, with the named fields set."""
    table = progtypes.lookup("sched_cls").fields
    ctx = bytearray(192)
    for name, value in fields.items():
        f = table.by_name(name)
        ctx[f.offset:f.end] = value.to_bytes(f.size, "little") if isinstance(value, int) else value
    return bytes(ctx)


def xdp_ctx(packet: bytes, metalen: int = 0, ingress: int = 0) -> bytes:
    return struct.pack("<6I", metalen, len(packet), 0, ingress, 0, 0)


class Oracle:
    """One program in the kernel and in a ProgramInstance; ``compare`` runs both."""

    def __init__(self, prog_type: str, text: str, maps: tuple[MapSpec, ...] = (OUT, COUNTERS)):
        self.spec = progtypes.lookup(prog_type)
        self.maps = maps
        self.fds = [kernel.map_create(MapType(int(m.type)), m.key_size, m.value_size,
                                      m.max_entries, m.map_flags, name=m.name) for m in maps]
        ours = [create_map(m) for m in maps]
        self.instance = ProgramInstance(self.assemble(text, range(len(maps))), self.spec,
                                        maps=ours)
        code = self.assemble(text, self.fds).encode()
        self.loaded = kernel.prog_load(code, int(self.spec.prog_type),
                                       expected_attach_type=self.spec.expected_attach_type)
        if not self.loaded.ok:
            self.close()
            raise AssertionError(f"the kernel refused the program:\n{self.loaded.log}")

    @staticmethod
    def assemble(text: str, refs):
        for index, ref in enumerate(refs):
            text = text.replace(f"$m{index}", f"map[id:{ref}]")
        return assemble(text).program()

    def close(self) -> None:
        self.loaded.close()
        for fd in self.fds:
            kernel.close(fd)

    def __enter__(self) -> "Oracle":
        return self

    def __exit__(self, *_exc) -> None:
        self.close()

    def default_ctx(self, packet: bytes) -> bytes:
        return xdp_ctx(packet) if self.spec.name == "xdp" else bytes(192)

    def kernel_run(self, packet: bytes, ctx_in: bytes | None):
        ctx = self.default_ctx(packet) if ctx_in is None else ctx_in
        return kernel.test_run(self.loaded.fd, packet, ctx=ctx, data_out_size=len(packet) + 8192,
                               ctx_out_size=CTX_SIZES[self.spec.name])

    def compare(self, packet: bytes, kernel_comparisons, ctx_in: bytes | None = None,
                fast: bool = True):
        """Run both on ``packet``; assert every answer equal; the kernel's RunResult."""
        theirs = self.kernel_run(packet, ctx_in)
        ours = self.instance.run_event(EventInput(packet=packet), ctx_in=ctx_in, fast=fast)
        assert ours.exit["kind"] == "exit", ours.exit
        assert ours.r0 & 0xFFFF_FFFF == theirs.retval, (hex(ours.r0), hex(theirs.retval))
        assert ours.packet_out.hex() == theirs.data_out.hex()
        assert ours.ctx_out.hex() == theirs.ctx_out.hex()
        for index, (fd, model) in enumerate(zip(self.fds, self.instance.maps)):
            theirs_map = {key: kernel.map_lookup(fd, key) for key in kernel.map_keys(fd)}
            mine = dict(model.items())
            if index == 0:
                assert mine[bytes(4)].hex() == theirs_map[bytes(4)].hex()
            assert mine == theirs_map, f"map {index}"
        kernel_comparisons(4 + len(self.fds))
        return theirs


# -- a program reading every field ---------------------------------------------------------------

SIZES = {1: "u8", 2: "u16", 4: "u32", 8: "u64"}


def read_everything(prog_type: str) -> str:
    """Assembly storing every readable field (and narrow reads of it) into $m0's value.

    The value holds each field at its own offset, read at its own size; narrow
    reads go one u32 each from offset 256; packet pointers are stored as
    distances at 1000.
    """
    table = progtypes.lookup(prog_type).fields
    lines = ["r6 = r1", "r1 = 0", "*(u32 *)(r10 - 4) = r1", "r2 = r10", "r2 += -4",
             "r1 = $m0", "call bpf_map_lookup_elem", "if r0 != 0 goto found", "exit", "found:",
             "r7 = r0"]
    pointers = {}
    narrow = 256   # where the next narrow read's value goes, as a u32
    for f in table.fields:
        if f.read is Grant.NONE:
            continue
        if f.kind in ("data", "data_end", "data_meta"):
            pointers[f.kind] = f.offset
            continue
        if f.kind != "plain":
            continue
        step = f.size if f.size <= 8 else 4
        for at in range(f.offset, f.end, step):
            lines += [f"r1 = *({SIZES[step]} *)(r6 + {at})", f"*({SIZES[step]} *)(r7 + {at}) = r1"]
        if f.read is Grant.NARROW:
            for size in (1, 2, 4):
                if size < min(f.size, 8):
                    at = f.offset + min(f.size, 8) - size   # the high end: the hard case
                    lines += [f"r1 = *({SIZES[size]} *)(r6 + {at})",
                              f"*(u32 *)(r7 + {narrow}) = r1"]
                    narrow += 4
    if pointers:
        lines += [f"r2 = *(u32 *)(r6 + {pointers['data']})",
                  f"r3 = *(u32 *)(r6 + {pointers['data_end']})",
                  "r3 -= r2", "*(u32 *)(r7 + 1000) = r3"]
        if "data_meta" in pointers:
            lines += [f"r4 = *(u32 *)(r6 + {pointers['data_meta']})", "r2 -= r4",
                      "*(u32 *)(r7 + 1004) = r2"]
    lines += ["r1 = 0", "*(u32 *)(r10 - 4) = r1", "r2 = r10", "r2 += -4", "r1 = $m1",
              "call bpf_map_lookup_elem", "if r0 == 0 goto out", "r1 = 1",
              "lock *(u64 *)(r0 + 0) += r1", "out:", "r0 = *(u32 *)(r7 + 0)", "r0 += 1"]
    if prog_type == "cgroup_skb":   # the verifier wants 0 or 1 back
        lines.append("r0 &= 1")
    return "\n".join(lines + ["exit"])


CTX_INS = {
    "none": None,
    "fields": skb_ctx(mark=0xA1B2C3D4, priority=7, ingress_ifindex=1, ifindex=1,
                      cb=bytes(range(1, 21)), tstamp=0x1122334455667788, gso_segs=3,
                      gso_size=1400, hwtstamp=99),
    "wire_len": skb_ctx(wire_len=1500),
}


@pytest.mark.kernel
@pytest.mark.parametrize("prog_type", PACKET_TYPES)
def test_every_readable_field_reads_as_in_the_kernel(bpf_ok, kernel_comparisons, prog_type):
    with Oracle(prog_type, read_everything(prog_type)) as oracle:
        for name, packet in PACKETS.items():
            if prog_type == "xdp":
                oracle.compare(packet, kernel_comparisons)
                continue
            for ctx_name, ctx in CTX_INS.items():
                if ctx_name == "wire_len" and len(packet) > 1500:
                    continue
                oracle.compare(packet, kernel_comparisons, ctx)


@pytest.mark.kernel
@pytest.mark.parametrize("metalen", [0, 4, 32, 216])
def test_xdp_metadata_from_ctx_in_reads_as_in_the_kernel(bpf_ok, kernel_comparisons, metalen):
    packet = bytes(range(256))[:metalen] + PACKETS["ipv4-host"]
    with Oracle("xdp", read_everything("xdp")) as oracle:
        oracle.compare(packet, kernel_comparisons, xdp_ctx(packet, metalen))
        oracle.compare(packet, kernel_comparisons, xdp_ctx(packet, metalen, ingress=1))


WRITES = {
    # prog_type: (field, size, values written with stx, then with st)
    "sched_cls": [("mark", 4), ("priority", 4), ("tc_index", 4), ("queue_mapping", 4),
                  ("tc_classid", 4), ("tstamp", 8)],
    "cgroup_skb": [("mark", 4), ("priority", 4), ("tstamp", 8)],
}
WRITE_VALUES = [0, 1, 0x1234, 0xFFFE, 0xFFFF, 0x10000, 0x12345678, -1, -2, 0x1_0000_0005]


def write_program(prog_type: str, field: str, size: int, value: int, immediate: bool) -> str:
    f = progtypes.lookup(prog_type).fields.by_name(field)
    store = (f"*({SIZES[size]} *)(r6 + {f.offset}) = {value}" if immediate else
             f"r1 = {value & (1 << 64) - 1:#x} ll\n*({SIZES[size]} *)(r6 + {f.offset}) = r1")
    return "\n".join(["r6 = r1", store, "r1 = 0", "*(u32 *)(r10 - 4) = r1", "r2 = r10",
                      "r2 += -4", "r1 = $m0", "call bpf_map_lookup_elem",
                      "if r0 == 0 goto out", f"r1 = *({SIZES[size]} *)(r6 + {f.offset})",
                      f"*({SIZES[size]} *)(r0 + 0) = r1", "out:", "r0 = 1", "exit"])


@pytest.mark.kernel
@pytest.mark.parametrize("prog_type", sorted(WRITES))
def test_writable_fields_keep_what_the_kernel_keeps(bpf_ok, kernel_comparisons, prog_type):
    packet = PACKETS["ipv4-host"]
    for field, size in WRITES[prog_type]:
        for value in WRITE_VALUES:
            for immediate in (False, True):
                if immediate and not -(1 << 31) <= value < 1 << 31:
                    continue
                text = write_program(prog_type, field, size, value, immediate)
                with Oracle(prog_type, text) as oracle:
                    oracle.compare(packet, kernel_comparisons, CTX_INS["fields"])


CB_WRITES = "\n".join([
    "r6 = r1", "*(u8 *)(r6 + 49) = 0x7f", "r1 = -2", "*(u16 *)(r6 + 54) = r1",
    "r1 = 0x1122334455667788 ll", "*(u64 *)(r6 + 56) = r1", "*(u32 *)(r6 + 64) = -3",
    "r0 = *(u32 *)(r6 + 48)", "r1 = *(u64 *)(r6 + 48)", "r0 ^= r1", "r1 = *(u8 *)(r6 + 63)",
    "r0 += r1", "r0 &= 1", "exit"])


@pytest.mark.kernel
@pytest.mark.parametrize("prog_type", ["socket_filter", "sched_cls", "cgroup_skb"])
def test_cb_takes_writes_of_every_size_as_in_the_kernel(bpf_ok, kernel_comparisons, prog_type):
    with Oracle(prog_type, CB_WRITES) as oracle:
        oracle.compare(PACKETS["odd"], kernel_comparisons, CTX_INS["fields"])
        oracle.compare(PACKETS["odd"], kernel_comparisons)


DIRECT_PACKET = """
r6 = r1
r2 = *(u32 *)(r6 + 0)
r3 = *(u32 *)(r6 + 4)
r4 = r2
r4 += 20
if r4 > r3 goto out
r5 = *(u8 *)(r2 + 13)
r5 += 1
*(u8 *)(r2 + 13) = r5
r5 = *(u32 *)(r2 + 0)
*(u32 *)(r2 + 16) = r5
r0 = *(u16 *)(r2 + 12)
exit
out:
r0 = 99
exit
"""


@pytest.mark.kernel
@pytest.mark.parametrize("prog_type", ["xdp", "sched_cls"])
def test_direct_packet_writes_come_out_as_in_the_kernel(bpf_ok, kernel_comparisons, prog_type):
    text = DIRECT_PACKET
    if prog_type == "sched_cls":
        text = text.replace("(r6 + 0)", "(r6 + 76)").replace("(r6 + 4)", "(r6 + 80)")
    with Oracle(prog_type, text) as oracle:
        for packet in PACKETS.values():
            oracle.compare(packet, kernel_comparisons)


def test_the_oracle_programs_assemble_for_every_packet_type():
    for prog_type in PACKET_TYPES:
        program = Oracle.assemble(read_everything(prog_type), range(2))
        assert len(program) > 20
