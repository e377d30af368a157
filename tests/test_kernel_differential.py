"""The Machine against the live kernel: same program, same inputs, same result.

The kernel is the reference (``vm_service.kernel``: bpf(2) ``BPF_PROG_LOAD`` and
``BPF_PROG_TEST_RUN``). Every test here loads a program into the kernel as a
socket filter, runs it once, and compares what it observed with a Machine run
of the same instructions. A disagreement is a bug in the Machine.

Seeing all of r0 (and more)
    ``BPF_PROG_TEST_RUN`` reports only the low 32 bits of r0. So the kernel's
    copy of a program writes its results into an array map through a direct
    map-value pointer (ld_imm64 with src_reg=2, ``BPF_PSEUDO_MAP_VALUE``) and
    returns 0; the test reads the map back. A pointer from ld_imm64 needs no
    helper call, so nothing is clobbered before it is saved, and one run suffices.

    * Generated and edge-case programs end in a *dump*: r9 is spilled to the
      bottom stack slot (fp-512, which the programs never use), r0-r9 and the
      test's eight stack slots (fp-64..fp-1) are copied into the map value. The
      Machine runs the same program ending in a plain ``exit`` and its registers
      and stack are read directly. Forward jumps to "the end" land on the dump in
      the kernel's copy and on the exit in the Machine's: same offsets.
    * Conformance vectors can have several exits and their own subprograms, so
      they are wrapped instead: a small main function sets r1/r2 as the
      conformance convention wants, calls the vector as a bpf-to-bpf subprogram
      (its exits return to the caller), stores the returned r0 into the map and
      returns 0. Their memory is an array-map value (r1 = its address, r2 = its
      length), read back after the run.
    * Legacy packet loads (LD_ABS/LD_IND) clobber r1-r5 and return at most 32
      bits, so their programs just exit and the retval is compared.

Registers are all initialised with ld_imm64 first (the verifier refuses reads of
uninitialised registers), stack slots with 8-byte stores. Encodings the verifier
refuses for reasons that are not semantics are never generated: division by an
immediate 0, shifts by an immediate >= the width, backward jumps, unreachable
code. Division by a register holding 0 and shifts by large register values are
runtime semantics, and are drawn on purpose.

Each kernel comparison is counted with the ``kernel_comparisons`` fixture of
``tests/conftest.py``. Without a usable bpf() every test here skips, naming why
(under ``CI=true`` the conftest turns those skips into failures).
"""

from __future__ import annotations

import errno
import itertools
import struct
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.conformance_data import conformance_root, vectors
from vm_service import kernel
from vm_service.errors import VmError
from vm_service.isa import Instruction, encode, make
from vm_service.machine import Machine
from vm_service.opcodes import OPCODES, CallKind, Kind, OpSpec, Pseudo
from vm_service.program import Program
from vm_service.semantics import MASK32, MASK64, to_signed

AVAILABLE, WHY = kernel.available()

ROWS: dict[str, OpSpec] = {row.name: row for row in OPCODES}
FP = 10
NREGS = 10                 # r0..r9 are compared; r10 is the frame pointer
SLOTS = 8                  # stack slots fp-8 .. fp-64 used by the programs
STACK_BYTES = 8 * SLOTS
SPILL = -512               # where the kernel's dump spills r9; never used by a program
DUMP_SIZE = 8 * NREGS + STACK_BYTES
PACKET = bytes(64)         # test_run data for a socket filter (at least ETH_HLEN)
KEY0 = struct.pack("<I", 0)


def op(name: str, dst: int = 0, src: int = 0, off: int | None = None, imm: int | None = None,
       next_imm: int = 0) -> Instruction:
    """An instruction of the table row called ``name`` (``"sdiv32 reg"``, ``"lock cmpxchg"``)."""
    return make(ROWS[name], dst, src, off, imm, next_imm)


def lddw(dst: int, value: int) -> Instruction:
    value &= MASK64
    return op("lddw", dst, imm=to_signed(value, 32), next_imm=to_signed(value >> 32, 32))


def map_value(dst: int, map_fd: int, offset: int = 0) -> Instruction:
    """dst = &value[0] of an array map, + offset (ld_imm64, BPF_PSEUDO_MAP_VALUE)."""
    return op("lddw", dst, Pseudo.MAP_VALUE, imm=map_fd, next_imm=offset)


def listing(instructions) -> str:
    """One line per instruction, numbered by slot; enough to read a failing case."""
    lines, pc = [], 0
    for insn in instructions:
        fields = [] if "dst" in insn.spec.zero else [f"r{insn.dst}"]
        if insn.spec.uses_src_reg or insn.src:
            fields.append(f"src=r{insn.src}")
        if insn.off:
            fields.append(f"off={insn.off}")
        if insn.spec.kind is Kind.LDDW:
            fields.append(f"imm64={insn.imm64:#x}")
        elif insn.imm or (insn.spec.imm is None and "imm" not in insn.spec.zero):
            fields.append(f"imm={insn.imm}")
        lines.append(f"{pc:4}: {insn.spec.name:<18} {' '.join(fields)}")
        pc += insn.slots
    return "\n".join(lines)


# -- a test case: initial state and a body ------------------------------------

@dataclass(frozen=True)
class Case:
    """Initial r0-r9, initial stack slots (fp-8 first), and the instructions to run."""

    regs: tuple[int, ...]
    slots: tuple[int, ...]
    body: tuple[Instruction, ...]

    def preamble(self) -> list[Instruction]:
        out: list[Instruction] = []
        for k, value in enumerate(self.slots, start=1):
            out += [lddw(0, value), op("stxdw", FP, 0, off=-8 * k)]
        return out + [lddw(reg, value) for reg, value in enumerate(self.regs)]

    def __repr__(self) -> str:
        regs = " ".join(f"r{i}={v:#x}" for i, v in enumerate(self.regs))
        slots = " ".join(f"fp-{8 * k}={v:#x}" for k, v in enumerate(self.slots, start=1))
        return f"Case(\n  {regs}\n  {slots}\n{listing(self.body)}\n)"

    def _repr_pretty_(self, printer, cycle) -> None:  # how hypothesis prints an example
        printer.text(repr(self))


DEFAULT_REGS = tuple((0x0123_4567_89AB_CDEF * (i + 3)) & MASK64 for i in range(NREGS))
DEFAULT_SLOTS = tuple((0xFEDC_BA98_7654_3210 ^ (0x1111_1111_1111_1111 * k)) & MASK64
                      for k in range(1, SLOTS + 1))


def case(body: list[Instruction], **regs: int) -> Case:
    """A Case with default registers and slots; ``r3=5`` overrides one register."""
    values = list(DEFAULT_REGS)
    for name, value in regs.items():
        values[int(name.removeprefix("r"))] = value & MASK64
    return Case(tuple(values), DEFAULT_SLOTS, tuple(body))


@dataclass(frozen=True)
class Snapshot:
    """What a run leaves behind: r0-r9 and the stack bytes fp-64 .. fp-1."""

    regs: tuple[int, ...]
    stack: bytes

    def differences(self, other: "Snapshot") -> list[str]:
        out = [f"r{i}: machine {a:#x}, kernel {b:#x}"
               for i, (a, b) in enumerate(zip(self.regs, other.regs)) if a != b]
        for k in range(1, SLOTS + 1):
            mine, theirs = self.slot(k), other.slot(k)
            if mine != theirs:
                out.append(f"fp-{8 * k}: machine {mine.hex()}, kernel {theirs.hex()}")
        return out

    def slot(self, k: int) -> bytes:
        start = STACK_BYTES - 8 * k
        return self.stack[start:start + 8]


def machine_snapshot(c: Case) -> Snapshot:
    program = Program.from_instructions([*c.preamble(), *c.body, op("exit")])
    machine = Machine.raw(program)
    event = machine.run()
    assert event.kind == "exit", f"the Machine ended with {event}\n{c!r}"
    return Snapshot(tuple(machine.regs[:NREGS]), bytes(machine.stack.data[-STACK_BYTES:]))


# -- the kernel side -------------------------------------------------------------

class Oracle:
    """Loads and runs programs in the kernel; owns the map the results land in."""

    def __init__(self) -> None:
        self.dump_fd = kernel.map_create(kernel.MapType.ARRAY, 4, DUMP_SIZE, 1, name="pg_dump")

    def close(self) -> None:
        kernel.close(self.dump_fd)

    def dump(self) -> list[Instruction]:
        """Copy r0-r9 and the stack slots into the dump map, then return 0."""
        value = 9
        out = [op("stxdw", FP, value, off=SPILL), map_value(value, self.dump_fd)]
        out += [op("stxdw", value, reg, off=8 * reg) for reg in range(9)]
        out += [op("ldxdw", 8, FP, off=SPILL), op("stxdw", value, 8, off=8 * 9)]
        for k in range(1, SLOTS + 1):
            out += [op("ldxdw", 8, FP, off=-8 * k),
                    op("stxdw", value, 8, off=8 * NREGS + STACK_BYTES - 8 * k)]
        return out + [op("mov imm", 0, imm=0), op("exit")]

    def run(self, code: bytes) -> kernel.LoadResult | int:
        """Load and run once; the rejection if the verifier refuses, else the 32-bit retval."""
        kernel.map_update(self.dump_fd, KEY0, bytes(DUMP_SIZE))
        loaded = kernel.prog_load(code, kernel.ProgType.SOCKET_FILTER)
        if not loaded.ok:
            return loaded
        with loaded:
            return kernel.test_run(loaded.fd, PACKET).retval

    def snapshot(self, c: Case) -> Snapshot:
        instructions = [*c.preamble(), *c.body, *self.dump()]
        outcome = self.run(encode(instructions))
        assert not isinstance(outcome, kernel.LoadResult), (
            f"the kernel's verifier refused a generated program (a generator bug):\n{c!r}\n"
            f"errno {outcome.errno}, verifier log:\n{outcome.log}")
        assert outcome == 0, f"the dump returns 0, the kernel returned {outcome}"
        data = kernel.map_lookup(self.dump_fd, KEY0)
        regs = struct.unpack_from(f"<{NREGS}Q", data)
        return Snapshot(regs, data[8 * NREGS:])

    def call_wrapped(self, code: bytes, mem_fd: int | None,
                     mem_len: int) -> kernel.LoadResult | int:
        """Run ``code`` as a subprogram with r1 = mem (or 0), r2 = len; returns r0 (64 bits)."""
        r1 = map_value(1, mem_fd) if mem_fd is not None else op("mov imm", 1, imm=0)
        head = [r1, op("mov imm", 2, imm=mem_len)]
        tail = [map_value(6, self.dump_fd), op("stxdw", 6, 0, off=0),
                op("mov imm", 0, imm=0), op("exit")]
        call_pc = sum(i.slots for i in head)
        after_call = call_pc + 1 + sum(i.slots for i in tail)
        call = op("call", src=CallKind.LOCAL, imm=after_call - call_pc - 1)
        outcome = self.run(encode([*head, call, *tail]) + code)
        if isinstance(outcome, kernel.LoadResult):
            return outcome
        assert outcome == 0, f"the wrapper returns 0, the kernel returned {outcome}"
        return struct.unpack_from("<Q", kernel.map_lookup(self.dump_fd, KEY0))[0]


@pytest.fixture(scope="module")
def oracle():
    """The kernel side; every test that uses it is a kernel test and skips without bpf()."""
    if not AVAILABLE:
        pytest.skip(f"the kernel cannot serve as the oracle: {WHY}")
    oracle = Oracle()
    yield oracle
    oracle.close()


def compare(oracle: Oracle, c: Case, kernel_comparisons) -> None:
    mine = machine_snapshot(c)
    theirs = oracle.snapshot(c)
    kernel_comparisons()
    differences = mine.differences(theirs)
    assert not differences, ("the Machine disagrees with the kernel:\n  "
                             + "\n  ".join(differences) + f"\n{c!r}")


# -- the wrapper itself ----------------------------------------------------------------

@pytest.mark.kernel
def test_a_verifier_rejection_comes_back_with_its_log(oracle):
    loaded = kernel.prog_load(encode([op("exit")]))
    assert (loaded.fd, loaded.errno) == (None, errno.EACCES)
    assert "R0 !read_ok" in loaded.log.splitlines()
    with pytest.raises(kernel.KernelError) as raised:
        loaded.check()
    assert (raised.value.errno, raised.value.log) == (errno.EACCES, loaded.log)


@pytest.mark.kernel
def test_a_log_too_big_for_the_first_buffer_is_fetched_whole(oracle):
    body = [op("mov imm", 0, imm=0)] + [op("add imm", 0, imm=1)] * 3000 + [op("exit")]
    with kernel.prog_load(encode(body), log_level=kernel.LogLevel.EVERY_INSN) as loaded:
        assert loaded.ok
        assert len(loaded.log) > kernel.LOG_SIZE_START
        assert loaded.log.splitlines()[-1].startswith("processed 3002 insns")


@pytest.mark.kernel
def test_test_run_reports_only_the_low_half_of_r0(oracle):
    with kernel.prog_load(encode([lddw(0, 0x1_0000_0005), op("exit")])) as loaded:
        assert kernel.test_run(loaded.fd, PACKET).retval == 5  # hence the dump map


@pytest.mark.kernel
def test_map_values_round_trip(oracle):
    fd = kernel.map_create(kernel.MapType.HASH, 4, 8, 4, name="pg_test")
    try:
        assert kernel.map_lookup(fd, KEY0) is None
        kernel.map_update(fd, KEY0, bytes(range(8)))
        assert kernel.map_lookup(fd, KEY0) == bytes(range(8))
        with pytest.raises(kernel.KernelError) as raised:
            kernel.map_update(fd, KEY0, bytes(8), kernel.UpdateFlag.NOEXIST)
        assert raised.value.errno == errno.EEXIST
    finally:
        kernel.close(fd)


# -- deterministic edge cases -------------------------------------------------------

INT64_MIN = 1 << 63
INT32_MIN = 1 << 31
MINUS1 = MASK64
HIGH = 0xDEAD_BEEF_0000_0000  # garbage in the upper half, to see zero-extension

EDGE_CASES = {
    # signed division overflow: INT_MIN / -1 and INT_MIN % -1
    "sdiv64 INT64_MIN / -1 reg": case([op("sdiv reg", 0, 1)], r0=INT64_MIN, r1=MINUS1),
    "sdiv64 INT64_MIN / -1 imm": case([op("sdiv imm", 0, imm=-1)], r0=INT64_MIN),
    "smod64 INT64_MIN % -1 reg": case([op("smod reg", 0, 1)], r0=INT64_MIN, r1=MINUS1),
    "smod64 INT64_MIN % -1 imm": case([op("smod imm", 0, imm=-1)], r0=INT64_MIN),
    "sdiv32 INT32_MIN / -1 reg": case([op("sdiv32 reg", 0, 1)], r0=HIGH | INT32_MIN, r1=MINUS1),
    "sdiv32 INT32_MIN / -1 imm": case([op("sdiv32 imm", 0, imm=-1)], r0=HIGH | INT32_MIN),
    "smod32 INT32_MIN % -1 reg": case([op("smod32 reg", 0, 1)], r0=HIGH | INT32_MIN, r1=MINUS1),
    "smod32 INT32_MIN % -1 imm": case([op("smod32 imm", 0, imm=-1)], r0=HIGH | INT32_MIN),
    "sdiv64 negative / positive truncates": case([op("sdiv imm", 0, imm=3)], r0=-7),
    "smod64 negative % positive keeps sign": case([op("smod imm", 0, imm=3)], r0=-7),
    "smod32 positive % negative": case([op("smod32 imm", 0, imm=-3)], r0=HIGH | 7),
    # division and modulo by a register holding zero
    "div64 x / 0": case([op("div reg", 0, 1)], r0=12345, r1=0),
    "div32 x / 0 (zero low half)": case([op("div32 reg", 0, 1)], r0=HIGH | 77, r1=HIGH),
    "sdiv64 x / 0": case([op("sdiv reg", 0, 1)], r0=-5, r1=0),
    "sdiv32 x / 0": case([op("sdiv32 reg", 0, 1)], r0=HIGH | 5, r1=0),
    "mod64 x % 0": case([op("mod reg", 0, 1)], r0=HIGH | 99, r1=0),
    "mod32 x % 0 zero-extends dst": case([op("mod32 reg", 0, 1)], r0=HIGH | 99, r1=HIGH),
    "smod64 x % 0": case([op("smod reg", 0, 1)], r0=-99, r1=0),
    "smod32 x % 0 zero-extends dst": case([op("smod32 reg", 0, 1)], r0=HIGH | 0xFFFF_FF9D, r1=0),
    "mod32 x % 0 into another register": case([op("mod32 reg", 3, 4)], r3=MINUS1, r4=0),
    # shifts by register amounts at and past the width
    **{f"{name} by {amount}": case([op(f"{name} reg", 0, 1)], r0=0x8123_4567_89AB_CDEF, r1=amount)
       for name in ("lsh", "rsh", "arsh", "lsh32", "rsh32", "arsh32")
       for amount in (31, 32, 33, 63, 64, 65, 127, 0xFFFF_FFFF, HIGH | 1)},
    "arsh64 imm 63 of negative": case([op("arsh imm", 0, imm=63)], r0=INT64_MIN | 5),
    "arsh32 imm 31 of negative": case([op("arsh32 imm", 0, imm=31)], r0=HIGH | INT32_MIN),
    "arsh32 ignores the upper half": case([op("arsh32 imm", 0, imm=4)], r0=0xFFFF_FFFF_7000_0000),
    # sign-extending moves
    **{f"{name} from negative": case([op(f"{name} reg", 0, 1)], r0=HIGH, r1=0x1234_5678_89AB_CDEF)
       for name in ("movsx864", "movsx1664", "movsx3264", "movsx832", "movsx1632")},
    **{f"{name} from positive": case([op(f"{name} reg", 0, 1)], r0=HIGH, r1=0xFFFF_FFFF_7F7F_7F7F)
       for name in ("movsx864", "movsx1664", "movsx3264", "movsx832", "movsx1632")},
    "neg64 INT64_MIN": case([op("neg", 0)], r0=INT64_MIN),
    "neg32 INT32_MIN": case([op("neg32", 0)], r0=HIGH | INT32_MIN),
    "mov32 imm -1 zero-extends": case([op("mov32 imm", 0, imm=-1)], r0=HIGH),
    "mov64 imm -1 sign-extends": case([op("mov imm", 0, imm=-1)], r0=0),
    # byte swaps on values with high bits set
    **{f"{name} of 0x8877665544332211": case([op(name, 0)], r0=0x8877_6655_4433_2211)
       for name in ("le16", "le32", "le64", "be16", "be32", "be64",
                    "bswap16", "bswap32", "bswap64")},
    # compare-and-exchange, both outcomes, both widths
    "cmpxchg64 success": case([op("lock cmpxchg", FP, 1, off=-8)], r0=DEFAULT_SLOTS[0], r1=42),
    "cmpxchg64 failure": case([op("lock cmpxchg", FP, 1, off=-8)], r0=7, r1=42),
    "cmpxchg32 success": case([op("lock cmpxchg32", FP, 1, off=-8)],
                              r0=HIGH | (DEFAULT_SLOTS[0] & MASK32), r1=HIGH | 42),
    "cmpxchg32 failure": case([op("lock cmpxchg32", FP, 1, off=-8)], r0=HIGH | 7, r1=42),
    "cmpxchg32 upper word": case([op("lock cmpxchg32", FP, 1, off=-4)],
                                 r0=DEFAULT_SLOTS[0] >> 32, r1=9),
    # fetch ops: the 32-bit forms zero-extend the fetched value into src
    **{f"{name} zero-extends": case([op(name, FP, 1, off=-16)], r1=HIGH | 0x8000_0001)
       for name in ("lock fetch add32", "lock fetch or32", "lock fetch and32",
                    "lock fetch xor32", "lock xchg32")},
    **{f"{name} 64": case([op(name, FP, 1, off=-16)], r1=0x8000_0000_0000_0001)
       for name in ("lock fetch add", "lock fetch or", "lock fetch and",
                    "lock fetch xor", "lock xchg")},
    "lock add32 leaves the other half": case([op("lock add32", FP, 1, off=-24)], r1=MINUS1),
    # sign-extending loads
    **{f"{name} of a negative byte pattern": case([op(name, 3, FP, off=-8)])
       for name in ("ldxsb", "ldxsh", "ldxsw", "ldxb", "ldxh", "ldxw", "ldxdw")},
    # stores of immediates sign-extend to the access size
    "stdw imm -1": case([op("stdw", FP, off=-32, imm=-1)]),
    "stw imm INT32_MIN": case([op("stw", FP, off=-28, imm=-(1 << 31))]),
    # 32-bit jumps look only at the lower half
    "jeq32 ignores the upper half": case([op("jeq32 reg", 1, 2, off=1), op("mov imm", 0, imm=1)],
                                         r0=0, r1=HIGH | 5, r2=5),
    "jsgt32 signed lower half": case([op("jsgt32 imm", 1, off=1, imm=0), op("mov imm", 0, imm=1)],
                                     r0=0, r1=0x0000_0001_8000_0000),
}


@pytest.mark.kernel
@pytest.mark.parametrize("c", EDGE_CASES.values(), ids=EDGE_CASES.keys())
def test_edge_case_matches_the_kernel(oracle, kernel_comparisons, c):
    compare(oracle, c, kernel_comparisons)


# -- legacy packet loads -----------------------------------------------------------------

# BPF_PROG_TEST_RUN gives a socket filter the data minus its Ethernet header: the
# skb starts at the network header. The Machine's packet is that part. Offsets
# relative to the link-layer header (SKF_LL_OFF) are not compared: the kernel's
# test skb has one, the Machine's packet has none.
FRAME = bytes(range(0x10, 0x10 + 64))
NET = FRAME[kernel.ETH_HLEN:]
SKF_NET_OFF = -0x100000


def _offset(value: int) -> str:
    near = SKF_NET_OFF <= value < SKF_NET_OFF + 0x10000
    return f"SKF_NET_OFF{value - SKF_NET_OFF:+d}" if near else str(value)


LEGACY_CASES = {
    **{f"{name} {_offset(offset)}": [op(name, imm=offset)]
       for name, size in (("ldabsb", 1), ("ldabsh", 2), ("ldabsw", 4))
       for offset in (0, 1, len(NET) - size, len(NET) - size + 1, len(NET), -1, -size,
                      SKF_NET_OFF, SKF_NET_OFF + 3, SKF_NET_OFF + len(NET) - size,
                      SKF_NET_OFF + len(NET) - size + 1, SKF_NET_OFF - 2 * 0x100000 - 1,
                      (1 << 31) - 1, -(1 << 31))},
    **{f"{name} r7={src:#x} {offset:+d}": [lddw(7, src), op(name, src=7, imm=offset)]
       for name in ("ldindb", "ldindh", "ldindw")
       for src, offset in ((0, 0), (10, 2), (MINUS1, 1), (0xFFFF_FFFF, 3), (0x1_0000_0003, 0),
                           (len(NET) - 1, 0), (-5 & MASK64, 4), (SKF_NET_OFF & MASK64, 5),
                           (0x7FFF_FFFF, 1))},
}


@pytest.mark.kernel
@pytest.mark.parametrize("body", LEGACY_CASES.values(), ids=LEGACY_CASES.keys())
def test_legacy_packet_load_matches_the_kernel(oracle, kernel_comparisons, body):
    code = encode([op("mov reg", 6, 1), *body, op("exit")])  # LD_ABS wants the skb in r6
    machine = Machine.raw(Program.from_bytes(code), NET)
    event = machine.run()
    with kernel.prog_load(code) as loaded:
        assert loaded.ok, loaded.log
        retval = kernel.test_run(loaded.fd, FRAME).retval
    kernel_comparisons()
    assert event.kind == "exit", event
    assert event.r0 <= MASK32, "a legacy load yields at most 32 bits, all visible in retval"
    assert event.r0 == retval, f"machine {event.r0:#x}, kernel {retval:#x}\n{listing(body)}"


# -- generated programs --------------------------------------------------------------

# Table rows a generated program may contain, by how their operands are drawn, and
# the rows it may not, with the reason. A new row in the table must land in one.
ALU_ROWS = [r for r in OPCODES if r.kind is Kind.ALU and r.op != "addr_space_cast"]
COND_ROWS = [r for r in OPCODES if r.kind is Kind.JUMP and r.op not in ("ja", "may_goto")]
JA_ROWS = [r for r in OPCODES if r.kind is Kind.JUMP and r.op == "ja"]
MEMORY_ROWS = [r for r in OPCODES if r.kind in (Kind.LOAD, Kind.STORE, Kind.ATOMIC)]
LDDW_ROWS = [ROWS["lddw"]]
NOT_GENERATED = {
    "cast_kern": "needs an arena map",
    "cast_user": "needs an arena map",
    "may_goto": "a loop-budget construct: the kernel gives it a hidden stack slot",
    "call": "helpers and subprograms are not straight-line code",
    "exit": "every program ends in one (the Machine's) or in the dump (the kernel's)",
    **{name: "legacy packet loads clobber r1-r5, which the dump reads (see LEGACY_CASES)"
       for name in ("ldabsb", "ldabsh", "ldabsw", "ldindb", "ldindh", "ldindw")},
}
BODY_ROWS = ALU_ROWS + COND_ROWS + MEMORY_ROWS + LDDW_ROWS  # ja only inside if/else diamonds

SPECIAL64 = (0, 1, 2, 3, 7, 0x7F, 0x80, 0xFF, 0x7FFF, 0x8000, 0xFFFF, 31, 32, 33, 63, 64, 65,
             0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFF, 0x1_0000_0000, 0x1_0000_0001,
             0x7FFF_FFFF_FFFF_FFFF, INT64_MIN, MINUS1, MINUS1 - 1, 0xFFFF_FFFF_8000_0000,
             0x8000_0000_FFFF_FFFF, 0xFFFF_FFFF_0000_0000)
SPECIAL32 = (0, 1, -1, 2, 3, -3, 7, 31, 32, 63, 64, 0x7F, 0x80, -0x80, 0x7FFF, 0x8000, -0x8000,
             0xFFFF, 0x7FFF_FFFF, -(1 << 31))
VALUES = st.one_of(st.sampled_from(SPECIAL64), st.integers(0, MASK64),
                   st.integers(-300, 300).map(lambda v: v & MASK64))
IMM32 = st.one_of(st.sampled_from(SPECIAL32), st.integers(-(1 << 31), (1 << 31) - 1))
REG = st.integers(0, NREGS - 1)
MAX_BODY = 16


def free(spec: OpSpec, field: str) -> bool:
    """True if the row leaves ``field`` to the program (neither pinned nor reserved)."""
    return getattr(spec, field) is None and field not in spec.zero


def stack_offsets(size: int) -> st.SearchStrategy[int]:
    """Offsets of naturally aligned ``size``-byte accesses inside the initialised slots."""
    return st.builds(lambda k, j: -8 * k + j * size, st.integers(1, SLOTS),
                     st.integers(0, 8 // size - 1))


def alu_immediates(spec: OpSpec) -> st.SearchStrategy[int]:
    if spec.op in ("div", "sdiv", "mod", "smod"):
        return IMM32.filter(bool)  # an immediate 0 divisor is refused by the verifier
    if spec.op in ("lsh", "rsh", "arsh"):
        return st.integers(0, spec.width - 1)  # so is an immediate shift >= the width
    return IMM32


def operands(draw, spec: OpSpec) -> dict:
    kind = spec.kind
    if kind in (Kind.ALU, Kind.JUMP):
        fields = {"dst": draw(REG)}
        if spec.uses_src_reg:
            fields["src"] = draw(REG)
        if free(spec, "imm"):
            fields["imm"] = draw(alu_immediates(spec) if kind is Kind.ALU else IMM32)
        return fields
    if kind is Kind.LDDW:
        return {"dst": draw(REG), "imm": draw(IMM32), "next_imm": draw(IMM32)}
    offset = draw(stack_offsets(spec.width))
    if kind is Kind.LOAD or spec.op == "load_acquire":
        return {"dst": draw(REG), "src": FP, "off": offset}
    if spec.uses_src_reg:  # stx, atomics, store_release
        return {"dst": FP, "src": draw(REG), "off": offset}
    return {"dst": FP, "off": offset, "imm": draw(IMM32)}


@st.composite
def bodies(draw) -> tuple[Instruction, ...]:
    """Straight-line code with forward conditional jumps and if/else diamonds.

    Items are ``[row, fields, target]`` where target is an item index (the item
    count means "the end"); targets become slot offsets once lengths are known.
    An unconditional ``ja`` only appears as the jump over a diamond's else-arm,
    which the diamond's condition reaches, so no code is unreachable.
    """
    items: list[list] = []

    def plain() -> list:
        spec = draw(st.sampled_from(BODY_ROWS))
        return [spec, operands(draw, spec), None]

    length = draw(st.integers(1, MAX_BODY))
    while len(items) < length:
        if draw(st.integers(0, 7)):
            items.append(plain())
            continue
        start = len(items)
        cond = draw(st.sampled_from(COND_ROWS))
        then_arm = [plain() for _ in range(draw(st.integers(0, 3)))]
        else_arm = [plain() for _ in range(draw(st.integers(0, 3)))]
        else_start = start + 1 + len(then_arm) + 1
        items.append([cond, operands(draw, cond), else_start])
        items += then_arm
        items.append([draw(st.sampled_from(JA_ROWS)), {}, else_start + len(else_arm)])
        items += else_arm
    for index, item in enumerate(items):
        if item[0].kind is Kind.JUMP and item[2] is None:
            item[2] = draw(st.integers(index + 1, len(items)))
    starts = list(itertools.accumulate((2 if spec.kind is Kind.LDDW else 1
                                        for spec, _, _ in items), initial=0))
    body = []
    for index, (spec, fields, target) in enumerate(items):
        if target is not None:
            delta = starts[target] - starts[index] - 1
            fields["off" if free(spec, "off") else "imm"] = delta  # gotol: imm
        body.append(make(spec, **fields))
    return tuple(body)


@st.composite
def cases(draw) -> Case:
    """Random initial registers and stack slots, then a generated body."""
    return Case(draw(st.tuples(*[VALUES] * NREGS)), draw(st.tuples(*[VALUES] * SLOTS)),
                draw(bodies()))


def test_every_table_row_is_generated_or_excluded_for_a_reason():
    drawn = {row.name for row in BODY_ROWS + JA_ROWS}
    unaccounted = sorted(row.name for row in OPCODES
                         if row.name not in drawn and row.name not in NOT_GENERATED)
    assert not unaccounted, f"rows neither generated nor excluded: {unaccounted}"
    assert not drawn & NOT_GENERATED.keys()


@pytest.mark.kernel
@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(c=cases())
@example(c=case([op("div reg", 0, 1), op("mod32 reg", 2, 3)], r1=0, r3=HIGH))
def test_generated_program_matches_the_kernel(oracle, kernel_comparisons, c):
    compare(oracle, c, kernel_comparisons)


# -- the conformance vectors ------------------------------------------------------------

# Vectors whose meaning is not the kernel's, so there is nothing to compare.
NOT_COMPARABLE = {
    "call_unwind_fail": "calls helper 5, which bpf_conformance defines as 'unwind' and Linux as "
                        "bpf_ktime_get_ns",
}

# Vectors the kernel refuses to load, with the verifier's reason. Shifts by an
# immediate outside [0, width) are refused at verification; at run time (raw mode)
# the Machine masks them like the interpreters the suite was written for.
KERNEL_REFUSES = {
    **{name: f"invalid shift {amount}" for name, amount in (
        ("arsh32-imm-high", 48), ("arsh32-imm-neg", -16), ("arsh64-imm-high", 124),
        ("arsh64-imm-neg", -4), ("lsh32-imm-high", 60), ("lsh32-imm-neg", -4),
        ("lsh64-imm-high", 68), ("lsh64-imm-neg", -60), ("rsh32-imm-high", 40),
        ("rsh32-imm-neg", -24), ("rsh64-imm-high", 68), ("rsh64-imm-neg", -60))},
    "callx": "unknown opcode 8d",  # the Machine's decoder refuses it too
}

CONFORMANCE = vectors("bpf_conformance")
CONFORMANCE_PARAMS = [pytest.param(v, id=v["name"]) for v in CONFORMANCE
                      if v["name"] not in NOT_COMPARABLE] or [
    pytest.param(None, id="missing", marks=pytest.mark.skip(
        reason=f"no conformance vectors in {conformance_root() / 'bpf_conformance'} "
               f"(set PLAYGROUND_CONFORMANCE)"))]


@dataclass(frozen=True)
class Outcome:
    """r0 and the conformance memory after a run, or why there was no run."""

    r0: int | None
    mem: bytes
    refused: str | None = None


def machine_outcome(code: bytes, mem: bytes) -> Outcome:
    try:
        program = Program.from_bytes(code)
    except VmError as error:
        return Outcome(None, mem, refused=str(error))
    machine = Machine.raw(program, mem)
    event = machine.run()
    if event.kind != "exit":
        return Outcome(None, mem, refused=f"{event.kind}: {event.message}")
    region = next((r for r in machine.memory.regions if r.name == "mem"), None)
    return Outcome(event.r0, bytes(region.data) if region else b"")


def kernel_outcome(oracle: Oracle, code: bytes, mem: bytes) -> Outcome:
    mem_fd = None
    if mem:
        mem_fd = kernel.map_create(kernel.MapType.ARRAY, 4, len(mem), 1, name="pg_mem")
    try:
        if mem_fd is not None:
            kernel.map_update(mem_fd, KEY0, mem)
        result = oracle.call_wrapped(code, mem_fd, len(mem))
        after = kernel.map_lookup(mem_fd, KEY0) if mem_fd is not None else b""
    finally:
        if mem_fd is not None:
            kernel.close(mem_fd)
    if isinstance(result, kernel.LoadResult):
        return Outcome(None, mem, refused=result.log)
    return Outcome(result, after)


def test_conformance_exclusions_name_real_vectors():
    names = {v["name"] for v in CONFORMANCE}
    if not names:
        pytest.skip(f"no conformance vectors in {conformance_root() / 'bpf_conformance'}")
    assert not (NOT_COMPARABLE.keys() | KERNEL_REFUSES.keys()) - names


@pytest.mark.kernel
@pytest.mark.parametrize("vector", CONFORMANCE_PARAMS)
def test_conformance_vector_matches_the_kernel(oracle, kernel_comparisons, vector):
    name = vector["name"]
    code = bytes.fromhex(vector["program_hex"])
    mem = bytes.fromhex(vector["mem_hex"])
    theirs = kernel_outcome(oracle, code, mem)
    mine = machine_outcome(code, mem)
    if name in KERNEL_REFUSES:
        assert theirs.refused is not None, f"the kernel now accepts {name}: compare it"
        assert KERNEL_REFUSES[name] in theirs.refused.splitlines(), theirs.refused
        if mine.refused is None:
            return  # raw mode runs what the verifier refuses; nothing was compared
        kernel_comparisons()  # both refused: the verdicts agree
        return
    assert theirs.refused is None, f"the kernel refused {name}:\n{theirs.refused}"
    kernel_comparisons()
    assert mine.refused is None, f"the Machine did not exit ({mine.refused}); the kernel " \
                                 f"returned r0={theirs.r0:#x}"
    assert (mine.r0, mine.mem.hex()) == (theirs.r0, theirs.mem.hex()), name
