"""Behaviour of the steppable Machine: semantics edge cases, faults, budget, calls, shadow state."""

from __future__ import annotations

import pytest

from vm_service.environment import Environment
from vm_service.helpers import implementations
from vm_service.isa import make
from vm_service.machine import MAX_CALL_FRAMES, Machine
from vm_service.memory import STACK_SIZE, RegionKind
from vm_service.opcodes import BY_MNEMONIC, CallKind, Source
from vm_service.program import Program


def row(mnemonic: str, source: Source | None = None):
    rows = BY_MNEMONIC[mnemonic]
    if source is None:
        assert len(rows) == 1, f"{mnemonic} needs a source"
        return rows[0]
    return next(r for r in rows if r.source is source)


def imm(mnemonic, dst, value, off=None):
    return make(row(mnemonic, Source.K), dst=dst, imm=value, off=off)


def reg(mnemonic, dst, src, off=None):
    return make(row(mnemonic, Source.X), dst=dst, src=src, off=off)


def lddw(dst, value):
    value &= (1 << 64) - 1
    return make(row("lddw"), dst=dst, imm=_s32(value & 0xFFFFFFFF), next_imm=_s32(value >> 32))


def _s32(value):
    return value - (1 << 32) if value >> 31 else value


EXIT = make(row("exit"))


def run(*instructions, mem=b"", **options):
    machine = Machine.raw(Program.from_instructions(list(instructions) + [EXIT]), mem, **options)
    return machine, machine.run()


def r0_of(*instructions, **options):
    machine, event = run(*instructions, **options)
    assert event.kind == "exit", event
    return event.r0


INT64_MIN = 1 << 63
U64 = (1 << 64) - 1


EDGE_CASES = {
    "div64 by zero register is 0": ([imm("mov", 0, 7), imm("mov", 1, 0), reg("div", 0, 1)], 0),
    "mod64 by zero register keeps dst": ([imm("mov", 0, 7), imm("mov", 1, 0), reg("mod", 0, 1)], 7),
    "mod32 by zero keeps only the low 32 bits of dst":
        ([lddw(0, 0x1_0000_0007), imm("mov", 1, 0), reg("mod32", 0, 1)], 7),
    "div32 by zero is 0": ([imm("mov", 0, -1), imm("mov", 1, 0), reg("div32", 0, 1)], 0),
    "sdiv64 INT_MIN by -1 wraps to INT_MIN":
        ([lddw(0, INT64_MIN), imm("mov", 1, -1), reg("sdiv", 0, 1)], INT64_MIN),
    "smod64 INT_MIN by -1 is 0": ([lddw(0, INT64_MIN), imm("mov", 1, -1), reg("smod", 0, 1)], 0),
    "sdiv32 INT_MIN by -1 wraps": ([imm("mov32", 0, -(1 << 31)), imm("sdiv32", 0, -1)], 0x8000_0000),
    "sdiv truncates toward zero": ([imm("mov", 0, -7), imm("sdiv", 0, 2)], U64 - 2),
    "smod takes the dividend's sign": ([imm("mov", 0, -7), imm("smod", 0, 2)], U64),
    "smod by zero keeps dst": ([imm("mov", 0, -7), imm("mov", 1, 0), reg("smod", 0, 1)], U64 - 6),
    "lsh64 masks the shift to 63": ([imm("mov", 0, 1), imm("mov", 1, 65), reg("lsh", 0, 1)], 2),
    "lsh32 masks the shift to 31 and zero-extends":
        ([imm("mov", 0, -1), imm("mov", 1, 33), reg("lsh32", 0, 1)], 0xFFFF_FFFE),
    "arsh64 keeps the sign": ([imm("mov", 0, -16), imm("arsh", 0, 2)], U64 - 3),
    "arsh32 works on the low half": ([lddw(0, 0x1_8000_0000), imm("arsh32", 0, 4)], 0xF800_0000),
    "add64 overflow wraps": ([imm("mov", 0, -1), imm("add", 0, 1)], 0),
    "alu32 zero-extends the result": ([imm("mov", 0, -1), imm("add32", 0, 0)], 0xFFFF_FFFF),
    "mov64 sign-extends the immediate": ([imm("mov", 0, -2)], U64 - 1),
    "mov32 does not sign-extend": ([imm("mov32", 0, -2)], 0xFFFF_FFFE),
    "movsx8 to 64": ([imm("mov", 1, 0x80), reg("movsx864", 0, 1)], U64 - 0x7F),
    "movsx16 to 32 zero-extends": ([imm("mov", 1, 0x8000), reg("movsx1632", 0, 1)], 0xFFFF_8000),
    "neg64": ([imm("mov", 0, 5), make(row("neg"), dst=0)], U64 - 4),
    "neg32 zero-extends": ([imm("mov", 0, 5), make(row("neg32"), dst=0)], 0xFFFF_FFFB),
    "be16 swaps and drops the high bits": ([lddw(0, 0x1122_3344_5566_7788), make(row("be16"), dst=0)], 0x8877),
    "le32 truncates on little-endian": ([lddw(0, 0x1122_3344_5566_7788), make(row("le32"), dst=0)], 0x5566_7788),
    "bswap64": ([lddw(0, 0x1122_3344_5566_7788), make(row("bswap64"), dst=0)], 0x8877_6655_4433_2211),
    "mul32 keeps the low half": ([imm("mov", 0, 0x10000), imm("mul32", 0, 0x10000)], 0),
}


@pytest.mark.parametrize("name", list(EDGE_CASES))
def test_edge_case_semantics(name):
    program, expected = EDGE_CASES[name]
    assert r0_of(*program) == expected


def test_signed_and_unsigned_jumps_differ_on_negative_values():
    program = [imm("mov", 0, 0), imm("mov", 1, -1),
               make(row("jgt", Source.K), dst=1, imm=1, off=1), imm("mov", 0, 9),
               make(row("jsgt", Source.K), dst=1, imm=1, off=1), imm("add", 0, 1)]
    assert r0_of(*program) == 1  # unsigned -1 > 1 jumps over mov 9; signed -1 > 1 does not


def test_jmp32_compares_only_the_low_half():
    program = [lddw(1, 0xFFFF_FFFF_0000_0005), imm("mov", 0, 0),
               make(row("jeq32", Source.K), dst=1, imm=5, off=1), EXIT, imm("mov", 0, 1)]
    assert r0_of(*program) == 1


def test_stack_round_trip_and_shadow_bytes():
    machine, event = run(imm("mov", 1, 0x1234), make(row("stxh"), dst=10, src=1, off=-2),
                         make(row("ldxh"), dst=0, src=10, off=-2))
    assert event.r0 == 0x1234
    data, written = machine.stack_bytes()
    assert written[-2:] == b"\x01\x01" and written[:-2] == bytes(STACK_SIZE - 2)


def test_sign_extending_load():
    assert r0_of(make(row("st" + "b"), dst=10, off=-1, imm=0x80),
                 make(row("ldxsb"), dst=0, src=10, off=-1)) == U64 - 0x7F


def test_load_past_the_input_memory_faults_with_address_size_and_region():
    machine, event = run(make(row("ldxw"), dst=0, src=1, off=2), mem=b"\x01\x02\x03\x04")
    assert event.kind == "fault" and event.pc == 0
    base = machine.memory.regions[[r.kind for r in machine.memory.regions].index(RegionKind.INPUT)].base
    assert (event.addr, event.size, event.region, event.access) == (base + 2, 4, "mem", "read")
    assert "mem+2" in event.message


def test_store_below_the_stack_names_the_frame_offset():
    _, event = run(make(row("stdw"), dst=10, off=-520, imm=1))
    assert event.kind == "fault" and event.region == "stack" and "fp-520" in event.message


def test_writing_the_frame_pointer_faults():
    _, event = run(imm("mov", 10, 0))
    assert event.kind == "fault" and event.message == "frame pointer is read only"


def test_an_infinite_loop_ends_with_the_instruction_limit():
    program = Program.from_instructions([make(row("ja"), off=-1)])
    machine = Machine.raw(program, limit=1000)
    event = machine.run()
    assert event.kind == "limit" and machine.instructions == 1000
    assert machine.step() is event  # terminal events repeat


def test_a_program_that_uses_exactly_the_budget_exits():
    machine = Machine.raw(Program.from_instructions([imm("mov", 0, 1), EXIT]), limit=2)
    assert machine.run().kind == "exit"


def test_ld_imm64_counts_once_but_takes_two_slots():
    machine, event = run(lddw(0, 5))
    assert event.pc == 2 and machine.instructions == 2


def test_breakpoints_stop_before_the_instruction_and_run_resumes():
    program = Program.from_instructions([imm("mov", 0, 1), imm("add", 0, 1), imm("add", 0, 1), EXIT])
    machine = Machine.raw(program)
    event = machine.run(breakpoints={2})
    assert (event.kind, event.pc, machine.regs[0]) == ("breakpoint", 2, 2)
    assert machine.run(breakpoints={2}).kind == "exit" and machine.regs[0] == 3


def test_run_with_a_budget_pauses():
    program = Program.from_instructions([make(row("ja"), off=-1)])
    machine = Machine.raw(program)
    assert machine.run(budget=10).kind == "paused" and machine.instructions == 10


def local_call(offset):
    return make(row("call"), src=CallKind.LOCAL, imm=offset)


def test_local_call_preserves_r6_to_r9_and_has_its_own_stack():
    program = [
        imm("mov", 6, 6), make(row("stdw"), dst=10, off=-8, imm=11), local_call(3),
        make(row("ldxdw"), dst=1, src=10, off=-8), reg("add", 0, 1), EXIT,
        imm("mov", 6, 100), make(row("stdw"), dst=10, off=-8, imm=99), imm("mov", 0, 1), EXIT,
    ]
    machine = Machine.raw(Program.from_instructions(program))
    event = machine.run()
    assert event.r0 == 12 and machine.regs[6] == 6 and not machine.frames


def test_callee_saved_registers_read_as_unwritten_in_the_callee():
    program = [imm("mov", 6, 6), local_call(1), EXIT, imm("mov", 0, 0), EXIT]
    machine = Machine.raw(Program.from_instructions(program))
    machine.run(breakpoints={3})
    assert machine.written[6] is False and machine.written[10] is True
    machine.run()
    assert machine.written[6] is True


def test_recursion_deeper_than_eight_frames_faults():
    program = Program.from_instructions([local_call(-1), EXIT])
    event = Machine.raw(program).run()
    assert event.kind == "fault" and "too deep" in event.message
    assert f"{MAX_CALL_FRAMES + 1} frames" in event.message


def test_unknown_helper_faults_with_the_kernels_wording():
    _, event = run(make(row("call"), imm=9999))
    assert event.kind == "fault" and event.message == "invalid func unknown#9999"


def test_helpers_clobber_r1_to_r5_and_see_the_environment():
    machine, event = run(imm("mov", 1, 1), make(row("call"), imm=8),
                         helpers=implementations(None), env=Environment(cpu=1))
    assert event.r0 == 1 and machine.written[1] is False


def test_the_same_seed_gives_the_same_run():
    program = [make(row("call"), imm=7), reg("mov", 6, 0), make(row("call"), imm=5), reg("add", 0, 6)]
    first = r0_of(*program, helpers=implementations(None), env=Environment(seed=3))
    again = r0_of(*program, helpers=implementations(None), env=Environment(seed=3))
    other = r0_of(*program, helpers=implementations(None), env=Environment(seed=4))
    assert first == again != other


def test_atomics_on_the_stack():
    program = [
        make(row("stdw"), dst=10, off=-8, imm=5), imm("mov", 1, 3),
        make(row("lock fetch add"), dst=10, src=1, off=-8),  # r1 = 5, mem = 8
        imm("mov", 0, 8), make(row("lock cmpxchg"), dst=10, src=1, off=-8),  # equal: mem = 5
        make(row("ldxdw"), dst=2, src=10, off=-8), reg("mov", 0, 2), reg("add", 0, 1),
    ]
    assert r0_of(*program) == 10


def test_cmpxchg32_compares_the_low_half_and_zero_extends_r0():
    program = [
        make(row("stw"), dst=10, off=-4, imm=-1), lddw(0, 0xAAAA_AAAA_FFFF_FFFF), imm("mov", 1, 2),
        make(row("lock cmpxchg32"), dst=10, src=1, off=-4),
        make(row("ldxw"), dst=3, src=10, off=-4), reg("add", 0, 3),
    ]
    assert r0_of(*program) == 0xFFFF_FFFF + 2


def test_legacy_packet_load_is_big_endian_and_exits_with_zero_out_of_bounds():
    assert r0_of(make(row("ldabsh"), imm=1), mem=b"\x00\x12\x34") == 0x1234
    machine, event = run(make(row("ldabsw"), imm=2), imm("mov", 0, 7), mem=b"\x00\x12\x34")
    assert (event.kind, event.r0) == ("exit", 0) and "outside the packet" in event.message


def test_a_map_reference_without_that_map_faults_cleanly():
    _, event = run(make(row("lddw"), dst=1, src=1, imm=3))
    assert event.kind == "fault" and event.message == "ld_imm64 names map 3, but the program has 0 map(s)"


def test_raw_mode_with_empty_memory_passes_a_null_pointer():
    machine, _ = run(reg("mov", 0, 1))
    assert machine.regs[0] == 0 and machine.regs[2] == 0


def test_load_acquire_and_store_release_move_data_like_plain_accesses():
    program = [imm("mov", 1, -1), make(row("strelw"), dst=10, src=1, off=-4),
               make(row("ldacqw"), dst=0, src=10, off=-4)]
    assert r0_of(*program) == 0xFFFF_FFFF


def test_may_goto_falls_through_until_the_loop_budget_is_spent():
    program = Program.from_instructions([
        imm("mov", 0, 0), make(row("may_goto"), off=2), imm("add", 0, 1), make(row("ja"), off=-3), EXIT])
    machine = Machine.raw(program, limit=10_000)
    machine.loops_left = 5  # the kernel's budget is BPF_MAX_LOOPS; a small one keeps the test fast
    event = machine.run()
    assert (event.kind, event.r0) == ("exit", 5)


def test_arena_casts_fault_without_an_arena():
    _, event = run(make(row("cast_kern"), dst=0, src=1))
    assert event.kind == "fault" and "arena" in event.message
