"""The fast run mode is step mode, faster: same events, same machine state, on every
conformance vector and on generated programs paused, resumed and stepped at random."""

from __future__ import annotations

import copy
import dataclasses
import itertools
from types import SimpleNamespace
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conformance_data import vector_params
from tests.machine_state import machine_state
from vm_service import fast_translate
from vm_service import helpers as helper_module
from vm_service.environment import Environment
from vm_service.errors import VmError
from vm_service.fast import fast_eligible, run_fast, translation
from vm_service.isa import Instruction, make
from vm_service.maps import MapSpec, MapType, create_map
from vm_service.machine import FP, HELPER_LOOP, HELPER_TAIL_CALL, Machine
from vm_service.opcodes import BY_MNEMONIC, OPCODES, CallKind, Kind, Pseudo, Source
from vm_service.program import Program

# -- the comparison ------------------------------------------------------------------


def assert_same(make_machine, calls) -> None:
    """Both modes through the same calls: ("run", budget, breakpoints) or ("step",)."""
    slow, fast = make_machine(), make_machine()
    assert machine_state(slow) == machine_state(fast)
    for call in calls:
        if call[0] == "step":
            assert fast.step() == slow.step()
        else:
            _, budget, breakpoints = call
            expected = slow.run(budget, breakpoints)
            assert run_fast(fast, budget, breakpoints) == expected
        assert machine_state(fast) == machine_state(slow)
        if slow.done:
            break


TO_THE_END = [("run", None, ())]
PAUSES = [("run", 3, ())] * 40 + [("run", 1, ())] * 5 + TO_THE_END

# -- helpers and maps ----------------------------------------------------------------


def environment_helpers() -> dict:
    """Every raw-mode helper, bpf_loop and bpf_tail_call included (the Machine runs those)."""
    return helper_module.implementations(None)


def map_setup() -> tuple[list, dict]:
    """(maps, helpers): an array and a hash map.

    Each machine must get a deep copy of the maps (they are run state; a copy
    keeps the map ids equal, as a snapshot does).
    """
    return [create_map(MapSpec(MapType.ARRAY, 4, 8, 4)),
            create_map(MapSpec(MapType.HASH, 4, 8, 4))], environment_helpers()


# -- conformance vectors --------------------------------------------------------------


def decodable(params: list) -> list:
    """The vectors whose bytecode makes a Program (the others have nothing to run)."""
    kept = []
    for param in params:
        vector = param.values[0]
        if vector is not None:  # None: the folder is missing, and the param says so
            try:
                Program.from_bytes(bytes.fromhex(vector["program_hex"] or ""))
            except VmError:
                continue
        kept.append(param)
    return kept


VECTORS = decodable(vector_params("bpf_conformance") + vector_params("ubpf", recursive=True))


def vector_machine(vector: dict):
    program = Program.from_bytes(bytes.fromhex(vector["program_hex"]))
    mem = bytes.fromhex(vector["mem_hex"] or "")
    return lambda: Machine.raw(program, mem, helpers=environment_helpers(), limit=100_000)


@pytest.mark.parametrize("vector", VECTORS)
def test_a_conformance_vector_runs_the_same_in_both_modes(vector):
    make_machine = vector_machine(vector)
    assert_same(make_machine, TO_THE_END)
    assert_same(make_machine, PAUSES)
    every_pc = tuple(range(len(make_machine().program)))
    assert_same(make_machine, [("run", None, every_pc)] * 100)


# -- generated programs -----------------------------------------------------------------

IMMEDIATES = st.one_of(st.sampled_from([0, 1, -1, 2, 3, 7, 8, 16, 31, 32, 33, 63, 64, 255, -8,
                                        0x7FFF_FFFF, -0x8000_0000, 0x8000, 0x1_0000 - 1]),
                       st.integers(-(1 << 31), (1 << 31) - 1))
MEM = 6  # the main function's prologue copies the input pointer here; values survive calls
# Destinations: mostly scratch registers, sometimes r1/r6 (pointers), rarely r10 (a fault).
REGISTERS = st.sampled_from([0, 2, 3, 4, 5, 7, 8, 9] * 12 + [1, MEM, FP])
ANY_REGISTER = st.integers(0, 10)
RARE_ALU = {"addr_space_cast"}  # always a fault
ROWS = {kind: [row for row in OPCODES if row.kind is kind and row.op not in RARE_ALU]
        for kind in Kind}
ROWS["rare"] = [row for row in OPCODES if row.op in RARE_ALU]
KIND_WEIGHTS = ([Kind.ALU] * 40 + [Kind.JUMP] * 16 + [Kind.LOAD] * 12 + [Kind.STORE] * 12
                + [Kind.LDDW] * 4 + [Kind.ATOMIC] * 4 + [Kind.CALL] * 4 + [Kind.LEGACY] * 2
                + [Kind.EXIT] * 2 + ["rare"])
MEM_SIZE = 64


def row(mnemonic: str, source: Source = Source.K):
    rows = BY_MNEMONIC[mnemonic]
    return next(r for r in rows if r.source is source or len(rows) == 1)


@dataclasses.dataclass
class Item:
    """An instruction of a generated function; ``target`` is symbolic until layout.

    ``target`` is ("item", index) for jumps (an item of the same function) or
    ("function", index) for local calls and function pointers.
    """

    insn: Instruction
    target: tuple[str, int] | None = None


def base_and_offset(draw, size: int) -> tuple[int, int]:
    """A base register and offset: mostly inside the stack or the input memory, not always."""
    base = draw(st.sampled_from([FP] * 12 + [MEM] * 6 + [1] * 2 + list(range(11))))
    if base == FP:
        return base, draw(st.integers(-512, -size) | st.integers(-520, 8))
    return base, draw(st.integers(0, MEM_SIZE - size) | st.integers(-8, MEM_SIZE + 8))


def item(draw, functions: int, length: int, with_maps: bool) -> Item:
    kind = draw(st.sampled_from(KIND_WEIGHTS))
    spec = draw(st.sampled_from(ROWS[kind]))
    dst = draw(REGISTERS) if "dst" not in spec.zero else 0
    src = draw(ANY_REGISTER) if spec.uses_src_reg else 0
    off = spec.off if spec.off is not None else 0
    imm = spec.imm if spec.imm is not None else 0 if "imm" in spec.zero else draw(IMMEDIATES)
    if kind is Kind.JUMP:
        target = draw(st.integers(0, length))  # length: the function's final exit
        return Item(make(spec, dst=dst, src=src, imm=imm), ("item", target))
    if kind is Kind.LOAD or spec.op == "load_acquire":
        src, off = base_and_offset(draw, spec.width)
    elif kind in (Kind.STORE, Kind.ATOMIC):
        dst, off = base_and_offset(draw, spec.width)
    elif kind is Kind.LEGACY:
        imm = draw(st.integers(-8, MEM_SIZE + 8)
                   | st.sampled_from([-0x100000, -0x100000 + 4, -0x200000]))
    elif kind is Kind.CALL:
        return call_item(draw, functions)
    elif kind is Kind.LDDW:
        return lddw_item(draw, functions, dst, with_maps)
    return Item(make(spec, dst=dst, src=src, off=off, imm=imm))


def call_item(draw, functions: int) -> Item:
    choice = draw(st.sampled_from(["helper"] * 6 + ["local"] * 3 + ["unknown", "kfunc"]))
    if choice == "local" and functions > 1:
        callee = draw(st.integers(1, functions - 1))
        return Item(make(row("call"), src=CallKind.LOCAL), ("function", callee))
    if choice == "kfunc":
        return Item(make(row("call"), src=CallKind.KFUNC, imm=draw(st.integers(1, 100))))
    helper = 999  # unknown
    if choice == "helper":
        helper = draw(st.sampled_from(sorted(helper_module.ENVIRONMENT_HELPERS)))
    return Item(make(row("call"), imm=helper))


def lddw_item(draw, functions: int, dst: int, with_maps: bool) -> Item:
    choice = draw(st.sampled_from(["value"] * 6 + ["function"] * 2
                                  + ["map"] * (3 if with_maps else 0) + ["other"]))
    if choice == "function":
        target = draw(st.integers(0, functions - 1))
        return Item(make(row("lddw"), dst=dst, src=Pseudo.FUNC), ("function", target))
    if choice == "map":
        pseudo = draw(st.sampled_from([Pseudo.MAP_FD, Pseudo.MAP_IDX]))
        return Item(make(row("lddw"), dst=dst, src=pseudo, imm=draw(st.integers(0, 2))))
    if choice == "other":
        pseudo = draw(st.sampled_from([1, 2, 3, 5, 6]))
        return Item(make(row("lddw"), dst=dst, src=pseudo, imm=draw(st.integers(0, 2))))
    return Item(make(row("lddw"), dst=dst, imm=draw(IMMEDIATES), next_imm=draw(IMMEDIATES)))


def counted_loop(draw, functions: int, with_maps: bool) -> list[Item]:
    """r9 = n; loop: body; r9 -= 1; if r9 != 0 goto loop (the body may spoil r9: then the limit).

    Targets are ("relative", k): the k-th item of this macro.
    """
    body = [item(draw, functions, 0, with_maps) for _ in range(draw(st.integers(1, 8)))]
    for entry in body:  # the body's jumps stay inside it
        if entry.target and entry.target[0] == "item":
            entry.target = ("relative", 1 + draw(st.integers(0, len(body))))
    return ([Item(make(row("mov"), dst=9, imm=draw(st.integers(1, 300))))] + body
            + [Item(make(row("sub"), dst=9, imm=1)),
               Item(make(row("jne"), dst=9, imm=0), ("relative", 1))])


def loop_call(draw, functions: int) -> list[Item]:
    """bpf_loop(count, callback, ctx, 0): a callback run as real, steppable calls."""
    count, callback = draw(st.integers(0, 6)), draw(st.integers(1, functions - 1))
    return [Item(make(row("mov"), dst=1, imm=count)),
            Item(make(row("lddw"), dst=2, src=Pseudo.FUNC), ("function", callback)),
            Item(make(row("mov"), dst=3, imm=draw(IMMEDIATES))),
            Item(make(row("mov"), dst=4, imm=draw(st.sampled_from([0, 0, 0, 1])))),
            Item(make(row("call"), imm=HELPER_LOOP))]


def map_access(draw) -> list[Item]:
    """*(u32 *)(fp-4) = key; r0 = map_lookup_elem(map, fp-4); if r0: *(u64 *)r0 += r8."""
    key, index = draw(st.integers(0, 5)), draw(st.integers(0, 1))
    return [Item(make(row("stw"), dst=FP, off=-4, imm=key)),
            Item(make(row("lddw"), dst=1, src=Pseudo.MAP_FD, imm=index)),
            Item(make(row("mov", Source.X), dst=2, src=FP)),
            Item(make(row("add"), dst=2, imm=-4)),
            Item(make(row("call"), imm=1)),
            Item(make(row("jeq"), dst=0, imm=0, off=3)),
            Item(make(row("ldxdw"), dst=3, src=0)),
            Item(make(row("add", Source.X), dst=3, src=8)),
            Item(make(row("stxdw"), dst=0, src=3))]


@st.composite
def function_items(draw, functions: int, with_maps: bool, main: bool) -> list[Item]:
    items: list[Item] = [Item(make(row("mov", Source.X), dst=MEM, src=1))] if main else []
    length = draw(st.integers(1, 24))
    while len(items) < length:
        roll = draw(st.integers(0, 19))
        if roll == 0 and functions > 1:
            items += loop_call(draw, functions)
        elif roll == 1 and with_maps:
            items += map_access(draw)
        elif roll in (2, 3):
            start = len(items)
            items += counted_loop(draw, functions, with_maps)
            for position in range(start, len(items)):
                target = items[position].target
                if target and target[0] == "relative":
                    items[position].target = ("item", start + target[1])
        else:
            items.append(item(draw, functions, length, with_maps))
    for entry in items:  # jumps: any item of this function, or the exit
        if entry.target and entry.target[0] == "item":
            entry.target = ("item", min(entry.target[1], len(items)))
    return items + [Item(make(row("exit")))]


def layout(functions: list[list[Item]]) -> Program:
    """Resolve symbolic targets into offsets and build the Program."""
    starts, positions, slot = [], [], 0
    for items in functions:
        starts.append(slot)
        positions.append([])
        for entry in items:
            positions[-1].append(slot)
            slot += entry.insn.slots
    out = []
    for number, items in enumerate(functions):
        for index, entry in enumerate(items):
            insn = entry.insn
            if entry.target is not None:
                where, which = entry.target
                target = positions[number][which] if where == "item" else starts[which]
                delta = target - positions[number][index] - 1
                if insn.kind is Kind.JUMP and insn.spec.mnemonic != "ja32":
                    insn = dataclasses.replace(insn, off=delta)
                else:
                    insn = dataclasses.replace(insn, imm=delta)
            out.append(insn)
    return Program.from_instructions(out)


@st.composite
def programs(draw, with_maps: bool = False) -> Program:
    functions = draw(st.integers(1, 3))
    return layout([draw(function_items(functions, with_maps, main=number == 0))
                   for number in range(functions)])


@st.composite
def sessions(draw, program: Program) -> list[tuple]:
    """Runs with random budgets and breakpoints, single steps, then a run to the end."""
    pcs = st.integers(0, len(program) - 1)
    call = st.one_of(
        st.tuples(st.just("run"), st.none() | st.integers(0, 40), st.just(())),
        st.tuples(st.just("run"), st.none() | st.integers(0, 200), st.frozensets(pcs, max_size=4)),
        st.tuples(st.just("step")))
    return draw(st.lists(call, max_size=12)) + TO_THE_END


def generated_machine(program: Program, mem: bytes, limit: int, seed: int, with_maps: bool):
    maps, helpers = map_setup() if with_maps else ([], environment_helpers())

    def make_machine():  # 3 ns per instruction: the clock must advance by ns_per_insn, not 1
        return Machine.raw(program, mem, helpers=helpers, limit=limit, maps=copy.deepcopy(maps),
                           env=Environment(seed=seed, ns_per_insn=3))
    return make_machine


SETTINGS = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(data=st.data(), program=programs(), mem=st.binary(min_size=0, max_size=MEM_SIZE),
       limit=st.integers(1, 600), seed=st.integers(0, 2**64 - 1))
def test_a_generated_program_runs_the_same_in_both_modes(data, program, mem, limit, seed):
    make_machine = generated_machine(program, mem, limit, seed, with_maps=False)
    assert_same(make_machine, data.draw(sessions(program)))


@SETTINGS
@given(data=st.data(), program=programs(with_maps=True), limit=st.integers(1, 2000))
def test_a_generated_program_using_maps_runs_the_same_in_both_modes(data, program, limit):
    make_machine = generated_machine(program, bytes(range(MEM_SIZE)), limit, 7, with_maps=True)
    assert_same(make_machine, data.draw(sessions(program)))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), program=programs(), limit=st.integers(1, 600))
def test_a_program_cut_into_many_small_units_runs_the_same_in_both_modes(data, program, limit):
    with mock.patch.object(fast_translate, "MAX_UNIT", 3):  # jumps between units: via the driver
        make_machine = generated_machine(program, bytes(MEM_SIZE), limit, 1, with_maps=False)
        assert_same(make_machine, data.draw(sessions(program)))
        assert len(translation(program).units) >= len(translation(program).entries) / 3


# -- hand-written cases -------------------------------------------------------------------

def imm(mnemonic, dst, value, off=None):
    return make(row(mnemonic), dst=dst, imm=value, off=off)


def reg(mnemonic, dst, src, off=None):
    return make(row(mnemonic, Source.X), dst=dst, src=src, off=off)


EXIT = make(row("exit"))

COUNTING_LOOP = [  # r0 = sum of 0..n-1, with a stack store and load each iteration
    imm("mov", 0, 0), imm("mov", 1, 0),
    reg("stxdw", FP, 1, off=-8), reg("ldxdw", 2, FP, off=-8), reg("add", 0, 2),
    imm("add", 1, 1), imm("jlt", 1, 1000, off=-5), EXIT]


def test_the_fast_mode_translates_instead_of_stepping(monkeypatch):
    program = Program.from_instructions(COUNTING_LOOP)
    machine = Machine.raw(program)
    assert fast_eligible(machine)
    steps = []
    original = Machine.step
    monkeypatch.setattr(Machine, "step", lambda self: steps.append(self.pc) or original(self))
    event = run_fast(machine)
    assert event.kind == "exit" and event.r0 == sum(range(1000))
    assert machine.instructions == 2 + 1000 * 5 + 1
    assert steps == [len(COUNTING_LOOP) - 1]  # only the exit


@pytest.mark.parametrize("calls", [
    TO_THE_END, PAUSES, [("run", 7, ())] * 1000, [("run", None, (3,))] * 1100,
    [("run", None, (2, 6))] * 10 + [("step",)] * 9 + TO_THE_END,
    [("run", 1000, ())] * 6, [("run", 4998, ())] + [("step",)] * 4 + TO_THE_END,
], ids=["to the end", "pauses", "budget 7", "breakpoint at a block start",
        "breakpoints inside blocks", "budget 1000", "mid-block start"])
def test_pauses_and_breakpoints_stop_where_step_mode_stops(calls):
    program = Program.from_instructions(COUNTING_LOOP)
    assert_same(lambda: Machine.raw(program, limit=4000), calls)


def test_the_instruction_limit_is_reached_at_the_same_count():
    program = Program.from_instructions(COUNTING_LOOP)
    for limit in (1, 2, 3, 7, 100, 4001):
        assert_same(lambda: Machine.raw(program, limit=limit), TO_THE_END)


def test_a_fault_in_a_block_stops_at_the_same_pc_with_the_same_message():
    program = Program.from_instructions([  # walks a store down and off the stack
        reg("mov", 2, FP), imm("mov", 0, 0),
        reg("stxdw", 2, 0, off=-8), imm("sub", 2, 8), imm("add", 0, 1),
        imm("jlt", 0, 100, off=-4), EXIT])
    assert_same(lambda: Machine.raw(program), TO_THE_END)
    machine = Machine.raw(program)
    event = run_fast(machine)
    assert event.kind == "fault" and event.pc == 2 and machine.regs[0] == 64


def test_a_read_only_region_and_the_input_memory_behave_as_in_step_mode():
    program = Program.from_instructions([
        reg("ldxw", 0, 1, off=4), imm("add", 0, 1), reg("stxw", 1, 0, off=8),
        reg("ldxb", 3, 1, off=63), imm("stb", 1, 0x7F, off=64), EXIT])
    assert_same(lambda: Machine.raw(program, bytes(range(64))), TO_THE_END)

    def read_only():
        machine = Machine.raw(program, bytes(range(64)))
        next(r for r in machine.memory.regions if r.name == "mem").writable = False
        return machine
    assert_same(read_only, TO_THE_END)


def test_a_machine_the_translation_cannot_vouch_for_runs_in_step_mode():
    class Tracing(Machine):
        def _alu(self, insn, pc):
            self.output.append({"alu": pc})
            return super()._alu(insn, pc)

    program = Program.from_instructions(COUNTING_LOOP)
    assert not fast_eligible(Tracing.raw(program))
    assert_same(lambda: Tracing.raw(program, limit=100), TO_THE_END)


def test_unmasked_registers_set_from_outside_are_kept_as_step_mode_keeps_them():
    def poked():
        machine = Machine.raw(Program.from_instructions([reg("stxb", FP, 7, off=-1), EXIT]))
        machine.regs[7] = -1
        machine.regs[0] = 1 << 70
        return machine
    assert_same(poked, TO_THE_END)


def test_a_translation_is_cached_per_program_and_dropped_with_it():
    import gc
    from vm_service import fast
    program = Program.from_instructions(COUNTING_LOOP)
    assert translation(program) is translation(program)
    key = id(program)
    del program
    gc.collect()
    assert key not in fast._TRANSLATIONS


def test_tail_calls_switch_the_translated_program():
    callee = Program.from_instructions([imm("add", 0, 100), EXIT])
    prog_array = SimpleNamespace(spec=SimpleNamespace(name="jmp", max_entries=4),
                                 get=lambda index: callee if index == 1 else None)
    caller = Program.from_instructions([
        imm("mov", 0, 1), imm("mov", 3, 0), lddw_map(2, 0), make(row("call"), imm=HELPER_TAIL_CALL),
        imm("mov", 3, 1), lddw_map(2, 0), make(row("call"), imm=HELPER_TAIL_CALL),
        imm("mov", 0, 7), EXIT])

    def make_machine():
        return Machine.raw(caller, helpers=environment_helpers(), maps=[prog_array])
    assert_same(make_machine, TO_THE_END)
    assert_same(make_machine, PAUSES)


def lddw_map(dst: int, index: int) -> Instruction:
    return make(row("lddw"), dst=dst, src=Pseudo.MAP_FD, imm=index)


def test_may_goto_spends_the_same_budget():
    program = Program.from_instructions([
        imm("mov", 0, 0), make(row("may_goto"), off=2), imm("add", 0, 1),
        make(row("ja"), off=-3), EXIT])
    assert_same(lambda: Machine.raw(program, limit=50_000), TO_THE_END)
    machine = Machine.raw(program, limit=50_000)
    machine.loops_left = 1000
    run_fast(machine)
    assert machine.regs[0] == 1000 and machine.loops_left == 0


def test_every_opcode_row_can_be_generated():
    rows = set(itertools.chain.from_iterable(ROWS[kind] for kind in set(KIND_WEIGHTS)))
    assert rows == set(OPCODES)
    assert ROWS["rare"]


def test_registers_written_after_a_helper_call_in_a_loop_keep_their_flags():
    program = Program.from_instructions([  # loop: r0 = prandom(); r1 = r0; r6 += 1; until 3
        imm("mov", 6, 0), make(row("call"), imm=7), reg("mov", 1, 0), imm("add", 6, 1),
        imm("jlt", 6, 3, off=-4), EXIT])
    assert_same(lambda: Machine.raw(program, helpers=environment_helpers()), TO_THE_END)
    machine = Machine.raw(program, helpers=environment_helpers())
    run_fast(machine)
    assert machine.written[1] and not machine.written[2]


def test_map_handles_resolved_by_the_loader_are_left_to_step_mode():
    program = Program.from_instructions([lddw_map(1, 0), reg("mov", 0, 1), EXIT])

    def loaded():
        return Machine.raw(program, resolve_pseudo=lambda machine, insn: 0x1234, maps=[None])
    assert_same(loaded, TO_THE_END)
    machine = loaded()
    assert run_fast(machine).r0 == 0x1234


def test_helper_calls_run_in_place_without_a_step(monkeypatch):
    program = Program.from_instructions([  # r6 times: prandom(), then exit with the last one
        imm("mov", 6, 0), make(row("call"), imm=7), imm("add", 6, 1),
        imm("jlt", 6, 50, off=-3), EXIT])
    machine = Machine.raw(program, helpers=environment_helpers())
    steps = []
    original = Machine.step
    monkeypatch.setattr(Machine, "step", lambda self: steps.append(self.pc) or original(self))
    assert run_fast(machine).kind == "exit"
    assert steps == [4] and machine.instructions == 1 + 50 * 3 + 1


@pytest.mark.parametrize("helper_id, message", [
    (9999, "invalid func unknown#9999"),
    (1, "is not a map"),                     # map_lookup_elem(r1 = 0, ...)
    (26, "cannot use helper bpf_skb_load_bytes"),  # known to the kernel, not in raw mode
], ids=["unknown helper", "bad argument", "helper of another program type"])
def test_a_helper_call_that_faults_stops_as_in_step_mode(helper_id, message):
    program = Program.from_instructions([
        imm("mov", 3, 5), imm("mov", 1, 0), make(row("call"), imm=helper_id), imm("mov", 0, 1),
        EXIT])

    def machine():
        from vm_service.helpers import helper_name
        return Machine.raw(program, helpers=environment_helpers(), helper_name=helper_name)
    assert_same(machine, TO_THE_END)
    fast = machine()
    event = run_fast(fast)
    assert event.kind == "fault" and event.pc == 2 and message in event.message
    assert fast.instructions == 3 and fast.regs[3] == 5
