"""Runs over events: maps that persist, the event's world, results, stepping, fast mode."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vm_service.asm import assemble
from vm_service.environment import Environment
from vm_service.events import EventInput, TaskInput
from vm_service.fast import run_fast
from vm_service.maps import MapSpec, MapType, create_map
from vm_service.progtypes import EventError, ProgTypeError
from vm_service.runner import EventResult, ProgramInstance, run_events
from vm_service.timetravel import Recorder
from tests.test_progtypes_oracle import PACKETS, read_everything

IPV4 = PACKETS["ipv4-host"]
COUNT = """
r1 = 0
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
r1 = map[idx:0]
call bpf_map_lookup_elem
if r0 == 0 goto out
r1 = 1
lock *(u64 *)(r0 + 0) += r1
r0 = *(u64 *)(r0 + 0)
exit
out:
r0 = 0
exit
"""


def instance(text: str, section: str = "xdp", **options) -> ProgramInstance:
    return ProgramInstance(assemble(text).program(), section, **options)


def counter():
    return create_map(MapSpec(MapType.ARRAY, 4, 8, 1, name="count"))


def test_maps_persist_from_one_event_to_the_next():
    results = run_events(instance(COUNT, maps=[counter()]), [EventInput(packet=IPV4)] * 3)
    assert [r.r0 for r in results] == [1, 2, 3]
    assert results[2].map_changes == [{"map": 0, "name": "count", "changes": [
        {"kind": "changed", "key": "00000000", "old": (2).to_bytes(8, "little").hex(),
         "new": (3).to_bytes(8, "little").hex()}]}]


def test_a_result_has_the_keys_the_cli_prints():
    result = instance("r0 = 1\nexit").run_event(EventInput(packet=IPV4))
    data = result.to_dict()
    assert {"r0", "exit", "instructions", "packet_out_hex", "output", "map_changes"} <= set(data)
    assert data["r0"] == 1 and data["exit"]["kind"] == "exit" and data["instructions"] == 2
    assert data["packet_out_hex"] == IPV4.hex() and data["return_code"] == "XDP_DROP"
    assert data["map_changes"] == [] and data["output"] == []


@pytest.mark.parametrize("section, r0, name", [
    ("xdp", 2, "XDP_PASS"), ("xdp", 9, None), ("tc", -1, "TC_ACT_UNSPEC"),
    ("classifier", 7, "TC_ACT_REDIRECT"), ("cgroup_skb/ingress", 1, "SK_PASS"),
    ("socket", 0, "drop"), ("socket", 60, None), ("kprobe", 0, None)])
def test_return_codes_are_named_as_the_kernel_names_them(section, r0, name):
    event = EventInput(packet=IPV4) if section != "kprobe" else EventInput()
    assert instance(f"r0 = {r0}\nexit", section).run_event(event).return_code_name == name


def test_a_redirect_counts_only_when_the_program_returns_the_verdict():
    kept = "r1 = 3\nr2 = 1\ncall bpf_redirect\nexit"
    dropped = "r1 = 3\nr2 = 0\ncall bpf_redirect\nr0 = 2\nexit"
    assert instance(kept, "tc").run_event(EventInput(packet=IPV4)).redirect == {
        "ifindex": 3, "flags": "ingress"}
    assert instance(dropped, "tc").run_event(EventInput(packet=IPV4)).redirect is None


def test_the_event_sets_the_clock_cpu_and_task_for_itself_only():
    text = """
        call bpf_ktime_get_ns
        r6 = r0
        call bpf_get_smp_processor_id
        r6 += r0
        call bpf_get_current_pid_tgid
        r6 += r0
        r0 = r6
        exit"""
    runner = instance(text, "kprobe", env=Environment(pid=10, tgid=20))
    first = runner.run_event(EventInput(time_ns=5000, cpu=1, task=TaskInput(pid=7, tgid=8)))
    second = runner.run_event(EventInput())
    assert first.r0 == 5000 + 1 + 1 + (8 << 32 | 7)      # the clock ticks once per instruction
    clock_after_first = 5000 + first.instructions
    assert second.r0 == clock_after_first + 1 + 0 + (20 << 32 | 10)


def test_the_task_name_comes_from_the_event():
    text = "r1 = r10\nr1 += -16\nr2 = 16\ncall bpf_get_current_comm\nr0 = *(u64 *)(r10 - 16)\nexit"
    result = instance(text, "tracepoint/syscalls/sys_enter_getpid").run_event(
        EventInput(task=TaskInput(comm="nginx")))
    assert result.r0.to_bytes(8, "little") == b"nginx\0\0\0"


def test_random_numbers_carry_on_from_event_to_event():
    runner = instance("call bpf_get_prandom_u32\nexit", "kprobe")
    values = [runner.run_event(EventInput()).r0 for _ in range(3)]
    assert len(set(values)) == 3


PROBE_STRING = """
r6 = *(u64 *)(r1 + 104)
r1 = r10
r1 += -16
r2 = 16
r3 = r6
call bpf_probe_read_user_str
r6 = *(u64 *)(r10 - 16)
r0 <<= 56
r0 |= r6
exit
"""


def test_a_kprobe_reads_the_events_user_memory_with_probe_helpers():
    event = EventInput(args=(-100 & (1 << 64) - 1, 0x7FFF_1000), memory=((0x7FFF_1000, b"/etc\0"),))
    result = instance(PROBE_STRING, "kprobe/do_sys_openat2").run_event(event)
    assert result.r0 == 5 << 56 | int.from_bytes(b"/etc\0\0\0\0", "little")


def test_kernel_memory_is_read_with_probe_read_kernel():
    text = "r3 = *(u64 *)(r1 + 112)\nr1 = r10\nr1 += -8\nr2 = 8\ncall bpf_probe_read_kernel\n" \
           "r0 = *(u64 *)(r10 - 8)\nexit"
    address = 0xFFFF_9000_0000_0000
    event = EventInput(args=(address,), memory=((address, (42).to_bytes(8, "little")),))
    assert instance(text, "kprobe").run_event(event).r0 == 42


def test_a_program_cannot_dereference_event_memory_directly():
    event = EventInput(args=(0x1000,), memory=((0x1000, b"abcdefgh"),))
    result = instance("r2 = *(u64 *)(r1 + 112)\nr0 = *(u8 *)(r2 + 0)\nexit", "kprobe").run_event(event)
    assert result.exit["kind"] == "fault"
    assert result.exit["message"].startswith("invalid mem access 'scalar'")


@pytest.mark.parametrize("memory, message", [
    (((0x1000, b"ab"), (0x1001, b"cd")), "overlaps user memory at 0x1000"),
    (((0x7FFF_FFFF_E000, bytes(8192)),), "runs past the end of user space"),
    (((0xFFFF_C900_0000_0000, b"x"),), "overlaps the playground's own stack area"),
])
def test_event_memory_that_cannot_be_placed_is_refused(memory, message):
    with pytest.raises(EventError, match=re.escape(message)):
        instance("r0 = 0\nexit", "kprobe").run_event(EventInput(memory=memory))


@pytest.mark.parametrize("section, event, message", [
    ("xdp", EventInput(), "a xdp program runs on a packet; the event has none"),
    ("xdp", EventInput(packet=bytes(13)), "at least 14 bytes after its metadata"),
    ("tc", EventInput(packet=bytes(10)), "at least 14 bytes (an Ethernet header)"),
    ("tc", EventInput(packet=bytes(12) + b"\x08\x00" + bytes(10)), "a whole IPv4 header"),
    ("socket", EventInput(packet=bytes(12) + b"\x86\xdd" + bytes(39)), "a whole IPv6 header"),
    ("tc", EventInput(packet=bytes(4000)), "does not fit the 3712 bytes"),
    ("xdp", EventInput(packet=bytes(3521)), "multi-buffer"),
])
def test_events_the_kernel_would_refuse_are_refused_with_its_reason(section, event, message):
    with pytest.raises(EventError, match=re.escape(message)):
        instance("r0 = 0\nexit", section).run_event(event)


@pytest.mark.parametrize("section, ctx_in, message", [
    ("tc", bytes(4) + b"\1" + bytes(187), "ctx_in sets pkt_type"),
    ("tc", bytes(40) + (2).to_bytes(4, "little") + bytes(148), "only the loopback device"),
    ("tc", bytes(160) + (10).to_bytes(4, "little") + bytes(28), "wire_len 10 must lie between"),
    ("tc", bytes(192) + b"\1", "E2BIG"),
    ("xdp", (3).to_bytes(4, "little") + len(IPV4).to_bytes(4, "little") + bytes(16),
     "a multiple of 4"),
    ("xdp", bytes(4) + (20).to_bytes(4, "little") + bytes(16), "fragments"),
    ("xdp", bytes(4) + len(IPV4).to_bytes(4, "little") + bytes(8) + (1).to_bytes(4, "little")
     + bytes(4), "needs an ingress_ifindex"),
])
def test_a_ctx_in_test_run_would_refuse_is_refused(section, ctx_in, message):
    with pytest.raises(EventError, match=re.escape(message)):
        instance("r0 = 0\nexit", section).run_event(EventInput(packet=IPV4), ctx_in=ctx_in)


def test_stepping_an_event_gives_the_result_of_running_it():
    text = read_everything("sched_cls").replace("$m0", "map[idx:0]").replace("$m1", "map[idx:1]")
    maps = lambda: [create_map(MapSpec(MapType.ARRAY, 4, 1024, 1)), counter()]  # noqa: E731
    ran = instance(text, "tc", maps=maps()).run_event(EventInput(packet=IPV4))
    stepped_instance = instance(text, "tc", maps=maps())
    run = stepped_instance.start(EventInput(packet=IPV4))
    while not run.machine.done:
        run.machine.step()
    assert run.result() == ran


def test_an_event_can_be_stepped_back_and_forth():
    text = read_everything("xdp").replace("$m0", "map[idx:0]").replace("$m1", "map[idx:1]")
    runner = instance(text, "xdp", maps=[create_map(MapSpec(MapType.ARRAY, 4, 1024, 1)), counter()])
    run = runner.start(EventInput(packet=IPV4))
    recorder = Recorder(run.machine)
    for _ in range(30):
        recorder.step()
    middle = run.machine.snapshot()
    run_fast(run.machine)
    end = run.machine.snapshot()
    run.machine.restore(middle)
    run_fast(run.machine)
    assert run.machine.regs == end["regs"] and bytes(run.context.region.data) == bytes(
        end["context"].region.data)


@settings(max_examples=40, deadline=None)
@given(st.binary(min_size=14, max_size=120), st.sampled_from(["xdp", "tc", "socket", "cgroup_skb"]))
def test_fast_mode_gives_the_result_of_step_mode(packet, section):
    if packet[12:14] in (b"\x08\x00", b"\x86\xdd"):
        packet = packet[:12] + b"\x12\x34" + packet[14:]
    text = read_everything({"tc": "sched_cls", "socket": "socket_filter"}.get(section, section))
    text = text.replace("$m0", "map[idx:0]").replace("$m1", "map[idx:1]")
    results = []
    for fast in (True, False):
        maps = [create_map(MapSpec(MapType.ARRAY, 4, 1024, 1)), counter()]
        results.append(instance(text, section, maps=maps).run_event(EventInput(packet=packet),
                                                                    fast=fast))
    assert results[0] == results[1]
    assert isinstance(results[0], EventResult)


CURRENT_TASK = """
call bpf_get_current_task
r6 = r0
r1 = r10
r1 += -8
r2 = 4
r3 = r6
r3 += {tgid}
call bpf_probe_read_kernel
r7 = *(u32 *)(r10 - 8)
r1 = r10
r1 += -16
r2 = 8
r3 = r6
r3 += {cred}
call bpf_probe_read_kernel
r1 = r10
r1 += -8
r2 = 4
r3 = *(u64 *)(r10 - 16)
r3 += {uid}
call bpf_probe_read_kernel
r8 = *(u32 *)(r10 - 8)
r1 = r10
r1 += -16
r2 = 16
r3 = r6
r3 += {comm}
call bpf_probe_read_kernel_str
r0 = *(u32 *)(r10 - 16)
r0 <<= 32
r7 <<= 16
r0 |= r7
r0 |= r8
exit
"""


def test_the_current_task_is_laid_out_as_the_kernels_task_struct():
    from vm_service.kernel_types import layout
    offsets = {f.field: f.offset for f in layout("task_struct")}
    text = CURRENT_TASK.format(tgid=offsets["tgid"], cred=offsets["cred"], comm=offsets["comm"],
                               uid={f.field: f.offset for f in layout("cred")}["uid"])
    event = EventInput(task=TaskInput(pid=301, tgid=300, uid=33, comm="curl"))
    result = instance(text, "kprobe").run_event(event)
    assert result.r0 == int.from_bytes(b"curl", "little") << 32 | 300 << 16 | 33


def test_the_current_task_is_read_through_probe_helpers_only():
    result = instance("call bpf_get_current_task\nr0 = *(u32 *)(r0 + 0)\nexit", "kprobe").run_event(
        EventInput())
    assert result.exit["message"].startswith("invalid mem access 'scalar'")


def test_a_threads_group_leader_is_the_task_of_its_process():
    from vm_service.kernel_types import layout
    offsets = {f.field: f.offset for f in layout("task_struct")}
    text = f"""
        call bpf_get_current_task
        r3 = r0
        r3 += {offsets["group_leader"]}
        r1 = r10
        r1 += -8
        r2 = 8
        call bpf_probe_read_kernel
        r3 = *(u64 *)(r10 - 8)
        r3 += {offsets["pid"]}
        r1 = r10
        r1 += -8
        r2 = 4
        call bpf_probe_read_kernel
        r0 = *(u32 *)(r10 - 8)
        exit"""
    runner = instance(text, "kprobe")
    assert runner.run_event(EventInput(task=TaskInput(pid=301, tgid=300))).r0 == 300
    assert runner.run_event(EventInput(task=TaskInput(pid=300, tgid=300))).r0 == 300


def test_an_event_on_a_cpu_the_maps_do_not_have_is_refused():
    runner = instance(COUNT, maps=[counter()])
    with pytest.raises(EventError, match=re.escape("runs on CPU 2, but the program's maps were "
                                                   "made for 2 CPU(s)")):
        runner.run_event(EventInput(packet=IPV4, cpu=2))
    assert runner.run_event(EventInput(packet=IPV4, cpu=1)).r0 == 1


def test_a_kprobe_instance_can_be_a_return_probe():
    runner = instance("r0 = *(u64 *)(r1 + 80)\nexit", "kprobe/do_sys_openat2", retprobe=True)
    assert runner.spec.name == "kretprobe" and runner.attach == "do_sys_openat2"
    assert runner.run_event(EventInput(args=(5,))).r0 == 5
    with pytest.raises(ProgTypeError, match="only kprobes have return probes"):
        instance("r0 = 0\nexit", "xdp", retprobe=True)
