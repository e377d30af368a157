"""How each opcode-table row is spelled in text: the tables the printers fill and the assembler matches.

Kernel/LLVM syntax is a template per row (and per ``src`` variant for calls and
ld_imm64), with placeholders for the free fields::

    {d} {s}        register numbers (the ``r``/``w`` prefix is part of the template)
    {imm}          32-bit immediate          {u32}   the same, always unsigned hex
    {uimm}         a jump's immediate (the kernel prints it as unsigned hex)
    {off}          memory offset, sign first ("+8", "- 0x8")
    {target}       jump target: relative ("pc+3", "+0x3") or a label
    {rel}          relative target without the kernel's "pc" ("+3")
    {imm64}        ld_imm64's 64-bit value   {next}  the second slot's imm
    {helper}       the helper or kfunc name printed before ``#imm``
    {src}          ld_imm64's pseudo source, in LLVM's ``ld_pseudo``

The kernel templates follow kernel/bpf/disasm.c (Linux 6.18, as the verifier log
prints them), the LLVM ones follow llvm-objdump 22. A dialect's number format is
the printer's business (``disasm.py``); the parser accepts any format in any
template, so text from either tool assembles. The uBPF/bpf_conformance dialect is
mnemonic-driven instead: ``UBPF_OPERANDS`` gives each operation's operand shape.

ld_imm64 pseudo forms (``src`` 1-6) use bpftool's spelling where it has one
(``map[id:N]``, ``map[id:N][0]+M``, ``map[idx:N]+M``, ``subprog[+N]``) and ours in
the same style otherwise (``map[idx:N]``, ``btf_id[N]``); the verifier log itself
prints the resolved value (``r1 = 0x0`` for a map), which cannot round-trip. A form that cannot
carry the second slot's imm falls back to LLVM's ``ld_pseudo rD, SRC, IMM64``,
which every dialect accepts.
"""

from __future__ import annotations

from .opcodes import OPCODES, CallKind, Kind, OpSpec, Pseudo

ALU_OPERATORS = {
    "add": "+=", "sub": "-=", "mul": "*=", "div": "/=", "sdiv": "s/=", "or": "|=",
    "and": "&=", "lsh": "<<=", "rsh": ">>=", "mod": "%=", "smod": "s%=", "xor": "^=",
    "mov": "=", "arsh": "s>>=",
}
JUMP_OPERATORS = {
    "jeq": "==", "jgt": ">", "jge": ">=", "jset": "&", "jne": "!=", "jsgt": "s>",
    "jsge": "s>=", "jlt": "<", "jle": "<=", "jslt": "s<", "jsle": "s<=",
}
ATOMIC_OPERATORS = {"add": "+=", "or": "|=", "and": "&=", "xor": "^="}
UNSIGNED = {1: "u8", 2: "u16", 4: "u32", 8: "u64"}
SIGNED = {1: "s8", 2: "s16", 4: "s32"}

# ld_imm64 by src: (kernel/bpftool form, whether it carries the second slot's imm).
PSEUDO_FORMS: dict[int, tuple[str, bool]] = {
    Pseudo.NONE: ("r{d} = {imm64}", True),
    Pseudo.MAP_FD: ("r{d} = map[id:{imm}]", False),
    Pseudo.MAP_VALUE: ("r{d} = map[id:{imm}][0]+{next}", True),
    Pseudo.BTF_ID: ("r{d} = btf_id[{imm}]", False),
    Pseudo.FUNC: ("r{d} = subprog[{rel}]", False),
    Pseudo.MAP_IDX: ("r{d} = map[idx:{imm}]", False),
    Pseudo.MAP_IDX_VALUE: ("r{d} = map[idx:{imm}]+{next}", True),
}
LD_PSEUDO = "ld_pseudo\tr{d}, {src}, {imm64}"  # any src; LLVM prints only the low imm

# The uBPF dialect names 64-bit byte swaps swap16/32/64 as well as bswap16/32/64.
UBPF_ALIASES = {"swap16": "bswap16", "swap32": "bswap32", "swap64": "bswap64"}

# uBPF operand shapes by (kind, op); "src|imm" picks the reg or imm row by the operand.
UBPF_OPERANDS: dict[tuple[Kind, str], tuple[str, ...]] = {
    **{(Kind.ALU, op): ("dst", "src|imm") for op in ALU_OPERATORS},
    (Kind.ALU, "neg"): ("dst",), (Kind.ALU, "le"): ("dst",), (Kind.ALU, "be"): ("dst",),
    (Kind.ALU, "bswap"): ("dst",), (Kind.ALU, "movsx"): ("dst", "src"),
    (Kind.ALU, "addr_space_cast"): ("dst", "src"),
    (Kind.JUMP, "ja"): ("target",), (Kind.JUMP, "may_goto"): ("target",),
    **{(Kind.JUMP, op): ("dst", "src|imm", "target") for op in JUMP_OPERATORS},
    (Kind.EXIT, "exit"): (),
    (Kind.LOAD, "ldx"): ("dst", "mem_src"), (Kind.LOAD, "ldxs"): ("dst", "mem_src"),
    (Kind.STORE, "st"): ("mem_dst", "imm"), (Kind.STORE, "stx"): ("mem_dst", "src"),
    (Kind.ATOMIC, "load_acquire"): ("dst", "mem_src"),
    (Kind.ATOMIC, "store_release"): ("mem_dst", "src"),
    (Kind.LDDW, "lddw"): ("dst", "imm64"),
    (Kind.LEGACY, "ldabs"): ("imm",), (Kind.LEGACY, "ldind"): ("src", "imm"),
}
for _op in ("add", "or", "and", "xor", "fetch_add", "fetch_or", "fetch_and", "fetch_xor",
            "xchg", "cmpxchg"):
    UBPF_OPERANDS[(Kind.ATOMIC, _op)] = ("mem_dst", "src")
del _op

# uBPF call forms by src (bpf_conformance: "call N", "call local L", "call runtime N").
UBPF_CALL_MODES = {CallKind.HELPER: "helper", CallKind.LOCAL: "local", CallKind.KFUNC: "runtime"}


def _alu(row: OpSpec, llvm: bool) -> str:
    r = "w" if row.width == 32 else "r"
    if row.op in ALU_OPERATORS:
        operand = f"{r}{{s}}" if row.uses_src_reg else "{imm}"
        return f"{r}{{d}} {ALU_OPERATORS[row.op]} {operand}"
    if row.op == "neg":
        return f"{r}{{d}} = -{r}{{d}}"
    if row.op == "movsx":
        return f"{r}{{d}} = (s{row.off}){r}{{s}}"
    if row.op == "addr_space_cast":
        dst_as, src_as = row.imm >> 16, row.imm & 0xFFFF
        pair = f"0x{dst_as:x}, 0x{src_as:x}" if llvm else f"{dst_as}, {src_as}"
        return f"r{{d}} = addr_space_cast(r{{s}}, {pair})"
    return f"r{{d}} = {row.op}{row.width} r{{d}}"  # le, be, bswap


def _jump(row: OpSpec) -> str:
    if row.op == "ja":
        return "gotol {target}" if row.width == 32 else "goto {target}"
    if row.op == "may_goto":
        return "may_goto {target}"
    r = "w" if row.width == 32 else "r"
    operand = f"{r}{{s}}" if row.uses_src_reg else "{uimm}"
    return f"if {r}{{d}} {JUMP_OPERATORS[row.op]} {operand} goto {{target}}"


def _memory(row: OpSpec, llvm: bool) -> str:
    size = UNSIGNED[row.width]
    # llvm-objdump shows the 32-bit subregister for sub-64-bit loads and stores.
    r = "w" if llvm and row.width < 8 else "r"
    if row.op == "ldx":
        return f"{r}{{d}} = *({size} *)(r{{s}} {{off}})"
    if row.op == "ldxs":
        return f"r{{d}} = *({SIGNED[row.width]} *)(r{{s}} {{off}})"
    if row.op == "st":
        return f"*({size} *)(r{{d}} {{off}}) = {{imm}}"
    if row.op == "stx":
        return f"*({size} *)(r{{d}} {{off}}) = {r}{{s}}"
    if row.op == "load_acquire":
        return f"{r}{{d}} = load_acquire(({size} *)(r{{s}} {{off}}))"
    if row.op == "store_release":
        return f"store_release(({size} *)(r{{d}} {{off}}), {r}{{s}})"
    mem = f"({size} *)(r{{d}} {{off}})"
    if row.op in ATOMIC_OPERATORS:
        return f"lock *{mem} {ATOMIC_OPERATORS[row.op]} {r}{{s}}"
    if llvm:
        if row.op == "xchg":
            return f"{r}{{s}} = xchg{'32' if row.width == 4 else ''}_{row.width * 8}(r{{d}} {{off}}, {r}{{s}})"
        if row.op == "cmpxchg":
            return (f"{r}0 = cmpxchg{'32' if row.width == 4 else ''}_{row.width * 8}"
                    f"(r{{d}} {{off}}, {r}0, {r}{{s}})")
        return f"{r}{{s}} = atomic_{row.op}({mem}, {r}{{s}})"
    atomic = "atomic64" if row.width == 8 else "atomic"
    if row.op == "cmpxchg":
        return f"r0 = {atomic}_cmpxchg({mem}, r0, r{{s}})"
    return f"r{{s}} = {atomic}_{row.op}({mem}, r{{s}})"  # fetch_*, xchg


def _legacy(row: OpSpec, llvm: bool) -> str:
    size = UNSIGNED[row.width]
    if row.op == "ldabs":
        return f"r0 = *({size} *)skb[{{imm}}]"
    return f"r0 = *({size} *)skb[r{{s}}]" if llvm else f"r0 = *({size} *)skb[r{{s}} + {{imm}}]"


def template(row: OpSpec, variant: int | None, llvm: bool) -> str:
    """The text of ``row`` (``variant`` = src of a call or ld_imm64) in kernel or LLVM syntax."""
    match row.kind:
        case Kind.ALU:
            return _alu(row, llvm)
        case Kind.JUMP:
            return _jump(row)
        case Kind.EXIT:
            return "exit"
        case Kind.CALL:
            if llvm:
                return "call {imm}"  # llvm-objdump does not show src: local calls and kfuncs look like helpers
            return "call {target}" if variant == CallKind.LOCAL else "call {helper}#{imm}"
        case Kind.LDDW:
            if llvm:
                return "r{d} = {imm64} ll" if variant == Pseudo.NONE else "ld_pseudo\tr{d}, {src}, {u32}"
            return PSEUDO_FORMS[variant][0]
        case Kind.LEGACY:
            return _legacy(row, llvm)
        case _:
            return _memory(row, llvm)


def variants(row: OpSpec) -> tuple[int | None, ...]:
    """The src values that change a row's spelling (calls and ld_imm64), else (None,)."""
    if row.kind is Kind.CALL:
        return tuple(CallKind)
    if row.kind is Kind.LDDW:
        return tuple(Pseudo)
    return (None,)


def all_templates() -> list[tuple[OpSpec, int | None, str]]:
    """Every (row, variant, template) the assembler recognises, in table order, kernel first.

    A text shared by several variants is listed once, for the first: LLVM's
    ``call N`` is a helper call and the kernel's ``call name#N`` is resolved by
    name (``kernel-function`` or a non-helper name means a kfunc). LLVM's
    ``ld_pseudo`` is listed once per row with the src taken from the text and a
    full 64-bit value (variant None).
    """
    out = []
    for row in OPCODES:
        seen = set()
        for variant in variants(row):
            for text in (template(row, variant, False), template(row, variant, True)):
                if text not in seen and not text.startswith("ld_pseudo"):
                    seen.add(text)
                    out.append((row, variant, text))
        if row.kind is Kind.LDDW:
            out.append((row, None, LD_PSEUDO))
    return out
