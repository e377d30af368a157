"""Helper calls and ``exit`` (``check_helper_call``, ``check_return_code``).

Each function takes the ``Explorer``, the instruction's slot and the state
before it.
"""

from __future__ import annotations

from pathlib import Path

from ..helpers.kinds import ProgType
from ..helpers.prototypes import PROTOTYPES
from ..isa import Insn
from . import messages
from .errors import Unsupported
from .regs import RegState, RegType
from .scalar import S64_MAX, S64_MIN, Scalar
from .stack import MAX_STACK, SLOT_SIZE, SlotType, Stack
from .state import State

CALLER_SAVED = range(1, 6)
HELPER_ARG_REGS = (1, 2, 3, 4, 5)

# Program types whose exit this explorer models, with the range check_return_code
# enforces on R0 (None: no check). Asked of the live kernel (tests check it).
RETURN_RANGES: dict[ProgType, tuple[int, int] | None] = {
    ProgType.SOCKET_FILTER: None, ProgType.KPROBE: None, ProgType.SCHED_CLS: None,
    ProgType.SCHED_ACT: None, ProgType.TRACEPOINT: None, ProgType.XDP: None,
    ProgType.PERF_EVENT: None, ProgType.CGROUP_SKB: (0, 1),
}
# Map types a lookup is modelled for; the array's value is never NULL for a constant
# key in range (can_elide_value_nullness).
LOOKUP_MAP_TYPES = {"hash": False, "array": True}


def _possible_cpus() -> int:
    """nr_cpu_ids: the kernel bounds bpf_get_smp_processor_id's result by it."""
    text = Path("/sys/devices/system/cpu/possible").read_text().strip()
    return max(int(part.split("-")[-1]) for part in text.split(",")) + 1


def _scalar_below(limit: int) -> Scalar:
    regs = Scalar.unknown().thaw()
    regs.umin, regs.umax = 0, limit - 1
    regs.bounds_sync()
    return regs.freeze()


# Helpers modelled: id -> what R0 becomes. Their arguments are checked by call().
SCALAR_HELPERS = {5: Scalar.unknown, 7: Scalar.unknown,               # ktime_get_ns, get_prandom_u32
                  8: lambda: _scalar_below(_possible_cpus())}        # get_smp_processor_id
MAP_LOOKUP = 1


def call(ex, pc: int, slot: Insn, state: State) -> list[tuple[int, State]]:
    """The states after a call instruction (one for a helper)."""
    if slot.src != 0:
        raise Unsupported("bpf-to-bpf calls and kfuncs are not modelled yet")
    proto = PROTOTYPES.get(slot.imm)
    if proto is None or (slot.imm not in SCALAR_HELPERS and slot.imm != MAP_LOOKUP):
        raise Unsupported(f"helper #{slot.imm} is not modelled yet")
    if not proto.allowed_in(ex.prog_type):
        ex.reject(state, messages.render("helper_not_for_prog_type", name=proto.name,
                                         func_id=slot.imm), pc)
    for regno in HELPER_ARG_REGS[:len(proto.args)]:
        if not state.regs[regno].is_init():
            ex.reject(state, messages.render("not_read_ok", regno=regno), pc)
    if slot.imm == MAP_LOOKUP:
        result = _map_lookup(ex, state)
    else:
        result = RegState.scalar(SCALAR_HELPERS[slot.imm]())
    regs = list(state.regs)
    for regno in CALLER_SAVED:
        regs[regno] = RegState.not_init()
    regs[0] = result
    return [(pc + 1, state.with_regs(regs))]


def _map_lookup(ex, state: State) -> RegState:
    map_reg, key = state.regs[1], state.regs[2]
    if map_reg.type is not RegType.CONST_PTR_TO_MAP:
        raise Unsupported("bpf_map_lookup_elem without a map in R1 is not modelled yet")
    info = next(m for m in ex.maps if m.ref() == map_reg.map)
    if info.type not in LOOKUP_MAP_TYPES:
        raise Unsupported(f"lookups in {info.type} maps are not modelled yet")
    if key.type is not RegType.PTR_TO_STACK or not key.var.is_const() or key.var.var_off.value:
        raise Unsupported("a map key that is not on the stack at a fixed offset")
    if key.off < -MAX_STACK or key.off + info.key_size > 0:
        raise Unsupported("a map key outside the stack: the kernel's message is not modelled")
    stack = state.stack_of(key.frameno)
    for byte in range(key.off, key.off + info.key_size):
        kind = stack.slot_at(byte).types[(-byte - 1) % SLOT_SIZE]
        if kind not in (SlotType.STACK_MISC, SlotType.STACK_ZERO, SlotType.STACK_SPILL):
            raise Unsupported("a map key with unwritten or special stack bytes")
    constant = _constant_key(stack, key.off, info.key_size)
    if LOOKUP_MAP_TYPES[info.type] and constant is not None and constant < info.max_entries:
        return RegState.map_value(map_reg.map)
    return RegState.map_value_or_null(map_reg.map, ex.new_id())


def exit_(ex, pc: int, state: State) -> list[tuple[int, State]]:
    """The states after ``exit``: none at the end of the main program."""
    if len(state.frames) > 1:
        raise Unsupported("returning from a bpf-to-bpf call is not modelled yet")
    r0 = state.regs[0]
    if not r0.is_init():
        ex.reject(state, messages.render("not_read_ok", regno=0), pc)
    bounds = RETURN_RANGES[ex.prog_type]
    if bounds is None:
        return []
    if not r0.is_scalar():
        raise Unsupported("a pointer returned where the return value is checked")
    low, high = bounds
    if not low <= r0.var.smin <= r0.var.smax <= high:
        shown = []
        if r0.var.smin > S64_MIN:
            shown.append(f"smin={r0.var.smin}")
        if r0.var.smax < S64_MAX:
            shown.append(f"smax={r0.var.smax}")
        value = " ".join(shown)
        ex.reject(state, messages.render("return_range", context="program exit",
                                         regno=0, value=value, low=low, high=high), pc)
    return []


def _constant_key(stack: Stack, off: int, key_size: int) -> int | None:
    """get_constant_map_key: zeros covering the key, or a constant spilled with its size."""
    slot = stack.slot_at(off)
    index = (-off - 1) % SLOT_SIZE
    zeros = 0
    for i in range(index, -1, -1):
        if slot.types[i] is not SlotType.STACK_ZERO:
            break
        zeros += 1
    if zeros >= key_size:
        return 0
    if not slot.is_spill() or not slot.spilled.is_scalar():
        return None
    spill = 0
    for i in range(index, -1, -1):
        if slot.types[i] is not SlotType.STACK_SPILL:
            break
        spill += 1
    if spill != key_size or not slot.spilled.var.is_const():
        return None
    return slot.spilled.var.var_off.value
