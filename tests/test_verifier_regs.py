"""Register states: the constructors the verifier uses and how the log prints each kind."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vm_service import btf
from vm_service.helpers.kinds import TypeFlag
from vm_service.verifier.regs import BEYOND_PKT_END, MapRef, RegState, RegStateError, RegType
from vm_service.verifier.scalar import Scalar
from vm_service.verifier.scalar_log import scalar_text
from vm_service.verifier.stack import SlotType, Stack
from vm_service.verifier.state_log import Scratched, reg_text, state_text, type_text

MAP = MapRef("counts", 4, 8)
BYTE = Scalar.of_size(1)


@pytest.mark.parametrize("reg,text", [
    (RegState.ctx(), "ctx()"),
    (RegState.frame_pointer(), "fp0"),
    (RegState.stack(-8), "fp-8"),
    (RegState.map_ptr(MAP), "map_ptr(map=counts,ks=4,vs=8)"),
    (RegState.map_ptr(MapRef("", 8, 4)), "map_ptr(ks=8,vs=4)"),
    (RegState.map_value_or_null(MAP, id=1), "map_value_or_null(id=1,map=counts,ks=4,vs=8)"),
    (RegState.map_value(MAP, 4), "map_value(map=counts,ks=4,vs=8,off=4)"),
    (RegState.map_key(MAP), "map_key(map=counts,ks=4,vs=8)"),
    (RegState.packet(), "pkt(r=0)"),
    (RegState.packet(14, 34), "pkt(off=14,r=34)"),
    (RegState.packet(34, BEYOND_PKT_END), "pkt(off=34,r=0xfffffffffffffffe)"),
    (RegState.packet_meta(), "pkt_meta(r=0)"),
    (RegState.packet_end(), "pkt_end()"),
    (RegState.ringbuf_mem_or_null(8, id=2), "ringbuf_mem_or_null(id=2,ref_obj_id=2,sz=8)"),
    (RegState.ringbuf_mem_or_null(8, id=2).not_null(), "ringbuf_mem(ref_obj_id=2,sz=8)"),
    (RegState.mem(16, flags=TypeFlag.MEM_RDONLY), "rdonly_mem(sz=16)"),
    (RegState.func(1), "func()"),
    (RegState.btf_id("task_struct", flags=TypeFlag.PTR_TRUSTED), "trusted_ptr_task_struct()"),
    (RegState.btf_id("task_struct", flags=TypeFlag.PTR_MAYBE_NULL | TypeFlag.MEM_RCU),
     "rcu_ptr_or_null_task_struct()"),
    (RegState.const(-1), "-1"),
    (RegState.const(5, precise=True), "P5"),
    (RegState.scalar(), "scalar()"),
    (RegState.scalar(BYTE, id=2), "scalar(id=2,smin=smin32=0,smax=umax=smax32=umax32=255,var_off=(0x0; 0xff))"),
    (RegState.scalar(id=3), "scalar(id=3)"),
    (RegState.frame_pointer().with_var(BYTE).moved(-16),
     "fp(off=-16,smin=smin32=0,smax=umax=smax32=umax32=255,var_off=(0x0; 0xff))"),
    (RegState.map_value(MAP).with_var(Scalar.const(8)), "map_value(map=counts,ks=4,vs=8,imm=8)"),
])
def test_it_prints_each_register_kind_as_the_kernel_log_does(reg, text):
    assert reg_text(reg) == text


def test_it_names_the_frame_of_a_stack_pointer_from_another_frame():
    assert reg_text(RegState.stack(-8, frameno=0), frameno=1) == "fp[0]-8"
    assert reg_text(RegState.frame_pointer(1), frameno=1) == "fp0"


def test_it_prints_the_base_type_with_flag_prefixes_in_the_kernel_order():
    reg = RegState.mem(8, flags=TypeFlag.MEM_RINGBUF | TypeFlag.MEM_RDONLY | TypeFlag.PTR_MAYBE_NULL)
    assert type_text(reg) == "rdonly_ringbuf_mem_or_null"


def test_it_rejects_states_the_kernel_cannot_hold():
    with pytest.raises(RegStateError):
        RegState(RegType.PTR_TO_MAP_VALUE)                       # a map value without its map
    with pytest.raises(RegStateError):
        RegState(RegType.PTR_TO_CTX, map=MAP)
    with pytest.raises(RegStateError):
        RegState(RegType.PTR_TO_CTX, flags=TypeFlag.OBJ_RELEASE)  # an argument flag
    with pytest.raises(RegStateError):
        RegState.ctx().not_null()
    with pytest.raises(RegStateError):
        RegState.ctx().with_range(4)
    with pytest.raises(RegStateError):
        RegState.const(1).moved(4)
    with pytest.raises(RegStateError):
        RegState.mem(-1)


def test_a_checked_lookup_result_loses_its_null_and_its_id():
    reg = RegState.map_value_or_null(MAP, id=4).not_null()
    assert reg == RegState.map_value(MAP)


def test_it_prints_a_whole_state_then_only_what_an_instruction_touched():
    regs = [RegState.not_init()] * 11
    regs[1], regs[6], regs[10] = RegState.ctx(), RegState.const(0), RegState.frame_pointer()
    stack = Stack().write(-4, 4, regs[6]).write(-16, 8, regs[1])
    assert state_text(regs, stack, [2]) == "R1=ctx() R6=0 R10=fp0 fp-8=0000???? fp-16=ctx() refs=2"
    assert state_text(regs, stack, scratched=Scratched.of([6], [1])) == "R6=0 fp-16=ctx()"
    regs[10] = RegState.frame_pointer(1)
    assert state_text(regs, stack, frameno=1, scratched=Scratched.of([10])) == "frame1: R10=fp0"
    assert state_text(regs, Stack(), frameno=1, in_callback=True).endswith("R10=fp0 cb")


@given(st.integers(-(1 << 63), (1 << 63) - 1))
def test_a_scalar_register_prints_as_its_scalar_does(value):
    assert reg_text(RegState.const(value)) == scalar_text(Scalar.const(value))


@pytest.fixture(scope="module")
def vmlinux() -> btf.Btf:
    try:
        return btf.load(btf.VMLINUX)
    except OSError as error:
        pytest.skip(f"cannot read {btf.VMLINUX}: {error}")


@pytest.mark.parametrize("ours, enum_name", [(RegType, "bpf_reg_type"), (SlotType, "bpf_stack_slot_type")])
def test_register_and_slot_kinds_have_the_running_kernels_numbers(vmlinux, ours, enum_name):
    theirs = {name: value for name, value in vmlinux.enum(enum_name).items()
              if not name.startswith("__") and value < 256}    # base types, not the _OR_NULL combinations
    assert theirs == {kind.name: kind.value for kind in ours}


def test_a_linked_scalar_prints_its_id_with_the_constant_added():
    assert reg_text(RegState.scalar(BYTE, id=3, delta=-9)).startswith("scalar(id=3-9,")
    with pytest.raises(RegStateError):
        RegState.scalar(BYTE, delta=2)       # a delta links to a copy: it needs an id
