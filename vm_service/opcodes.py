"""The eBPF opcode table: the one place that knows what opcode bits mean.

Every valid Linux 6.18 encoding (RFC 9669 plus the kernel's pseudo forms) is one
``OpSpec`` row. The decoder, the assembler, the printers and the validity checks
all read this table; nothing else in the project picks opcode bits apart.

Opcode byte layout::

      7   6   5   4   3   2   1   0
    +---------------+---+-----------+
    |      op       | s |   class   |   ALU, ALU64, JMP, JMP32
    +-----------+---+---+-----------+
    |   mode    | size  |   class   |   LD, LDX, ST, STX
    +-----------+-------+-----------+

    s: 0 = K (operand is imm), 1 = X (operand is src_reg).
    For END (byte swap) s selects the target order: 0 = to little, 1 = to big.

A row may also pin the ``off`` or ``imm`` field: signed division is ``div`` with
off=1, sign-extending moves are ``mov`` with off=8/16/32, arena address-space casts
are ``mov`` with off=1, and the atomic operation and byte-swap width live in ``imm``.

Rows the uBPF/bpf_conformance dialect has no mnemonic for (load-acquire,
store-release, may_goto, address-space casts) get one of ours, in its style:
``ldacq{b,h,w,dw}``, ``strel{b,h,w,dw}``, ``may_goto``, ``cast_kern``/``cast_user``.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Class(enum.IntEnum):
    LD = 0x00     # ld_imm64 and legacy packet loads
    LDX = 0x01    # dst = *(size *)(src + off)
    ST = 0x02     # *(size *)(dst + off) = imm
    STX = 0x03    # *(size *)(dst + off) = src, and atomics
    ALU = 0x04    # 32-bit arithmetic, result zero-extended
    JMP = 0x05    # 64-bit compares, call, exit
    JMP32 = 0x06  # 32-bit compares, gotol
    ALU64 = 0x07  # 64-bit arithmetic


class Source(enum.IntEnum):
    K = 0x00  # operand is the 32-bit immediate
    X = 0x08  # operand is src_reg


class AluOp(enum.IntEnum):
    ADD = 0x00   # dst += src
    SUB = 0x10   # dst -= src
    MUL = 0x20   # dst *= src
    DIV = 0x30   # dst /= src (off=1: signed); x/0 = 0
    OR = 0x40    # dst |= src
    AND = 0x50   # dst &= src
    LSH = 0x60   # dst <<= src, shift masked to the width
    RSH = 0x70   # dst >>= src, logical
    NEG = 0x80   # dst = -dst
    MOD = 0x90   # dst %= src (off=1: signed); x%0 = x
    XOR = 0xA0   # dst ^= src
    MOV = 0xB0   # dst = src (off=8/16/32: sign-extend)
    ARSH = 0xC0  # dst s>>= src
    END = 0xD0   # byte swap: le/be (ALU), bswap (ALU64)


class JmpOp(enum.IntEnum):
    JA = 0x00    # goto
    JEQ = 0x10   # ==
    JGT = 0x20   # > unsigned
    JGE = 0x30   # >= unsigned
    JSET = 0x40  # & != 0
    JNE = 0x50   # !=
    JSGT = 0x60  # > signed
    JSGE = 0x70  # >= signed
    CALL = 0x80  # helper, bpf-to-bpf or kfunc call
    EXIT = 0x90  # return r0
    JLT = 0xA0   # < unsigned
    JLE = 0xB0   # <= unsigned
    JSLT = 0xC0  # < signed
    JSLE = 0xD0  # <= signed
    JCOND = 0xE0  # may_goto (src=0): goto once the loop budget is spent


class Mode(enum.IntEnum):
    IMM = 0x00     # ld_imm64 (LD class only)
    ABS = 0x20     # legacy packet load at imm
    IND = 0x40     # legacy packet load at src + imm
    MEM = 0x60     # ordinary load and store
    MEMSX = 0x80   # sign-extending load
    ATOMIC = 0xC0  # atomic read-modify-write (STX only)


class Size(enum.IntEnum):
    W = 0x00   # 4 bytes
    H = 0x08   # 2 bytes
    B = 0x10   # 1 byte
    DW = 0x18  # 8 bytes


SIZE_BYTES = {Size.B: 1, Size.H: 2, Size.W: 4, Size.DW: 8}
SIZE_OF_BYTES = {n: s for s, n in SIZE_BYTES.items()}


class AtomicOp(enum.IntEnum):
    """Values of ``imm`` for STX|ATOMIC; FETCH (0x01) may be or-ed into add/or/and/xor."""

    ADD = 0x00
    OR = 0x40
    AND = 0x50
    XOR = 0xA0
    XCHG = 0xE0 | 0x01     # always fetches
    CMPXCHG = 0xF0 | 0x01  # always fetches; compares with r0
    LOAD_ACQ = 0x100       # dst = load_acquire(src + off), every size (Linux 6.15)
    STORE_REL = 0x110      # store_release(dst + off, src), every size (Linux 6.15)


ATOMIC_FETCH = 0x01


class Pseudo(enum.IntEnum):
    """src_reg of ld_imm64: how the loader interprets the 64-bit immediate."""

    NONE = 0            # plain 64-bit constant
    MAP_FD = 1          # imm = map fd
    MAP_VALUE = 2       # imm = map fd, next imm = offset into the value
    BTF_ID = 3          # imm = BTF id of a kernel variable
    FUNC = 4            # imm = relative pc of a bpf function
    MAP_IDX = 5         # imm = index into fd_array
    MAP_IDX_VALUE = 6   # index into fd_array plus value offset


class CallKind(enum.IntEnum):
    """src_reg of call."""

    HELPER = 0  # imm = helper id
    LOCAL = 1   # imm = relative pc of a bpf function (BPF_PSEUDO_CALL)
    KFUNC = 2   # imm = BTF id of a kernel function


class Kind(enum.Enum):
    """The semantic family of a row; the Machine and printers match on it.

    Members are singletons compared by identity, so identity hashing is exact,
    and much cheaper than Enum's (the Machine looks a Kind up on every step).
    """

    __hash__ = object.__hash__

    ALU = "alu"
    JUMP = "jump"
    CALL = "call"
    EXIT = "exit"
    LOAD = "load"        # LDX MEM / MEMSX
    STORE = "store"      # ST and STX MEM
    ATOMIC = "atomic"
    LDDW = "lddw"        # two-slot ld_imm64
    LEGACY = "legacy"    # LD ABS / IND


# Fields an instruction has: which must be zero is part of each row.
FIELDS = ("dst", "src", "off", "imm")


@dataclass(frozen=True)
class OpSpec:
    """One valid encoding family.

    ``off`` / ``imm`` are None when the field is free (an operand) and an int
    when the row pins it. ``zero`` names the fields that must be 0.
    """

    mnemonic: str           # the uBPF/bpf_conformance mnemonic (shared by the K and X rows)
    opcode: int
    kind: Kind
    op: str                 # semantic operation: "add", "sdiv", "jsgt", "fetch_add", ...
    width: int              # ALU/JUMP: 32 or 64 bits; memory: access size in bytes
    source: Source = Source.K
    off: int | None = None
    imm: int | None = None
    zero: frozenset[str] = frozenset()
    doc: str = ""

    @property
    def name(self) -> str:
        """Unique row name: the mnemonic, plus the operand source where both exist."""
        if self.kind in (Kind.ALU, Kind.JUMP) and "src" not in self.zero and "imm" in self.zero:
            return f"{self.mnemonic} reg"
        if self.kind in (Kind.ALU, Kind.JUMP) and "src" in self.zero and self.imm is None:
            return f"{self.mnemonic} imm"
        return self.mnemonic

    @property
    def uses_src_reg(self) -> bool:
        return "src" not in self.zero

    @property
    def key(self) -> tuple[int, int | None, int | None]:
        return (self.opcode, self.off, self.imm)


ALU_DOCS = {
    "add": "dst += src", "sub": "dst -= src", "mul": "dst *= src",
    "div": "dst /= src, unsigned; x/0 = 0", "sdiv": "dst /= src, signed; x/0 = 0",
    "or": "dst |= src", "and": "dst &= src",
    "lsh": "dst <<= src, shift masked to width-1", "rsh": "dst >>= src, logical",
    "mod": "dst %= src, unsigned; x%0 = x", "smod": "dst %= src, signed; x%0 = x",
    "xor": "dst ^= src", "mov": "dst = src", "arsh": "dst s>>= src, arithmetic",
}

JUMP_DOCS = {
    "jeq": "==", "jgt": "> (unsigned)", "jge": ">= (unsigned)", "jset": "& (bits in common)",
    "jne": "!=", "jsgt": "> (signed)", "jsge": ">= (signed)", "jlt": "< (unsigned)",
    "jle": "<= (unsigned)", "jslt": "< (signed)", "jsle": "<= (signed)",
}

MEM_SUFFIX = {1: "b", 2: "h", 4: "w", 8: "dw"}


def _alu_rows() -> list[OpSpec]:
    rows = []
    for cls, width, suffix in ((Class.ALU64, 64, ""), (Class.ALU, 32, "32")):
        for name, op in (("add", AluOp.ADD), ("sub", AluOp.SUB), ("mul", AluOp.MUL),
                         ("div", AluOp.DIV), ("or", AluOp.OR), ("and", AluOp.AND),
                         ("lsh", AluOp.LSH), ("rsh", AluOp.RSH), ("mod", AluOp.MOD),
                         ("xor", AluOp.XOR), ("mov", AluOp.MOV), ("arsh", AluOp.ARSH)):
            for source in Source:
                code = cls | op | source
                zero = {"off"} | ({"src"} if source is Source.K else {"imm"})
                if name == "mov" and source is Source.K:
                    zero = {"off", "src"}
                rows.append(OpSpec(f"{name}{suffix}", code, Kind.ALU, name, width, source,
                                   off=0, zero=frozenset(zero - {"off"}),
                                   doc=f"{width}-bit {ALU_DOCS[name]}"))
            if name in ("div", "mod"):
                signed = "s" + name
                for source in Source:
                    zero = {"src"} if source is Source.K else {"imm"}
                    rows.append(OpSpec(f"{signed}{suffix}", cls | op | source, Kind.ALU, signed,
                                       width, source, off=1, zero=frozenset(zero),
                                       doc=f"{width}-bit {ALU_DOCS[signed]} (off=1)"))
        rows.append(OpSpec(f"neg{suffix}", cls | AluOp.NEG, Kind.ALU, "neg", width, Source.K,
                           off=0, imm=0, zero=frozenset({"src"}), doc=f"{width}-bit dst = -dst"))
        if width == 64:
            # imm = dst_as << 16 | src_as; the kernel accepts only these two casts.
            for mnemonic, imm, what in (("cast_kern", 1, "arena (as 1) to kernel (as 0)"),
                                        ("cast_user", 1 << 16, "kernel (as 0) to arena (as 1)")):
                rows.append(OpSpec(mnemonic, cls | AluOp.MOV | Source.X, Kind.ALU,
                                   "addr_space_cast", width, Source.X, off=1, imm=imm,
                                   doc=f"dst = src cast from {what} address space (off=1)"))
        for bits in ((8, 16, 32) if width == 64 else (8, 16)):
            rows.append(OpSpec(f"movsx{bits}{width}", cls | AluOp.MOV | Source.X, Kind.ALU,
                               "movsx", width, Source.X, off=bits, zero=frozenset({"imm"}),
                               doc=f"dst = src sign-extended from {bits} bits to {width} (off={bits})"))
    for bits in (16, 32, 64):
        rows.append(OpSpec(f"le{bits}", Class.ALU | AluOp.END | Source.K, Kind.ALU, "le", bits,
                           Source.K, off=0, imm=bits, zero=frozenset({"src"}),
                           doc=f"dst = the low {bits} bits of dst, read as little-endian (zero-extended)"))
        rows.append(OpSpec(f"be{bits}", Class.ALU | AluOp.END | Source.X, Kind.ALU, "be", bits,
                           Source.X, off=0, imm=bits, zero=frozenset({"src"}),
                           doc=f"dst = the low {bits} bits of dst, byte-swapped to big-endian"))
        rows.append(OpSpec(f"bswap{bits}", Class.ALU64 | AluOp.END | Source.K, Kind.ALU, "bswap",
                           bits, Source.K, off=0, imm=bits, zero=frozenset({"src"}),
                           doc=f"dst = the low {bits} bits of dst, byte-swapped unconditionally"))
    return rows


def _jump_rows() -> list[OpSpec]:
    rows = [
        OpSpec("ja", Class.JMP | JmpOp.JA, Kind.JUMP, "ja", 64, Source.K, imm=0,
               zero=frozenset({"dst", "src"}), doc="goto pc + off + 1"),
        OpSpec("ja32", Class.JMP32 | JmpOp.JA, Kind.JUMP, "ja", 32, Source.K, off=0,
               zero=frozenset({"dst", "src"}), doc="gotol: goto pc + imm + 1 (32-bit range)"),
        OpSpec("call", Class.JMP | JmpOp.CALL, Kind.CALL, "call", 64, Source.K, off=0,
               zero=frozenset({"dst"}), doc="call helper imm (src=0), function pc+imm+1 (src=1), kfunc (src=2)"),
        OpSpec("exit", Class.JMP | JmpOp.EXIT, Kind.EXIT, "exit", 64, Source.K, off=0, imm=0,
               zero=frozenset({"dst", "src"}), doc="return r0 to the caller"),
        OpSpec("may_goto", Class.JMP | JmpOp.JCOND, Kind.JUMP, "may_goto", 64, Source.K, imm=0,
               zero=frozenset({"dst", "src"}),
               doc="fall through while the loop budget lasts, then goto pc + off + 1"),
    ]
    for cls, width, suffix in ((Class.JMP, 64, ""), (Class.JMP32, 32, "32")):
        for name, op in (("jeq", JmpOp.JEQ), ("jgt", JmpOp.JGT), ("jge", JmpOp.JGE),
                         ("jset", JmpOp.JSET), ("jne", JmpOp.JNE), ("jsgt", JmpOp.JSGT),
                         ("jsge", JmpOp.JSGE), ("jlt", JmpOp.JLT), ("jle", JmpOp.JLE),
                         ("jslt", JmpOp.JSLT), ("jsle", JmpOp.JSLE)):
            for source in Source:
                zero = {"src"} if source is Source.K else {"imm"}
                rows.append(OpSpec(f"{name}{suffix}", cls | op | source, Kind.JUMP, name, width,
                                   source, zero=frozenset(zero),
                                   doc=f"if dst {JUMP_DOCS[name]} src ({width}-bit) goto pc + off + 1"))
    return rows


def _memory_rows() -> list[OpSpec]:
    rows = [
        OpSpec("lddw", Class.LD | Mode.IMM | Size.DW, Kind.LDDW, "lddw", 8, off=0,
               doc="dst = 64-bit imm (two slots); src selects a pseudo form (map fd, map value, ...)"),
    ]
    for size in (Size.W, Size.H, Size.B):
        nbytes = SIZE_BYTES[size]
        sfx = MEM_SUFFIX[nbytes]
        rows.append(OpSpec(f"ldabs{sfx}", Class.LD | Mode.ABS | size, Kind.LEGACY, "ldabs", nbytes,
                           off=0, zero=frozenset({"dst", "src"}),
                           doc=f"r0 = ntoh(*(u{nbytes * 8} *)(skb->data + imm)), legacy"))
        rows.append(OpSpec(f"ldind{sfx}", Class.LD | Mode.IND | size, Kind.LEGACY, "ldind", nbytes,
                           Source.X, off=0, zero=frozenset({"dst"}),
                           doc=f"r0 = ntoh(*(u{nbytes * 8} *)(skb->data + src + imm)), legacy"))
    for size, nbytes in SIZE_BYTES.items():
        sfx = MEM_SUFFIX[nbytes]
        rows.append(OpSpec(f"ldx{sfx}", Class.LDX | Mode.MEM | size, Kind.LOAD, "ldx", nbytes,
                           Source.X, imm=0, doc=f"dst = *(u{nbytes * 8} *)(src + off)"))
        if nbytes < 8:
            rows.append(OpSpec(f"ldxs{sfx}", Class.LDX | Mode.MEMSX | size, Kind.LOAD, "ldxs",
                               nbytes, Source.X, imm=0,
                               doc=f"dst = *(s{nbytes * 8} *)(src + off), sign-extended"))
        rows.append(OpSpec(f"st{sfx}", Class.ST | Mode.MEM | size, Kind.STORE, "st", nbytes,
                           Source.K, zero=frozenset({"src"}),
                           doc=f"*(u{nbytes * 8} *)(dst + off) = imm"))
        rows.append(OpSpec(f"stx{sfx}", Class.STX | Mode.MEM | size, Kind.STORE, "stx", nbytes,
                           Source.X, imm=0, doc=f"*(u{nbytes * 8} *)(dst + off) = src"))
    for size, width, suffix in ((Size.DW, 8, ""), (Size.W, 4, "32")):
        code = Class.STX | Mode.ATOMIC | size
        for name, value in (("add", AtomicOp.ADD), ("or", AtomicOp.OR), ("and", AtomicOp.AND),
                            ("xor", AtomicOp.XOR)):
            rows.append(OpSpec(f"lock {name}{suffix}", code, Kind.ATOMIC, name, width, Source.X,
                               imm=value, doc=f"lock *(u{width * 8} *)(dst + off) {name}= src"))
            rows.append(OpSpec(f"lock fetch {name}{suffix}", code, Kind.ATOMIC, f"fetch_{name}",
                               width, Source.X, imm=value | ATOMIC_FETCH,
                               doc=f"src = atomic_fetch_{name}((u{width * 8} *)(dst + off), src)"))
        rows.append(OpSpec(f"lock xchg{suffix}", code, Kind.ATOMIC, "xchg", width, Source.X,
                           imm=AtomicOp.XCHG, doc=f"src = xchg((u{width * 8} *)(dst + off), src)"))
        rows.append(OpSpec(f"lock cmpxchg{suffix}", code, Kind.ATOMIC, "cmpxchg", width, Source.X,
                           imm=AtomicOp.CMPXCHG,
                           doc=f"r0 = cmpxchg((u{width * 8} *)(dst + off), r0, src)"))
    for size, nbytes in SIZE_BYTES.items():
        sfx = MEM_SUFFIX[nbytes]
        code = Class.STX | Mode.ATOMIC | size
        rows.append(OpSpec(f"ldacq{sfx}", code, Kind.ATOMIC, "load_acquire", nbytes, Source.X,
                           imm=AtomicOp.LOAD_ACQ,
                           doc=f"dst = load_acquire((u{nbytes * 8} *)(src + off)), zero-extended"))
        rows.append(OpSpec(f"strel{sfx}", code, Kind.ATOMIC, "store_release", nbytes, Source.X,
                           imm=AtomicOp.STORE_REL,
                           doc=f"store_release((u{nbytes * 8} *)(dst + off), src)"))
    return rows


OPCODES: tuple[OpSpec, ...] = tuple(_alu_rows() + _jump_rows() + _memory_rows())

BY_MNEMONIC: dict[str, tuple[OpSpec, ...]] = {}
BY_OPCODE: dict[int, tuple[OpSpec, ...]] = {}
for _row in OPCODES:
    BY_MNEMONIC[_row.mnemonic] = BY_MNEMONIC.get(_row.mnemonic, ()) + (_row,)
    BY_OPCODE[_row.opcode] = BY_OPCODE.get(_row.opcode, ()) + (_row,)
del _row

assert len({row.name for row in OPCODES}) == len(OPCODES), "row names must be unique"
assert len({row.key for row in OPCODES}) == len(OPCODES), "encodings must be unique"


def op_class(opcode: int) -> Class:
    return Class(opcode & 0x07)


def candidates(opcode: int) -> tuple[OpSpec, ...]:
    """Every row sharing this opcode byte (they differ in a pinned off or imm)."""
    return BY_OPCODE.get(opcode, ())


def match(opcode: int, off: int, imm: int) -> OpSpec | None:
    """The row an (opcode, off, imm) triple encodes, or None if no row claims it.

    A row's pinned ``off``/``imm`` must match exactly; free fields match anything.
    Fields that must be zero (``OpSpec.zero``) are checked by the decoder, so it
    can name the offending field.
    """
    for row in candidates(opcode):
        if (row.off is None or row.off == off) and (row.imm is None or row.imm == imm):
            return row
    return None
