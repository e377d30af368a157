"""A seeded generator of random assembly programs for the verifier's corpus.

Programs are biased to be valid: registers are written before they are read,
straight-line ALU with shifts below the width and divisions by non-zero
constants, forward branches over small blocks, stack slots stored before they
are loaded, array-map lookups with a NULL check, helper calls that clobber
r1-r5 as the calling convention says. A program may carry one mistake
(``MISTAKES``), so the corpus also holds invalid ones. The same seed always
gives the same text: ``tests/verifier_corpus/generated/`` is this output,
committed.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

ALU_OPS = ("+=", "-=", "*=", "&=", "|=", "^=", "<<=", ">>=", "s>>=", "/=", "%=")
SHIFTS = {"<<=", ">>=", "s>>="}
DIVISIONS = {"/=", "%="}
CONDITIONS = ("==", "!=", ">", ">=", "<", "<=", "s>", "s<", "&")
HELPERS_NO_ARGS = ("bpf_ktime_get_ns", "bpf_get_prandom_u32", "bpf_get_smp_processor_id")
PROG_TYPES = ("socket_filter", "xdp", "sched_cls", "kprobe", "tracepoint")
ARRAY_MAP = {"type": "array", "key_size": 4, "value_size": 16, "max_entries": 4}
CALLEE_SAVED = (6, 7, 8, 9)
MISTAKES = ("uninit_read", "div_by_zero", "wide_shift", "stack_out_of_range",
            "unchecked_lookup", "no_exit", "value_out_of_bounds", "write_r10")


@dataclass(frozen=True)
class Generated:
    """One generated program: its text, type, maps and the mistake put in (None if none)."""

    name: str
    text: str
    prog_type: str
    maps: tuple[dict, ...]
    mistake: str | None


class _Writer:
    """Emits lines while tracking which registers and stack slots hold values."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.lines: list[str] = []
        self.live: set[int] = set()
        self.slots: set[int] = set()       # offsets below r10 written as u64

    def emit(self, line: str) -> None:
        self.lines.append(line)

    def any_live(self) -> int:
        return self.rng.choice(sorted(self.live))

    def set_constant(self, reg: int) -> None:
        self.emit(f"r{reg} = {self.rng.randint(-1000, 1000)}")
        self.live.add(reg)

    def alu(self) -> None:
        rng = self.rng
        dst = self.any_live()
        op = rng.choice(ALU_OPS)
        width = rng.choice(("r", "w"))
        if op in SHIFTS:
            operand = str(rng.randrange(32 if width == "w" else 64))
        elif op in DIVISIONS:
            operand = str(rng.randint(1, 100))
        elif rng.random() < 0.5:
            operand = f"{width}{self.any_live()}"
        else:
            operand = str(rng.randint(-500, 500))
        self.emit(f"{width}{dst} {op} {operand}")

    def stack_store(self) -> None:
        slot = 8 * self.rng.randint(1, 8)
        self.emit(f"*(u64 *)(r10 -{slot}) = r{self.any_live()}")
        self.slots.add(slot)

    def stack_load(self) -> None:
        if not self.slots:
            return self.stack_store()
        dst = self.rng.choice(CALLEE_SAVED)
        self.emit(f"r{dst} = *(u64 *)(r10 -{self.rng.choice(sorted(self.slots))})")
        self.live.add(dst)

    def helper(self) -> None:
        self.emit(f"call {self.rng.choice(HELPERS_NO_ARGS)}")
        self._clobber()

    def _clobber(self) -> None:
        self.live -= {1, 2, 3, 4, 5}
        self.live.add(0)

    def branch(self) -> None:
        """``if rX op K goto +n`` over n straight-line instructions."""
        block = _Writer(self.rng)
        block.live, block.slots = set(self.live), set(self.slots)
        for _ in range(self.rng.randint(1, 3)):
            block.alu()
        cond = self.rng.choice(CONDITIONS)
        reg, bound = self.any_live(), self.rng.randint(0, 200)
        self.emit(f"if r{reg} {cond} {bound} goto +{len(block.lines)}")
        self.lines.extend(block.lines)

    def map_access(self, checked: bool = True, offset: int | None = None) -> None:
        """Look up a key in the array map; read and update the value when not NULL.

        An unchecked lookup uses a random key: with a key it knows to be zero
        the 6.18 verifier knows an array lookup cannot fail and accepts the
        missing NULL check (``learner/asm_array_const_key_zero_no_check.s``).
        """
        offset = self.rng.choice((0, 8)) if offset is None else offset
        if checked:
            self.emit(f"*(u32 *)(r10 -68) = {self.rng.randint(0, 3)}")
        else:                           # a key the verifier cannot know: the value may be NULL
            self.emit("call bpf_get_prandom_u32")
            self.emit("*(u32 *)(r10 -68) = r0")
        self.emit("r2 = r10")
        self.emit("r2 += -68")
        self.emit("r1 = map[id:0]")
        self.emit("call bpf_map_lookup_elem")
        self._clobber()
        body = [f"r1 = *(u64 *)(r0 +{offset})", f"r1 += {self.rng.randint(1, 9)}",
                f"*(u64 *)(r0 +{offset}) = r1"]
        if checked:
            self.emit(f"if r0 == 0 goto +{len(body)}")
        self.lines.extend(body)
        self.live -= {0, 1}             # a map value or NULL; r1 a map or a scalar: not for ALU


def generate(seed: int, name: str | None = None) -> Generated:
    """The program of ``seed``: about one in five carries a mistake."""
    rng = random.Random(seed)
    writer = _Writer(rng)
    prog_type = rng.choice(PROG_TYPES)
    mistake = rng.choice(MISTAKES) if rng.random() < 0.2 else None
    uses_map = rng.random() < 0.5 or mistake in ("unchecked_lookup", "value_out_of_bounds")
    for reg in rng.sample(CALLEE_SAVED, rng.randint(1, 3)):
        writer.set_constant(reg)
    steps = [writer.alu] * 5 + [writer.stack_store, writer.stack_load, writer.branch,
                                 writer.helper] + ([writer.map_access] * 2 if uses_map else [])
    body_length = rng.randint(3, 25)
    mistake_at = rng.randrange(body_length)
    for step in range(body_length):
        if step == mistake_at and mistake is not None:
            _put_mistake(writer, mistake)
        else:
            rng.choice(steps)()
    writer.emit(f"r0 = {rng.randint(0, 2)}")
    if mistake != "no_exit":
        writer.emit("exit")
    return Generated(name or f"gen_{seed:03d}", "\n".join(writer.lines) + "\n", prog_type,
                     (ARRAY_MAP,) if uses_map else (), mistake)


def _put_mistake(writer: _Writer, mistake: str) -> None:
    rng = writer.rng
    match mistake:
        case "uninit_read":
            dead = sorted(set(range(10)) - writer.live)
            reg = rng.choice(dead) if dead else 0
            writer.emit(f"r{writer.any_live()} += r{reg}")
        case "div_by_zero":
            writer.emit(f"r{writer.any_live()} /= 0")
        case "wide_shift":
            writer.emit(f"r{writer.any_live()} <<= {rng.randint(64, 90)}")
        case "stack_out_of_range":
            writer.emit(f"*(u64 *)(r10 -{8 * rng.randint(65, 80)}) = r{writer.any_live()}")
        case "unchecked_lookup":
            writer.map_access(checked=False)
        case "value_out_of_bounds":
            writer.map_access(offset=rng.choice((12, 16, 24)))
        case "write_r10":
            writer.emit("r10 = 0")
        case "no_exit":
            writer.alu()


def corpus_programs(count: int, first_seed: int = 0) -> list[Generated]:
    """``count`` programs from consecutive seeds: the committed ``generated`` stratum."""
    return [generate(seed) for seed in range(first_seed, first_seed + count)]
