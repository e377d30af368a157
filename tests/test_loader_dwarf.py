"""DWARF variables: where each named C variable lives (stack slot or register) over which pcs.

Checked against the code itself: a stack variable's slot must be where the
program's own stores and loads put it, a register variable's register must
hold it when the Machine reaches its range.
"""

from __future__ import annotations

import io
import struct

from tests.loader_cc import compile_c
from vm_service.helper_ids import helper_name
from vm_service.helpers import implementations
from vm_service.helpers.kinds import ProgType
from vm_service.loader import instantiate_maps, load_object
from vm_service.loader.dwarf import frame_size
from vm_service.isa import Insn
from vm_service.machine import Machine
from vm_service.memory import RegionKind
from vm_service.program import Program

SOURCE = r"""
struct event { int pid; char comm[16]; long big; };
static __attribute__((noinline)) int scaled(int value, int factor) {
    int product = value * factor;
    return product + 1;
}
SEC("socket") int prog(void *ctx) {
    struct event e = {};
    long numbers[4] = {};
    int k = 5;
    bpf_probe_read_kernel(&e, sizeof(e), ctx);
    bpf_probe_read_kernel(&numbers, sizeof(numbers), ctx);
    bpf_probe_read_kernel(&k, sizeof(k), ctx);
    return scaled(e.pid + numbers[2], k);
}
"""


def variables(spec, program="prog"):
    return {(v.function, v.name): v for v in spec.program(program).variables}


def test_stack_variables_are_found_at_their_r10_offsets():
    spec = load_object(compile_c(SOURCE))
    found = variables(spec)
    e, numbers, k = found[("prog", "e")], found[("prog", "numbers")], found[("prog", "k")]
    assert (e.type, e.kind) == ("struct event", "local")
    assert numbers.type == "long[4]"
    assert k.type == "int"
    slots = {name: v.locations[0] for name, v in (("e", e), ("numbers", numbers), ("k", k))}
    assert all(loc.kind == "stack" for loc in slots.values())
    # The program passes each variable's address to the helper: r1 = r10 + slot.
    code = Program.from_bytes(spec.program("prog").code)
    taken = [insn.imm for _, insn in code.items() if insn.spec.name == "add imm" and insn.dst == 1]
    assert sorted(taken) == sorted(loc.value for loc in slots.values())
    assert slots["k"].value == -(32 + 32 + 4) and slots["e"].value == -32


def test_parameters_live_in_registers_within_their_function():
    spec = load_object(compile_c(SOURCE))
    found = variables(spec)
    value, factor = found[("scaled", "value")], found[("scaled", "factor")]
    assert (value.kind, value.type) == ("param", "int")
    start = next(f.insn for f in spec.program("prog").func_info if f.name == "scaled")
    first = value.locations[0]
    assert (first.kind, first.value, first.start) == ("reg", 1, start)
    assert factor.locations[0].value == 2
    # Stop the Machine at the subprogram's entry: r1 and r2 hold the arguments.
    machine = Machine(Program.from_bytes(spec.program("prog").code), maps=instantiate_maps(spec),
                      helpers=implementations(ProgType.SOCKET_FILTER), helper_name=helper_name)
    ctx_bytes = struct.pack("<i", 7) + bytes(12) + struct.pack("<q", 100) + bytes(40)
    ctx = machine.memory.add("ctx", RegionKind.CONTEXT, ctx_bytes)
    machine.regs[1] = ctx.base
    event = machine.run(breakpoints=[start])
    assert event.kind == "breakpoint"
    assert (machine.regs[1], machine.regs[2]) == (7 + 100, 7)   # value = e.pid + numbers[2], factor = k


def test_a_subprogram_called_from_two_programs_has_its_variables_in_both():
    spec = load_object(compile_c(SOURCE + r"""
        SEC("socket") int other(void *ctx) { return scaled(3, 4); }
    """))
    in_prog = variables(spec, "prog")[("scaled", "value")]
    in_other = variables(spec, "other")[("scaled", "value")]
    start_prog = next(f.insn for f in spec.program("prog").func_info if f.name == "scaled")
    start_other = next(f.insn for f in spec.program("other").func_info if f.name == "scaled")
    assert in_prog.locations[0].start - start_prog == in_other.locations[0].start - start_other


def test_without_dwarf_there_are_no_variables_and_no_warning():
    spec = load_object(compile_c(SOURCE, flags=("-g0",)))
    assert spec.program("prog").variables == [] and spec.warnings == []


def test_broken_dwarf_is_a_warning_not_a_failure():
    data = compile_c(SOURCE)
    from elftools.elf.elffile import ELFFile
    section = ELFFile(io.BytesIO(data)).get_section_by_name(".debug_info")
    start = section["sh_offset"]
    broken = data[:start] + b"\xff" * 16 + data[start + 16:]
    spec = load_object(broken)
    assert spec.program("prog").variables == []
    assert spec.warnings and spec.warnings[0].startswith("DWARF: variables unavailable")


def test_frame_size_follows_r10_through_copies_and_additions():
    def insn(opcode, dst=0, src=0, off=0, imm=0):
        return Insn(opcode, dst, src, off, imm)
    code = [insn(0x7B, 10, 1, -8),             # *(u64 *)(r10 - 8) = r1
            insn(0xBF, 2, 10),                  # r2 = r10
            insn(0x07, 2, 0, 0, -20),           # r2 += -20
            insn(0x85, 0, 0, 0, 1),             # call: r2 is gone
            insn(0x07, 2, 0, 0, -100)]          # not a stack address any more
    assert frame_size(code) == 24
    assert frame_size([insn(0x95)]) == 0
