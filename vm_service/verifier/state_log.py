"""How the verifier log prints registers, stack slots and references (Linux 6.18, log level 2).

``reg_text`` is what follows ``R1=``: the type's name with its flags
(``map_value_or_null``, ``ringbuf_mem``, ``fp``) and, in parentheses, the
fields that say something (``id=``, ``ref_obj_id=``, ``map=``/``ks=``/``vs=``,
``off=``, ``r=``, ``sz=``, then the variable offset: ``imm=`` when known,
else its bounds and tnum as for scalars). Stack pointers print as ``fp-8``
while their offset is known, scalars as ``scalar_text`` prints them.

``state_text`` is a whole state line (``print_verifier_state``): every
initialised register in order, every written stack slot from fp-8 down
(``fp-8=0000????``, or the spilled register after the letters of the bytes
above a narrow spill: ``fp-8=ctx()``, ``fp-16=mmmm5``), then ``refs=`` (and ``cb`` in a callback). After
an instruction the kernel prints only what it touched: pass those registers
and slots as ``scratched``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from ..helpers.kinds import TypeFlag
from .regs import MAP_TYPES, PACKET_TYPES, RegState, RegType
from .scalar_log import scalar_text, signed_text, unsigned_text
from .stack import SLOT_SIZE, Stack
from .tnum import U64

BASE_NAMES = {
    RegType.NOT_INIT: "?", RegType.SCALAR_VALUE: "scalar", RegType.PTR_TO_CTX: "ctx",
    RegType.CONST_PTR_TO_MAP: "map_ptr", RegType.PTR_TO_MAP_VALUE: "map_value",
    RegType.PTR_TO_STACK: "fp", RegType.PTR_TO_PACKET: "pkt", RegType.PTR_TO_PACKET_META: "pkt_meta",
    RegType.PTR_TO_PACKET_END: "pkt_end", RegType.PTR_TO_FLOW_KEYS: "flow_keys",
    RegType.PTR_TO_SOCKET: "sock", RegType.PTR_TO_SOCK_COMMON: "sock_common",
    RegType.PTR_TO_TCP_SOCK: "tcp_sock", RegType.PTR_TO_TP_BUFFER: "tp_buffer",
    RegType.PTR_TO_XDP_SOCK: "xdp_sock", RegType.PTR_TO_BTF_ID: "ptr_", RegType.PTR_TO_MEM: "mem",
    RegType.PTR_TO_ARENA: "arena", RegType.PTR_TO_BUF: "buf", RegType.PTR_TO_FUNC: "func",
    RegType.PTR_TO_MAP_KEY: "map_key", RegType.CONST_PTR_TO_DYNPTR: "dynptr_ptr",
}
# prefixes in the kernel's order
FLAG_PREFIXES = ((TypeFlag.MEM_RDONLY, "rdonly_"), (TypeFlag.MEM_RINGBUF, "ringbuf_"),
                 (TypeFlag.MEM_USER, "user_"), (TypeFlag.MEM_PERCPU, "percpu_"),
                 (TypeFlag.MEM_RCU, "rcu_"), (TypeFlag.PTR_UNTRUSTED, "untrusted_"),
                 (TypeFlag.PTR_TRUSTED, "trusted_"))


def type_text(reg: RegState) -> str:
    """``reg_type_str``: flag prefixes, the base name, ``_or_null`` (``or_null_`` for BTF ids)."""
    prefix = "".join(text for flag, text in FLAG_PREFIXES if reg.flags & flag)
    postfix = ""
    if reg.flags & TypeFlag.PTR_MAYBE_NULL:
        postfix = "or_null_" if reg.type is RegType.PTR_TO_BTF_ID else "_or_null"
    return prefix + BASE_NAMES[reg.type] + postfix


def _var_parts(reg: RegState) -> list[str]:
    """A pointer's variable offset: ``imm=`` when known and not 0, else its bounds and tnum."""
    var = reg.var
    if var.is_const():
        return [f"imm={signed_text(var.var_off.value)}"] if var.var_off.value else []
    inner = scalar_text(var)[len("scalar("):-1]
    return [inner] if inner else []


def reg_text(reg: RegState, frameno: int = 0) -> str:
    """What the log prints after ``Rn=`` (``print_reg_state``) in frame ``frameno``."""
    if reg.type is RegType.SCALAR_VALUE:
        mark = "P" if reg.precise else ""
        text = scalar_text(reg.var)
        if reg.id and not reg.var.is_const():
            inner = text[len("scalar("):-1]
            delta = f"{reg.off:+d}" if reg.off else ""
            text = f"scalar(id={reg.id}{delta}{',' if inner else ''}{inner})"
        return mark + text
    name = type_text(reg)
    if reg.type is RegType.PTR_TO_STACK:
        if reg.frameno != frameno:
            name += f"[{reg.frameno}]"
        if reg.var.is_const():
            return name + signed_text(reg.var.var_off.value + reg.off)
    if reg.type is RegType.PTR_TO_BTF_ID:
        name += reg.btf_name
    parts = []
    if reg.id:
        parts.append(f"id={reg.id}")
    if reg.ref_obj_id:
        parts.append(f"ref_obj_id={reg.ref_obj_id}")
    if reg.flags & TypeFlag.NON_OWN_REF:
        parts.append("non_own_ref")
    if reg.type in MAP_TYPES:
        if reg.map.name:
            parts.append(f"map={reg.map.name}")
        parts.append(f"ks={reg.map.key_size},vs={reg.map.value_size}")
    if reg.off:
        parts.append(f"off={signed_text(reg.off)}")
    if reg.type in PACKET_TYPES:
        parts.append(f"r={unsigned_text(reg.range & U64)}")   # AT_PKT_END/BEYOND_PKT_END wrap
    if reg.type is RegType.PTR_TO_MEM:
        parts.append(f"sz={unsigned_text(reg.mem_size)}")
    parts += _var_parts(reg)
    return f"{name}({','.join(parts)})"


def slot_text(stack: Stack, spi: int, frameno: int = 0) -> str | None:
    """``fp-8=...`` for one slot, or None for a slot never written (the log skips it)."""
    slot = stack.slot(spi)
    if not slot.is_valid():
        return None
    letters = "".join(kind.letter for kind in slot.types)
    if slot.is_spill():
        above = letters[:SLOT_SIZE - slot.spill_size()]
        return f"fp{-(spi + 1) * SLOT_SIZE}={above}{reg_text(slot.spilled, frameno)}"
    return f"fp{-(spi + 1) * SLOT_SIZE}={letters}"


@dataclass(frozen=True)
class Scratched:
    """What one instruction touched: the registers and stack slots (by spi) the log shows."""

    regs: frozenset[int] = frozenset()
    slots: frozenset[int] = frozenset()

    @staticmethod
    def of(regs: Iterable[int] = (), slots: Iterable[int] = ()) -> "Scratched":
        return Scratched(frozenset(regs), frozenset(slots))


def state_text(regs: list[RegState] | tuple[RegState, ...], stack: Stack, refs: Iterable[int] = (),
               *, frameno: int = 0, scratched: Scratched | None = None, in_callback: bool = False) -> str:
    """One frame's state as the log prints it, without the leading ``N:`` or ``; ``.

    ``scratched=None`` prints everything (a state at a branch target); otherwise
    only the registers and slots named, as the line after an instruction does.
    A callback's frame (``bpf_loop``'s) ends with ``cb``.
    """
    items = [f"frame{frameno}:"] if frameno else []
    for number, reg in enumerate(regs):
        if reg.is_init() and (scratched is None or number in scratched.regs):
            items.append(f"R{number}={reg_text(reg, frameno)}")
    for spi in range(len(stack.slots)):
        if scratched is None or spi in scratched.slots:
            text = slot_text(stack, spi, frameno)
            if text is not None:
                items.append(text)
    ids = [ref for ref in refs if ref]
    if ids:
        items.append("refs=" + ",".join(map(str, ids)))
    if in_callback:
        items.append("cb")
    return " ".join(items)

