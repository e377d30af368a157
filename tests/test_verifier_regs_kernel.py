"""Differential tests: register and stack states printed as Linux's verifier prints them.

Each hand-written program (socket_filter and xdp, with an array, a hash map
and a ring buffer, a subprogram and a bpf_loop callback) comes with, for each instruction, the state change the
kernel's verifier makes, written by hand with the ``RegState`` constructors
and ``Stack.write``/``Stack.read`` (there is no transfer function for pointers
yet). The kernel loads the program with the every-instruction log; every
state it prints is compared, exactly, with ``state_text`` of our state. After
an instruction the kernel prints only the registers and slots the instruction
touched: those are taken from its line (which ones were touched is the
driver's business), their text is ours. The entry state, and the caller's
and callee's frames around a call, are printed whole. Nothing is normalised:
ids are set by hand where the kernel assigns them. Comparison stops where the
kernel turns to the other side of a branch (``from 8 to 28:``).
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass, field, replace
from typing import Callable

import pytest

from tests.support import require_bpf
from vm_service import kernel
from vm_service.asm import assemble
from vm_service.maps.base import MapType
from vm_service.verifier.regs import REG_COUNT, MapRef, RegState
from vm_service.verifier.scalar import Scalar
from vm_service.verifier.scalar_alu import AluOp, alu
from vm_service.verifier.stack import Stack
from vm_service.verifier.state_log import Scratched, state_text

INSN_LINE = re.compile(r"^(\d+): \([0-9a-f]{2}\) .*?(?:\s+;(?: (.*))?)?$")
STATE_LINE = re.compile(r"^(\d+): ((?:R\d+|fp-\d+|frame\d+:)\S*(?: \S+)*)$")

COUNTS = MapRef("counts", 4, 16)      # an array: lookups with a known index never give NULL
DATA = MapRef("data", 4, 16)          # a one-entry array: ld_imm64 of its value
HASH = MapRef("", 8, 4)               # a hash map without a name
EVENTS = MapRef("events", 0, 0)       # a ring buffer
U32_VALUE = Scalar.of_size(4)
U8_VALUE = Scalar.of_size(1)
SMALL = alu(AluOp.AND, U32_VALUE, Scalar.const(12))   # r7 &= 12


@dataclass
class Frame:
    """One hand-kept frame: registers and stack."""

    regs: list[RegState] = field(default_factory=lambda: [RegState.not_init()] * REG_COUNT)
    stack: Stack = Stack()


@dataclass
class State:
    """The test's hand-kept verifier state: frames (the last one runs) and references."""

    frames: list[Frame] = field(default_factory=list)
    refs: list[int] = field(default_factory=list)
    returned: Frame | None = None    # the callee that last returned, as it was

    @staticmethod
    def entry() -> "State":
        frame = Frame()
        frame.regs[1] = RegState.ctx()
        frame.regs[10] = RegState.frame_pointer()
        return State([frame])

    @property
    def regs(self) -> list[RegState]:
        return self.frames[-1].regs

    @property
    def stack(self) -> Stack:
        return self.frames[-1].stack

    @stack.setter
    def stack(self, stack: Stack) -> None:
        self.frames[-1].stack = stack

    def text(self, frame: Frame, scratched: Scratched | None = None) -> str:
        """``state_text`` of ``frame`` (a frame of this state, or the callee that returned)."""
        frameno = next(i for i, f in enumerate(self.frames + [self.returned]) if f is frame)
        return state_text(frame.regs, frame.stack, self.refs, frameno=frameno, scratched=scratched)


Step = Callable[[State], None]


def nothing(s: State) -> None:
    pass


def put(reg: int, value: RegState) -> Step:
    def step(s: State) -> None:
        s.regs[reg] = value
    return step


def copy(dst: int, src: int) -> Step:
    def step(s: State) -> None:
        s.regs[dst] = s.regs[src]
    return step


def move(reg: int, delta: int) -> Step:
    def step(s: State) -> None:
        s.regs[reg] = s.regs[reg].moved(delta)
    return step


def store(off: int, size: int, reg: int | None = None, imm: int | None = None) -> Step:
    def step(s: State) -> None:
        s.stack = s.stack.write(off, size, s.regs[reg] if reg is not None else None, imm=imm)
    return step


def load(dst: int, off: int, size: int) -> Step:
    def step(s: State) -> None:
        s.regs[dst] = s.stack.read(off, size)
        s.stack = s.stack.grown(-off)
    return step


def call(result: RegState, refs: list[int] | None = None) -> Step:
    """A helper call: r1-r5 are clobbered, r0 is the result."""
    def step(s: State) -> None:
        for reg in range(1, 6):
            s.regs[reg] = RegState.not_init()
        s.regs[0] = result
        if refs is not None:
            s.refs = refs
    return step


def each(*steps: Step) -> Step:
    def step(s: State) -> None:
        for one in steps:
            one(s)
    return step


def with_id(reg: int, id: int) -> Step:
    """The kernel gives a scalar an id when it is copied (``assign_scalar_id_before_mov``)."""
    def step(s: State) -> None:
        s.regs[reg] = RegState.scalar(s.regs[reg].var, id=id)
    return step


def not_null(*regs: int, slots: tuple[int, ...] = ()) -> Step:
    """The fall-through of ``if rX == 0``: every copy of the pointer is non-NULL."""
    def step(s: State) -> None:
        for reg in regs:
            s.regs[reg] = s.regs[reg].not_null()
        for off in slots:
            s.stack = s.stack.with_spilled(off, s.stack.read(off, 8).not_null())
    return step


def forget(off: int) -> Step:
    """Releasing a reference makes its spilled copies unknown scalars (``mark_reg_invalid``, root)."""
    def step(s: State) -> None:
        s.stack = s.stack.with_spilled(off, RegState.scalar())
    return step


def enter(s: State) -> None:
    """A call of a subprogram: r1-r5 move to a new frame, the caller's are cleared."""
    callee = Frame()
    for reg in range(1, 6):
        callee.regs[reg] = s.regs[reg]
        s.regs[reg] = RegState.not_init()
    callee.regs[10] = RegState.frame_pointer(len(s.frames))
    s.frames.append(callee)


def leave(s: State) -> None:
    """A subprogram's exit: its r0 goes back to the caller."""
    s.returned = s.frames.pop()
    s.regs[0] = s.returned.regs[0]


def linked_program(maps) -> tuple[kernel.ProgType, list[tuple[str, Step]]]:
    byte = alu(AluOp.AND, Scalar.unknown(), Scalar.const(0xff))
    plus5 = alu(AluOp.ADD, byte, Scalar.const(5))
    minus4 = alu(AluOp.ADD, plus5, Scalar.const(-9))
    return kernel.ProgType.SOCKET_FILTER, [
        ("call bpf_get_prandom_u32", call(RegState.scalar())),
        ("r6 = r0", each(with_id(0, 1), copy(6, 0))),
        ("r6 &= 0xff", put(6, RegState.scalar(byte))),
        ("r7 = r6", each(with_id(6, 2), copy(7, 6))),
        ("r7 += 5", put(7, RegState.scalar(plus5, id=2, delta=5))),
        ("r8 = r7", each(put(7, RegState.scalar(plus5, id=3)), copy(8, 7))),
        ("r8 += -9", put(8, RegState.scalar(minus4, id=3, delta=-9))),
        ("*(u64 *)(r10 - 8) = r7", store(-8, 8, reg=7)),
        ("*(u32 *)(r10 - 16) = r8", store(-16, 4, reg=8)),        # negative: 64 bits, the id goes
        ("*(u32 *)(r10 - 24) = r7", store(-24, 4, reg=7)),        # fits: a linked copy
        ("r0 = 0", put(0, RegState.const(0))),
        ("exit", nothing),
    ]


def subprog_program(maps) -> tuple[kernel.ProgType, list[tuple[str, Step]]]:
    return kernel.ProgType.SOCKET_FILTER, [
        ("r1 = r10", copy(1, 10)),
        ("r1 += -8", move(1, -8)),
        ("*(u64 *)(r10 - 8) = 0", store(-8, 8, imm=0)),
        ("r6 = 3", put(6, RegState.const(3))),
        ("call sub", enter),
        ("r0 = 0", put(0, RegState.const(0))),
        ("exit", nothing),
        ("sub: r2 = *(u64 *)(r1 + 0)", put(2, RegState.const(0))),     # the caller's spilled 0
        ("*(u64 *)(r10 - 16) = r1", store(-16, 8, reg=1)),            # fp[0]-8 in frame 1
        ("*(u32 *)(r10 - 24) = 7", store(-24, 4, imm=7)),
        ("r0 = 0", put(0, RegState.const(0))),
        ("exit", leave),
    ]


def callback_program(maps):
    """bpf_loop with a callback: a function pointer (the kernel wants BTF for its functions)."""
    return kernel.ProgType.SOCKET_FILTER, [
        ("*(u64 *)(r10 - 8) = 0", store(-8, 8, imm=0)),
        ("r1 = 4", put(1, RegState.const(4))),
        ("r2 = subprog[callback]", put(2, RegState.func(1))),
        ("r3 = r10", copy(3, 10)),
        ("r3 += -8", move(3, -8)),
        ("r4 = 0", put(4, RegState.const(0))),
        ("call bpf_loop", call(RegState.scalar())),
        ("r0 = 0", put(0, RegState.const(0))),
        ("exit", nothing),
        ("callback: r0 = 0", nothing),
        ("exit", nothing),
    ], [0, 10]


def functions_btf(count: int) -> bytes:
    """BTF with ``count`` functions ``int f<i>(void)``: what func_info records name."""
    int_kind, func_kind, proto_kind = 1, 12, 13
    names = [f"f{i}".encode() for i in range(count)]
    strings = b"\0int\0" + b"".join(name + b"\0" for name in names)
    types = struct.pack("<IIII", 1, int_kind << 24, 4, (1 << 24) | 32)     # 1: int
    types += struct.pack("<III", 0, proto_kind << 24, 1)                   # 2: int (void)
    offset = len(b"\0int\0")
    for name in names:                                                     # 3...: f<i>
        types += struct.pack("<III", offset, func_kind << 24, 2)
        offset += len(name) + 1
    header = struct.pack("<HBBIIIII", 0xEB9F, 1, 0, 24, 0, len(types), len(types), len(strings))
    return header + types + strings


def load_program(code: bytes, prog_type: kernel.ProgType, functions: list[int]) -> kernel.LoadResult:
    if not functions:
        return kernel.prog_load(code, prog_type, log_level=kernel.LogLevel.EVERY_INSN)
    btf_fd = kernel.btf_load(functions_btf(len(functions)))
    try:
        records = b"".join(struct.pack("<II", start, 3 + i) for i, start in enumerate(functions))
        return kernel.prog_load(code, prog_type, log_level=kernel.LogLevel.EVERY_INSN,
                                btf_fd=btf_fd, func_info=records)
    finally:
        kernel.close(btf_fd)


def stack_program(maps) -> tuple[kernel.ProgType, list[tuple[str, Step]]]:
    return kernel.ProgType.SOCKET_FILTER, [
        ("r3 = 0", put(3, RegState.const(0))),
        ("r4 = 5", put(4, RegState.const(5))),
        ("*(u64 *)(r10 - 8) = r4", store(-8, 8, reg=4)),           # a constant spilled whole
        ("*(u32 *)(r10 - 16) = r4", store(-16, 4, reg=4)),         # a narrow spill
        ("*(u32 *)(r10 - 12) = r3", store(-12, 4, reg=3)),         # zeros over its upper half
        ("*(u16 *)(r10 - 24) = r4", store(-24, 2, reg=4)),
        ("*(u8 *)(r10 - 31) = r3", store(-31, 1, reg=3)),          # unaligned: a zero byte
        ("*(u64 *)(r10 - 40) = 7", store(-40, 8, imm=7)),          # BPF_ST spills its immediate
        ("*(u32 *)(r10 - 48) = -1", store(-48, 4, imm=-1)),
        ("*(u16 *)(r10 - 44) = 0", store(-44, 2, imm=0)),
        ("*(u64 *)(r10 - 56) = r1", store(-56, 8, reg=1)),         # a pointer spill
        ("*(u8 *)(r10 - 56) = r3", store(-56, 1, reg=3)),          # ... broken by a byte
        ("*(u64 *)(r10 - 64) = r10", store(-64, 8, reg=10)),
        ("r5 = *(u32 *)(r10 - 8)", load(5, -8, 4)),                # narrow fill of a constant
        ("r6 = *(u64 *)(r10 - 16)", load(6, -16, 8)),              # misc and zero: unknown
        ("r7 = *(u64 *)(r10 - 64)", load(7, -64, 8)),              # pointer fill
        ("r8 = *(u8 *)(r10 - 31)", load(8, -31, 1)),               # a zero byte
        ("r2 = *(u32 *)(r10 - 72)", load(2, -72, 4)),              # never written: unknown (root)
        ("r0 = 0", put(0, RegState.const(0))),
        ("exit", nothing),
    ]


def fill_program(maps) -> tuple[kernel.ProgType, list[tuple[str, Step]]]:
    return kernel.ProgType.SOCKET_FILTER, [
        ("r6 = *(u32 *)(r1 + 0)", put(6, RegState.scalar(U32_VALUE))),   # skb->len
        ("*(u32 *)(r10 - 8) = r6", each(with_id(6, 1), store(-8, 4, reg=6))),
        ("r7 = *(u32 *)(r10 - 8)", load(7, -8, 4)),                # same-size fill keeps the id
        ("*(u64 *)(r10 - 16) = r6", store(-16, 8, reg=6)),
        ("r8 = *(u16 *)(r10 - 16)", load(8, -16, 2)),              # narrowing fill drops the id
        ("r9 = *(u32 *)(r10 - 12)", load(9, -12, 4)),              # the spill's upper half: unknown
        ("r3 = 0", put(3, RegState.const(0))),
        ("*(u64 *)(r10 - 24) = r3", store(-24, 8, reg=3)),
        ("r4 = *(u32 *)(r10 - 20)", load(4, -20, 4)),              # upper half of a zero spill: 0
        ("*(u8 *)(r10 - 17) = r6", store(-17, 1, reg=6)),          # breaks the spill: all misc
        ("r5 = *(u64 *)(r10 - 24)", load(5, -24, 8)),
        ("*(u64 *)(r10 - 32) = r1", store(-32, 8, reg=1)),
        ("r2 = *(u64 *)(r10 - 32)", load(2, -32, 8)),
        ("*(u16 *)(r10 - 40) = 0x1234", store(-40, 2, imm=0x1234)),
        ("*(u32 *)(r10 - 44) = r6", store(-44, 4, reg=6)),         # unaligned scalar: misc
        ("r0 = 0", put(0, RegState.const(0))),
        ("exit", nothing),
    ]


def map_program(maps) -> tuple[kernel.ProgType, list[tuple[str, Step]]]:
    value = RegState.map_value(HASH)
    return kernel.ProgType.SOCKET_FILTER, [
        (f"r1 = map[id:{maps['hash']}]", put(1, RegState.map_ptr(HASH))),
        ("r2 = r10", copy(2, 10)),
        ("r2 += -8", move(2, -8)),
        ("*(u64 *)(r10 - 8) = 0", store(-8, 8, imm=0)),
        ("call bpf_map_lookup_elem", call(RegState.map_value_or_null(HASH, id=1))),
        ("r6 = r0", copy(6, 0)),
        ("*(u64 *)(r10 - 16) = r0", store(-16, 8, reg=0)),
        ("if r0 == 0 goto +19", not_null(0, 6, slots=(-16,))),
        ("r7 = *(u32 *)(r0 + 0)", put(7, RegState.scalar(U32_VALUE))),
        ("r0 += 2", move(0, 2)),
        ("r7 &= 12", put(7, RegState.scalar(SMALL))),
        ("r1 = r0", copy(1, 0)),
        ("r1 += r7", put(1, value.moved(2).with_var(SMALL))),
        ("r8 = r7", each(with_id(7, 2), copy(8, 7))),
        ("r9 = *(u64 *)(r10 - 16)", load(9, -16, 8)),
        (f"r3 = map[id:{maps['data']}][0]+8", put(3, RegState.map_value(DATA, 8))),
        ("r4 = r10", copy(4, 10)),
        ("r4 += r7", put(4, RegState.frame_pointer().with_var(SMALL))),
        ("r4 += -16", move(4, -16)),
        ("r5 = *(u8 *)(r4 + 0)", put(5, RegState.scalar(U8_VALUE))),
        (f"r1 = map[id:{maps['counts']}]", put(1, RegState.map_ptr(COUNTS))),
        ("r2 = r10", copy(2, 10)),
        ("r2 += -24", move(2, -24)),
        ("*(u32 *)(r10 - 24) = 1", store(-24, 4, imm=1)),
        ("call bpf_map_lookup_elem", call(RegState.map_value(COUNTS))),
        ("r0 = 0", put(0, RegState.const(0))),
        ("exit", nothing),
    ]


def ringbuf_program(maps) -> tuple[kernel.ProgType, list[tuple[str, Step]]]:
    events = maps["events"]
    return kernel.ProgType.SOCKET_FILTER, [
        (f"r1 = map[id:{events}]", put(1, RegState.map_ptr(EVENTS))),
        ("r2 = 8", put(2, RegState.const(8))),
        ("r3 = 0", put(3, RegState.const(0))),
        ("call bpf_ringbuf_reserve", call(RegState.ringbuf_mem_or_null(8, id=2), refs=[2])),
        ("r6 = r0", copy(6, 0)),
        ("if r0 == 0 goto +16", not_null(0, 6)),
        ("*(u64 *)(r10 - 8) = r0", store(-8, 8, reg=0)),
        ("*(u64 *)(r0 + 0) = 1", nothing),
        (f"r1 = map[id:{events}]", put(1, RegState.map_ptr(EVENTS))),
        ("r2 = 16", put(2, RegState.const(16))),
        ("r3 = 0", put(3, RegState.const(0))),
        ("call bpf_ringbuf_reserve", call(RegState.ringbuf_mem_or_null(16, id=4), refs=[2, 4])),
        ("r7 = r0", copy(7, 0)),
        ("if r0 == 0 goto +3", not_null(0, 7)),
        ("r1 = r7", copy(1, 7)),
        ("r2 = 0", put(2, RegState.const(0))),
        ("call bpf_ringbuf_discard", each(call(RegState.not_init(), refs=[2]),
                                          put(7, RegState.scalar()))),
        ("r1 = r6", copy(1, 6)),
        ("r2 = 0", put(2, RegState.const(0))),
        ("call bpf_ringbuf_submit", each(call(RegState.not_init(), refs=[]),
                                         put(6, RegState.scalar()), forget(-8))),
        ("r0 = 0", put(0, RegState.const(0))),
        ("exit", nothing),
    ]


def xdp_program(maps) -> tuple[kernel.ProgType, list[tuple[str, Step]]]:
    byte = RegState.scalar(U8_VALUE)
    return kernel.ProgType.XDP, [
        ("r2 = *(u32 *)(r1 + 0)", put(2, RegState.packet())),
        ("r3 = *(u32 *)(r1 + 4)", put(3, RegState.packet_end())),
        ("r4 = *(u32 *)(r1 + 8)", put(4, RegState.packet_meta())),
        ("r5 = r2", copy(5, 2)),
        ("r5 += 14", move(5, 14)),
        ("if r5 > r3 goto +7", each(put(5, RegState.packet(14, 14)), put(2, RegState.packet(0, 14)))),
        ("r5 = r2", copy(5, 2)),
        ("r5 += 34", move(5, 34)),
        ("if r5 > r3 goto +4", each(put(5, RegState.packet(34, 34)), put(2, RegState.packet(0, 34)))),
        ("*(u64 *)(r10 - 8) = r5", store(-8, 8, reg=5)),
        ("r6 = *(u8 *)(r2 + 23)", put(6, byte)),
        ("r2 += r6", put(2, replace(RegState.packet().with_var(U8_VALUE), id=1))),
        ("r2 += 14", move(2, 14)),
        ("r0 = 2", put(0, RegState.const(2))),
        ("exit", nothing),
    ]


PROGRAMS = {"stack": stack_program, "fill": fill_program, "map": map_program,
            "ringbuf": ringbuf_program, "xdp": xdp_program, "linked": linked_program,
            "subprog": subprog_program, "callback": callback_program}
# headings before a whole frame printed on the next line, and which frame follows each
HEADINGS = {"caller:": lambda s: s.frames[-2], "callee:": lambda s: s.frames[-1],
            "returning from callee:": lambda s: s.returned, "to caller at": lambda s: s.frames[-1]}


@pytest.fixture(scope="module")
def maps():
    require_bpf()
    fds = {"counts": kernel.map_create(MapType.ARRAY, 4, 16, 4, name="counts"),
           "data": kernel.map_create(MapType.ARRAY, 4, 16, 1, name="data"),
           "hash": kernel.map_create(MapType.HASH, 8, 4, 4),
           "events": kernel.map_create(MapType.RINGBUF, 0, 0, 4096, name="events")}
    yield fds
    for fd in fds.values():
        kernel.close(fd)


def scratched(text: str) -> Scratched:
    """The registers and slots a kernel state line shows."""
    tokens = text.split()
    regs = [int(t[1:t.index("=")]) for t in tokens if re.match(r"R\d+=", t)]
    slots = [(int(t[3:t.index("=")]) - 1) // 8 for t in tokens if re.match(r"fp-\d+=", t)]
    return Scratched.of(regs, slots)


def slots_of(lines: list[tuple[str, Step]]) -> list[int]:
    """Each line's instruction index (an ld_imm64 takes two)."""
    at, slots = 0, []
    for text, _ in lines:
        slots.append(at)
        at += 2 if re.search(r"\b(map|subprog)\[", text) else 1
    return slots


@pytest.mark.kernel
@pytest.mark.parametrize("name", PROGRAMS)
def test_it_prints_each_state_as_the_kernel_does(name, maps, kernel_comparisons):
    require_bpf()
    prog_type, lines, *functions = PROGRAMS[name](maps)
    text = "\n".join(line for line, _ in lines)
    loaded = load_program(assemble(text).program().encode(), prog_type, *functions or [[]])
    loaded.close()
    assert loaded.ok, loaded.log
    steps = dict(zip(slots_of(lines), (step for _, step in lines)))
    state, compared, whole = State.entry(), 0, None
    for line in loaded.log.splitlines():
        if line.startswith("from "):
            break   # the other side of a branch: its state is the driver's business
        if heading := next((h for h in HEADINGS if line.startswith(h)), None):
            whole = HEADINGS[heading](state)
            continue
        if whole is not None:
            assert state.text(whole) == line.strip(), f"{line}\n{loaded.log}"
            compared += 1
            whole = None
            continue
        if m := INSN_LINE.match(line):
            steps[int(m.group(1))](state)
            printed = m.group(2)
            if printed is None:
                continue
        elif m := STATE_LINE.match(line):
            printed = m.group(2)
        else:
            continue
        only = scratched(printed) if compared else None    # the entry state is printed whole
        assert state.text(state.frames[-1], only) == printed, f"{line}\n{loaded.log}"
        compared += 1
    assert compared >= len(lines) - 2
    kernel_comparisons(compared)
