"""Translate the bpf functions of a Program into Python source, for the fast run mode.

Each bpf function becomes one Python function (several for a long one: see
``Unit``) whose registers are locals. Its basic blocks sit in a binary tree of
``if pc < ...`` tests inside one loop; a block that branches back to its own
start becomes an inner ``while`` loop. ALU operations, jumps, may_goto, loads
and stores (with a fast path for the current stack), plain ld_imm64, function
pointers and map handles are inlined; everything else is *delegated* to
``Machine.step()``, so step mode stays the one source of truth for calls,
exit, atomics, legacy loads, pseudo ld_imm64 and every fault. A memory
access outside the fast paths (one that may fault) is delegated the same way.

Delegation comes in three forms. Instructions that change the call stack or the
program (exit, bpf-to-bpf calls, bpf_loop, tail calls) end their block: the
generated code returns and the driver steps them. Other helper calls go through
``CALL``, which runs the Machine's own helper lookup, the helper and the
Machine's bookkeeping of its result, without a whole step() (helpers sit in hot
loops). The rest (atomics, legacy loads, pseudo ld_imm64...) are stepped *in
place*: the code writes its state back, calls ``STEP`` (which runs
``Machine.step()``), and goes on with the block if the machine simply moved to
the next instruction.

The generated function's contract (``fast.py`` is its only caller)::

    fn(regs, ll, pc, stop, guard, sb, sd, sw, sl, nmaps, LD, ST, STEP, CALL) -> (pc, n, wm, ll)

It starts at ``pc`` (an enterable block start), runs whole blocks while they
fit in ``stop`` instructions, stops at a block start in ``guard`` (breakpoints),
writes the registers back into ``regs`` and returns the next pc, the number of
instructions executed since the last STEP, a bit mask of the registers they
wrote and the may_goto budget ``ll``; pc None means a STEP ended the stretch
(the machine's state is already complete). ``sb``/``sd``/``sw``/``sl`` are the
current stack region's base, data, written-bytes shadow and length (``sl`` = -1
disables the stack path); ``nmaps`` is how many map handles ld_imm64 may resolve
inline (-1: none); ``LD(addr, size)`` returns an int or None, ``ST(addr, size,
blob)`` returns True when it could not store: both then leave the instruction to
``step()``. ``STEP(pc, n, wm, ll, next_pc)`` first records ``n``/``wm``/``ll``
like a return would, steps, and says whether the code may go on at ``next_pc``.
``CALL(pc, n, wm, ll, helper_id, r1, ..., r5)`` records the same way, counting
the call itself in ``n``, and returns the new r0, or None when the call faulted
(the run is over; the code writes its registers back and returns).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .isa import Instruction
from .machine import CODE_BASE, FP, HELPER_LOOP, HELPER_TAIL_CALL, MAP_BASE, MAP_STRIDE
from .opcodes import CallKind, Kind, Pseudo, Source
from .program import Program
from .semantics import MASK, MASK64

MAX_BLOCK = 32    # instructions per block: bounds the stepping after a mid-block pause
MAX_UNIT = 2048   # instructions per compiled Python function
REGS = ", ".join(f"r{i}" for i in range(11))
M32 = MASK[32]
SIGN = {32: 1 << 31, 64: 1 << 63}
COMPARE = {"jeq": "==", "jne": "!=", "jgt": ">", "jge": ">=", "jlt": "<", "jle": "<=",
           "jsgt": ">", "jsge": ">=", "jslt": "<", "jsle": "<="}


@dataclass
class Block:
    """Straight-line instructions from ``start``; ``end`` is the pc control goes to next.

    ``terminator`` is the final jump (None: control falls through to ``end``).
    """

    start: int
    body: list[tuple[int, Instruction]]
    terminator: tuple[int, Instruction] | None
    end: int

    @property
    def length(self) -> int:
        return len(self.body) + (self.terminator is not None)

    @property
    def last_pc(self) -> int:
        """The pc of the block's last instruction (inclusive)."""
        if self.terminator is not None:
            return self.terminator[0]
        pc, insn = self.body[-1]
        return pc


@dataclass
class Unit:
    """Consecutive blocks of one bpf function, compiled as one Python function.

    ``blocks`` are by start pc (only blocks with at least one instruction). A
    function longer than MAX_UNIT instructions is cut into several units, so
    each compiles quickly and only the parts a run reaches get compiled; a jump
    to another unit goes through the driver.
    """

    start: int
    blocks: dict[int, Block] = field(default_factory=dict)

    @property
    def length(self) -> int:
        return sum(block.length for block in self.blocks.values())


def leaves(insn: Instruction) -> bool:
    """True for instructions that end a block and go back to the driver: they may
    change the call stack or the program (exit, local calls, bpf_loop, tail calls)."""
    kind = insn.spec.kind
    return kind is Kind.EXIT or (kind is Kind.CALL and (
        insn.src == CallKind.LOCAL or insn.imm in (HELPER_LOOP, HELPER_TAIL_CALL)))


def helper_call(insn: Instruction) -> bool:
    """A call of a helper that returns to the next instruction (not bpf_loop, not tail_call)."""
    return (insn.spec.kind is Kind.CALL and insn.src == CallKind.HELPER
            and insn.imm not in (HELPER_LOOP, HELPER_TAIL_CALL))


def stepped(insn: Instruction) -> bool:
    """True for instructions run in place by ``Machine.step()`` (the rest are inlined)."""
    kind = insn.spec.kind
    if kind in (Kind.CALL, Kind.LEGACY, Kind.ATOMIC):
        return True
    if kind is Kind.ALU:
        return insn.dst == FP or insn.spec.op == "addr_space_cast"
    if kind is Kind.LOAD:
        return insn.dst == FP
    if kind is Kind.LDDW:
        return insn.dst == FP or insn.src not in (Pseudo.NONE, Pseudo.FUNC, Pseudo.MAP_FD,
                                                  Pseudo.MAP_IDX)
    return False


def plan(program: Program) -> list[Unit]:
    """Split every bpf function of ``program`` into blocks, grouped in units."""
    starts = program.subprogram_starts()
    bounds = starts[1:] + [len(program.at)]
    units = []
    for start, end in zip(starts, bounds):
        unit = None
        for block in _blocks(program, start, end):
            if unit is None or unit.length + block.length > MAX_UNIT:
                unit = Unit(block.start)
                units.append(unit)
            unit.blocks[block.start] = block
    return units


def _blocks(program: Program, start: int, end: int) -> list[Block]:
    """The non-empty blocks of the bpf function at [start, end), in order."""
    leaders = {start}
    for pc in range(start, end):
        insn = program.at[pc]
        if insn is None:
            continue
        if insn.kind is Kind.JUMP:
            leaders.add(insn.jump_target(pc))
            leaders.add(pc + 1)
        elif leaves(insn):
            leaders.add(pc + insn.slots)
    blocks = []
    pc = start
    while pc < end:
        block = _block_at(program, pc, end, leaders)
        if block.length:
            blocks.append(block)
        pc = block.end if block.length else pc + program.at[pc].slots
        leaders.add(pc)
    return blocks


def _block_at(program: Program, start: int, end: int, leaders: set[int]) -> Block:
    body: list[tuple[int, Instruction]] = []
    pc = start
    while pc < end:
        insn = program.at[pc]
        if (pc != start and pc in leaders) or leaves(insn) or len(body) == MAX_BLOCK:
            break
        if insn.kind is Kind.JUMP:
            return Block(start, body, (pc, insn), pc + 1)
        body.append((pc, insn))
        pc += insn.slots
    return Block(start, body, None, pc)


# -- code generation ---------------------------------------------------------------


class _Source:
    """Lines of Python with indentation."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.depth = 0

    def add(self, *lines: str) -> None:
        self.lines.extend("    " * self.depth + line for line in lines)

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


def _leave(pc: int, done: str, wm: str) -> list[str]:
    """Write the registers back and return to the driver before ``pc``."""
    return [f"regs[:] = {REGS}", f"return {pc}, {done}, {wm}, ll"]


class UnitWriter:
    """Python source for one Unit."""

    def __init__(self, unit: Unit) -> None:
        self.unit = unit
        self.out = _Source()

    def source(self, name: str) -> str:
        out = self.out
        out.add(f"def {name}(regs, ll, pc, stop, guard, sb, sd, sw, sl, nmaps, LD, ST, STEP, CALL):")
        out.depth += 1
        out.add(f"{REGS} = regs", "left = stop", "wm = 0",
                "sl1, sl2, sl4, sl8 = sl - 1, sl - 2, sl - 4, sl - 8", "while True:")
        out.depth += 1
        out.add("if pc in guard:")
        out.depth += 1
        out.add(*_leave("pc", "stop - left", "wm"))
        out.depth -= 1
        self._tree(sorted(self.unit.blocks))
        return out.text()

    def _tree(self, starts: list[int]) -> None:
        out = self.out
        if len(starts) == 1:
            self._block(self.unit.blocks[starts[0]])
            return
        middle = len(starts) // 2
        out.add(f"if pc < {starts[middle]}:")
        out.depth += 1
        self._tree(starts[:middle])
        out.depth -= 1
        out.add("else:")
        out.depth += 1
        self._tree(starts[middle:])
        out.depth -= 1

    # -- blocks ----------------------------------------------------------------

    def _block(self, block: Block) -> None:
        out = self.out
        out.add(f"# pc {block.start}..{block.last_pc}")
        loop = self._self_loop(block)
        self._body(block, first=True)
        if loop is not None:
            out.add(f"while {loop}:")
            out.depth += 1
            self._body(block, first=False)
            out.depth -= 1
            self._goto(block.terminator[0] + 1)
            return
        if block.terminator is None:
            self._goto(block.end)
            return
        self._terminator(*block.terminator)

    def _self_loop(self, block: Block) -> str | None:
        """The loop condition when the block's final jump goes back to its own start."""
        if block.terminator is None:
            return None
        pc, insn = block.terminator
        if insn.jump_target(pc) != block.start or insn.spec.op == "may_goto":
            return None
        return "True" if insn.spec.op == "ja" else _condition(insn)

    def _body(self, block: Block, first: bool) -> None:
        """The budget check, the instructions and the written-registers mask.

        ``wm`` holds the registers written since the last STEP; in a self-loop
        without STEPs the mask is the same every iteration, so it is or-ed once.
        """
        out = self.out
        length = block.length
        out.add(f"if left < {length}:")
        out.depth += 1
        out.add(*_leave(block.start, "stop - left", "wm"))
        out.depth -= 1
        out.add(f"left -= {length}")
        written = 0
        has_step = False
        copies: dict[int, int] = {}
        for index, (pc, insn) in enumerate(block.body):
            done = f"stop - left - {length - index}"
            mask = f"wm | {written}" if written else "wm"
            if helper_call(insn):
                self._call(pc, insn, f"stop - left - {length - index - 1}", mask,
                           length - index - 1)
                written, has_step = 0, True
                continue
            if stepped(insn):
                self._step(pc, insn, done, mask, length - index - 1)
                written, has_step = 0, True
                continue
            if insn.kind is Kind.ALU:
                following = block.body[index + 1][1] if index + 1 < len(block.body) else None
                if _copy(insn) and following is not None and following.kind is Kind.ALU \
                        and following.dst == insn.dst and not stepped(following):
                    copies = {insn.dst: insn.src}  # folded into the next line, which overwrites dst
                else:
                    out.add(_alu(insn, copies))
                    copies = {}
            else:
                self._instruction(pc, insn, _leave(pc, done, mask))
            if insn.kind in (Kind.ALU, Kind.LOAD, Kind.LDDW):
                written |= 1 << insn.dst
        if written and (first or has_step):
            out.add(f"wm |= {written}")

    def _step(self, pc: int, insn: Instruction, done: str, mask: str, rest: int) -> None:
        """Run one instruction with Machine.step(), then go on if it simply fell through."""
        out = self.out
        out.add(f"regs[:] = {REGS}", f"if not STEP({pc}, {done}, {mask}, ll, {pc + insn.slots}):")
        out.depth += 1
        out.add("return None, 0, 0, ll")
        out.depth -= 1
        # What ran so far is recorded: count from here, with nothing written yet.
        out.add(f"{REGS} = regs", f"stop = left + {rest}", "wm = 0")

    def _call(self, pc: int, insn: Instruction, done: str, mask: str, rest: int) -> None:
        """A helper call through CALL, which runs what step() would and returns r0 (None:
        the run ends here, with the registers written back)."""
        out = self.out
        out.add(f"v = CALL({pc}, {done}, {mask}, ll, {insn.imm}, r1, r2, r3, r4, r5)",
                "if v is None:")
        out.depth += 1
        out.add(f"regs[:] = {REGS}", "return None, 0, 0, ll")
        out.depth -= 1
        out.add("r0 = v", f"stop = left + {rest}", "wm = 0")

    def _goto(self, target: int) -> None:
        if target in self.unit.blocks:
            self.out.add(f"pc = {target}", "continue")
        else:  # an instruction the driver steps, or another unit
            self.out.add(*_leave(target, "stop - left", "wm"))

    def _terminator(self, pc: int, insn: Instruction) -> None:
        out = self.out
        op = insn.spec.op
        target = insn.jump_target(pc)
        if op == "ja":
            self._goto(target)
            return
        if op == "may_goto":
            out.add("if ll:")
            out.depth += 1
            out.add("ll -= 1")
            self._goto(pc + 1)
            out.depth -= 1
            self._goto(target)
            return
        out.add(f"if {_condition(insn)}:")
        out.depth += 1
        self._goto(target)
        out.depth -= 1
        self._goto(pc + 1)

    # -- instructions ----------------------------------------------------------

    def _instruction(self, pc: int, insn: Instruction, leave: list[str]) -> None:
        kind = insn.kind
        if kind is Kind.LOAD:
            self._load(insn, leave)
        elif kind is Kind.STORE:
            self._store(insn, leave)
        elif kind is Kind.LDDW:
            self._lddw(pc, insn, leave)
        else:  # pragma: no cover - plan() only puts these kinds in a body
            raise AssertionError(f"cannot inline {insn.spec.mnemonic}")

    def _address(self, base: int, off: int) -> None:
        self.out.add(f"a = (r{base} + {off}) & {MASK64}" if off else f"a = r{base}",
                     "o = a - sb")

    def _load(self, insn: Instruction, leave: list[str]) -> None:
        out = self.out
        size = insn.spec.width
        self._address(insn.src, insn.off)
        fast = "sd[o]" if size == 1 else f"FB(sd[o:o + {size}], 'little')"
        out.add(f"if 0 <= o <= sl{size}:")
        out.depth += 1
        out.add(f"v = {fast}")
        out.depth -= 1
        out.add("else:")
        out.depth += 1
        out.add(f"v = LD(a, {size})", "if v is None:")
        out.depth += 1
        out.add(*leave)
        out.depth -= 2
        value = "v"
        if insn.spec.op == "ldxs":
            sign = 1 << (8 * size - 1)
            value = f"((v ^ {sign}) - {sign}) & {MASK64}"
        out.add(f"r{insn.dst} = {value}")

    def _store(self, insn: Instruction, leave: list[str]) -> None:
        out = self.out
        size = insn.spec.width
        mask = MASK[8 * size]
        if insn.spec.op == "stx":
            value = f"r{insn.src}" if size == 8 else f"(r{insn.src} & {mask})"
            blob = f"{value}.to_bytes({size}, 'little')"
            if size != 1:
                out.add(f"b = {blob}")
                blob = "b"
        else:
            number = insn.imm & mask
            value, blob = str(number), repr(number.to_bytes(size, "little"))
        self._address(insn.dst, insn.off)
        out.add(f"if 0 <= o <= sl{size}:")
        out.depth += 1
        if size == 1:
            out.add(f"sd[o] = {value}", "sw[o] = 1")
        else:
            out.add(f"sd[o:o + {size}] = {blob}", f"sw[o:o + {size}] = {bytes([1] * size)!r}")
        out.depth -= 1
        out.add(f"elif ST(a, {size}, {blob}):")
        out.depth += 1
        out.add(*leave)
        out.depth -= 1

    def _lddw(self, pc: int, insn: Instruction, leave: list[str]) -> None:
        out = self.out
        if insn.src == Pseudo.NONE:
            out.add(f"r{insn.dst} = {insn.imm64}")
        elif insn.src == Pseudo.FUNC:
            out.add(f"r{insn.dst} = {CODE_BASE + 8 * (pc + 1 + insn.imm)}")
        else:  # a map handle, when the machine has that map and no resolve_pseudo
            out.add(f"if nmaps > {insn.imm}:" if insn.imm >= 0 else "if False:")
            out.depth += 1
            out.add(f"r{insn.dst} = {MAP_BASE + MAP_STRIDE * insn.imm}")
            out.depth -= 1
            out.add("else:")
            out.depth += 1
            out.add(*leave)
            out.depth -= 1


def _alu(insn: Instruction, copies: dict[int, int] | None = None) -> str:
    """One line computing an ALU instruction (registers hold unsigned 64-bit values).

    ``copies`` maps a register to the one it is a copy of (a forwarded ``mov``):
    the line then reads the original instead.
    """
    spec = insn.spec
    op, width = spec.op, spec.width
    copies = copies or {}
    d = f"r{copies.get(insn.dst, insn.dst)}"
    s = f"r{copies.get(insn.src, insn.src)}"
    value = _alu_value(op, width, spec.source is Source.X, d, s, insn.imm, insn.off)
    return f"r{insn.dst} = {value}"


def _alu_value(op: str, width: int, register: bool, d: str, s: str, imm: int, off: int) -> str:
    if op in ("le", "be", "bswap"):
        return f"ENDIAN({op!r}, {d}, {width})"
    mask = MASK[width]
    constant = imm & mask
    if width == 32:
        operand = f"({s} & {M32})" if register else str(constant)
        left = f"({d} & {M32})"
    else:
        operand = s if register else str(constant)
        left = d
    shift = f"({s} & {width - 1})" if register else str(imm & (width - 1))
    sign = SIGN[width]
    if op in ("add", "sub", "mul"):
        symbol = {"add": "+", "sub": "-", "mul": "*"}[op]
        raw = s if register else str(imm)  # the low bits of the result do not depend on the rest
        return f"({d} {symbol} {raw}) & {mask}"
    if op in ("or", "and", "xor"):
        symbol = {"or": "|", "and": "&", "xor": "^"}[op]
        if width == 64:
            return f"{d} {symbol} {operand}"
        return f"({d} {symbol} {s if register else constant}) & {mask}"
    if op == "div":
        if register:
            return f"{left} // {operand} if {operand} else 0"
        return f"{left} // {constant}" if constant else "0"
    if op == "mod":
        if register:
            return f"{left} % {operand} if {operand} else {left}"
        return f"{left} % {constant}" if constant else left
    if op == "lsh":
        return f"({d} << {shift}) & {mask}"
    if op == "rsh":
        return f"{left} >> {shift}"
    if op == "arsh":
        return f"((({left} ^ {sign}) - {sign}) >> {shift}) & {mask}"
    if op == "mov":
        return operand
    if op == "neg":
        return f"-{d} & {mask}"
    if op == "movsx":
        return f"((({s} & {MASK[off]}) ^ {1 << (off - 1)}) - {1 << (off - 1)}) & {mask}"
    # sdiv, smod: the pure function from semantics.py
    return f"ALU({op!r}, {left}, {operand}, {width}, {off})"


def _copy(insn: Instruction) -> bool:
    """A 64-bit register move: the next instruction may read its source instead."""
    spec = insn.spec
    return (spec.kind is Kind.ALU and spec.op == "mov" and spec.width == 64
            and spec.source is Source.X and insn.dst != insn.src)


def _condition(insn: Instruction) -> str:
    """A Python expression that is true when the conditional jump is taken."""
    spec = insn.spec
    op, width = spec.op, spec.width
    mask = MASK[width]
    register = spec.source is Source.X
    if width == 32:
        a = f"(r{insn.dst} & {M32})"
        b = f"(r{insn.src} & {M32})" if register else None
    else:
        a = f"r{insn.dst}"
        b = f"r{insn.src}" if register else None
    constant = insn.imm & mask
    if op == "jset":
        return f"{a} & {b if register else constant}"
    if op.startswith("js"):  # signed: flipping the sign bit makes unsigned order signed order
        sign = SIGN[width]
        right = f"({b} ^ {sign})" if register else str(constant ^ sign)
        return f"({a} ^ {sign}) {COMPARE[op]} {right}"
    return f"{a} {COMPARE[op]} {b if register else constant}"
