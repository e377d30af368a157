"""Time travel is exact: going back gives the state a fresh run reaches at that position."""

from __future__ import annotations

import tracemalloc

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.machine_state import machine_state
from vm_service.asm import assemble
from vm_service.environment import Environment
from vm_service.helpers import ENVIRONMENT_HELPERS
from vm_service.machine import Machine
from vm_service.timetravel import Recorder, position_of

# Loops, helper calls (clock, PRNG), stack traffic, a bpf-to-bpf call and its own
# stack, then a fault: every kind of state a step can change.
BUSY = assemble("""
    r6 = 0
loop:
    call bpf_get_prandom_u32
    *(u64 *)(r10 - 8) = r0
    r1 = r6
    call func
    r7 = *(u64 *)(r10 - 8)
    r7 ^= r0
    *(u32 *)(r10 - 16) = r7
    lock *(u64 *)(r10 - 8) += r6
    r6 += 1
    if r6 < 40 goto loop
    r0 = *(u64 *)(r10 - 600)
    exit
func:
    *(u64 *)(r10 - 8) = r1
    call bpf_ktime_get_ns
    r1 = *(u64 *)(r10 - 8)
    r0 += r1
    exit
""").program()

ENDLESS = assemble("""
    r0 = 0
loop:
    r0 += 3
    *(u64 *)(r10 - 8) = r0
    goto loop
""").program()


def fresh(program=BUSY, limit=1_000_000):
    return Machine.raw(program, helpers=ENVIRONMENT_HELPERS, env=Environment(seed=7), limit=limit)


def state_after(steps: int, program=BUSY, limit=1_000_000) -> dict:
    machine = fresh(program, limit)
    for _ in range(steps):
        machine.step()
    return machine_state(machine)


def total_steps(program=BUSY, limit=1_000_000) -> int:
    machine = fresh(program, limit)
    machine.run()
    return position_of(machine)


BUSY_STEPS = total_steps()


@settings(max_examples=60, deadline=None)
@given(n=st.integers(0, BUSY_STEPS), back=st.integers(0, 200), interval=st.sampled_from([1, 7, 64, 256]))
def test_n_steps_then_k_step_backs_equals_a_fresh_run_of_n_minus_k(n, back, interval):
    recorder = Recorder(fresh(), interval=interval, max_checkpoints=4)
    recorder.run(budget=n)
    k = min(back, n)
    for _ in range(k):
        recorder.step_back()
    assert recorder.position == n - k
    assert machine_state(recorder.machine) == state_after(n - k)


@settings(max_examples=40, deadline=None)
@given(targets=st.lists(st.integers(0, BUSY_STEPS + 5), min_size=1, max_size=6))
def test_jumping_to_step_n_equals_stepping_n_times(targets):
    recorder = Recorder(fresh(), interval=16, max_checkpoints=8)
    for target in targets:
        recorder.goto(target)
        expected = min(target, BUSY_STEPS)
        assert recorder.position == expected
        assert machine_state(recorder.machine) == state_after(expected)


def test_stepping_back_over_the_end_of_the_run_restores_the_live_state():
    recorder = Recorder(fresh())
    final = recorder.run()
    assert final.kind == "fault" and recorder.machine.done
    recorder.step_back()
    assert not recorder.machine.done and machine_state(recorder.machine) == state_after(BUSY_STEPS - 1)
    assert recorder.machine.step() == final


def test_the_instruction_limit_is_a_step_that_can_be_undone():
    recorder = Recorder(fresh(ENDLESS, limit=50), interval=8)
    assert recorder.run().kind == "limit" and recorder.position == 51
    recorder.step_back()
    assert recorder.position == 50 and not recorder.machine.done


def test_step_back_at_the_start_stays_there():
    recorder = Recorder(fresh())
    assert recorder.step_back() == 0 and machine_state(recorder.machine) == state_after(0)


def breakpoint_positions(program, stops, upto):
    machine, hits = fresh(program), []
    while position_of(machine) < upto and not machine.done:
        if machine.pc in stops:
            hits.append(position_of(machine))
        machine.step()
    return hits


@settings(max_examples=30, deadline=None)
@given(n=st.integers(1, BUSY_STEPS), stops=st.sets(st.integers(0, 20), max_size=3))
def test_run_back_stops_at_the_latest_earlier_breakpoint(n, stops):
    recorder = Recorder(fresh(), interval=32, max_checkpoints=4)
    recorder.run(budget=n)
    earlier = breakpoint_positions(BUSY, stops, n)
    position = recorder.run_back(stops)
    assert position == (earlier[-1] if earlier else 0)
    assert machine_state(recorder.machine) == state_after(position)


@settings(max_examples=30, deadline=None)
@given(budgets=st.lists(st.integers(0, 120), min_size=1, max_size=8),
       stops=st.sets(st.integers(0, 20), max_size=2))
def test_recorded_runs_give_the_same_events_as_plain_runs(budgets, stops):
    recorder, plain = Recorder(fresh(), interval=10), fresh()
    for budget in budgets:
        assert recorder.run(budget, stops) == plain.run(budget, stops)
        assert machine_state(recorder.machine) == machine_state(plain)


@pytest.mark.slow
def test_recording_a_million_instructions_keeps_memory_bounded():
    recorder = Recorder(fresh(ENDLESS, limit=1_000_000), interval=1024, max_checkpoints=256)
    tracemalloc.start()
    try:
        recorder.run()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert recorder.position == 1_000_001
    assert len(recorder.checkpoints) <= 256
    assert peak < 32 * 1024 * 1024, f"recording peaked at {peak / 2**20:.1f} MiB"
    recorder.goto(123_457)
    assert recorder.machine.regs[0] == 3 * -(-(123_457 - 1) // 3)


COUNT_ONE = """
    r1 = map[idx:0]
    r2 = r10
    r2 += -4
    *(u32 *)(r10 - 4) = 0
    call bpf_map_lookup_elem
    if r0 == 0 goto out
    r1 = 1
    lock *(u64 *)(r0 + 0) += r1
out:
    r0 = 0
    exit
"""


def test_going_back_puts_map_contents_back_into_the_same_map_objects():
    from vm_service.helpers import helper_name, implementations
    from vm_service.maps import MapSpec, MapType, create_map
    counter = create_map(MapSpec(MapType.ARRAY, 4, 8, 1, name="counter"))
    held = [counter]     # as a ProgramInstance holds its maps between events
    machine = Machine.raw(assemble(COUNT_ONE).program(), maps=held,
                          helpers=implementations(None), helper_name=helper_name)
    recorder = Recorder(machine)
    recorder.run()
    assert counter.user_lookup(bytes(4)) == (1).to_bytes(8, "little")
    recorder.goto(0)
    assert machine.maps is held and machine.maps[0] is counter
    assert counter.user_lookup(bytes(4)) == bytes(8)
    recorder.run()
    assert counter.user_lookup(bytes(4)) == (1).to_bytes(8, "little")


def test_going_back_keeps_inner_maps_the_live_ones():
    from vm_service.helpers import helper_name, implementations
    from vm_service.maps import MapSpec, MapType, create_map
    inner = create_map(MapSpec(MapType.ARRAY, 4, 8, 1, name="inner"))
    outer = create_map(MapSpec(MapType.ARRAY_OF_MAPS, 4, 4, 1, name="outer",
                               inner=MapSpec(MapType.ARRAY, 4, 8, 1)))
    assert outer.user_update(bytes(4), inner) == 0
    text = """
        r1 = map[idx:0]
        r2 = r10
        r2 += -4
        *(u32 *)(r10 - 4) = 0
        call bpf_map_lookup_elem
        if r0 == 0 goto out
        r1 = r0
        r2 = r10
        r2 += -4
        call bpf_map_lookup_elem
        if r0 == 0 goto out
        r1 = 7
        *(u64 *)(r0 + 0) = r1
    out:
        r0 = 0
        exit
    """
    machine = Machine.raw(assemble(text).program(), maps=[outer, inner],
                          helpers=implementations(None), helper_name=helper_name)
    recorder = Recorder(machine)
    recorder.run()
    assert inner.user_lookup(bytes(4)) == (7).to_bytes(8, "little")
    recorder.goto(3)
    assert machine.maps == [outer, inner] and outer.slots[0] is inner
    assert inner.user_lookup(bytes(4)) == bytes(8)
    recorder.run()
    assert inner.user_lookup(bytes(4)) == (7).to_bytes(8, "little")
    assert len(machine.maps) == 2
