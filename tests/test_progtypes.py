"""The program type table: names, section names, contexts, return codes, helpers, docs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from vm_service.helpers import ProgType, implementations
from vm_service.helper_ids import HELPER_IDS
from vm_service.progtypes import PROGRAM_TYPES, ProgTypeError, lookup, split_section
from vm_service.progtypes.fields import ContextAccessError, CtxField, FieldTable, Grant

DOCS = Path(__file__).resolve().parent.parent / "docs" / "program-types.md"


@pytest.mark.parametrize("name, kernel_name", [
    ("xdp", "xdp"), ("socket", "socket_filter"), ("socket_filter", "socket_filter"),
    ("tc", "sched_cls"), ("classifier", "sched_cls"), ("sched_cls", "sched_cls"),
    ("action", "sched_act"), ("cgroup_skb/ingress", "cgroup_skb"),
    ("cgroup_skb/egress", "cgroup_skb"), ("kprobe/do_sys_open", "kprobe"),
    ("kretprobe/do_sys_open", "kretprobe"), ("tracepoint/syscalls/sys_enter_openat", "tracepoint"),
    ("tp/syscalls/sys_enter_openat", "tracepoint"), ("raw_tp/sys_enter", "raw_tracepoint"),
    ("raw_tracepoint", "raw_tracepoint"), ("perf_event", "perf_event"), ("  TC ", "sched_cls"),
])
def test_types_are_found_by_kernel_and_section_names(name, kernel_name):
    assert lookup(name).name == kernel_name


def test_a_section_name_carries_its_attach_point():
    assert split_section("kprobe/do_sys_openat2") == (lookup("kprobe"), "do_sys_openat2")
    assert split_section("tp/syscalls/sys_enter_openat")[1] == "syscalls/sys_enter_openat"
    assert split_section("xdp")[1] == ""


@pytest.mark.parametrize("name", ["lsm/file_open", "fentry/x", "", "xdpp"])
def test_an_unknown_type_is_refused_with_the_known_ones(name):
    with pytest.raises(ProgTypeError, match="the playground runs xdp, socket_filter"):
        lookup(name)


def test_every_type_has_the_kernels_program_type_number():
    numbers = {spec.name: spec.prog_type for spec in PROGRAM_TYPES}
    assert numbers == {"xdp": ProgType.XDP, "socket_filter": ProgType.SOCKET_FILTER,
                       "sched_cls": ProgType.SCHED_CLS, "sched_act": ProgType.SCHED_ACT,
                       "cgroup_skb": ProgType.CGROUP_SKB, "kprobe": ProgType.KPROBE,
                       "kretprobe": ProgType.KPROBE, "tracepoint": ProgType.TRACEPOINT,
                       "raw_tracepoint": ProgType.RAW_TRACEPOINT,
                       "perf_event": ProgType.PERF_EVENT}


def test_the_helper_table_decides_what_each_type_may_call():
    xdp, tc, kprobe = (set(implementations(lookup(n).prog_type)) for n in ("xdp", "tc", "kprobe"))
    assert HELPER_IDS["bpf_xdp_adjust_head"] in xdp - tc
    assert HELPER_IDS["bpf_skb_store_bytes"] in tc - xdp
    assert HELPER_IDS["bpf_probe_read"] in kprobe - tc - xdp


def test_return_codes_read_the_low_32_bits_signed_for_tc():
    assert lookup("tc").return_code_name(0xFFFF_FFFF) == "TC_ACT_UNSPEC"
    assert lookup("tc").return_code_name(0x1_0000_0002) == "TC_ACT_SHOT"
    assert lookup("xdp").return_code_name(0xFFFF_FFFF) is None
    assert lookup("xdp").redirect_code == 4 and lookup("tc").redirect_code == 7
    assert lookup("socket").redirect_code is None


def test_packet_types_say_where_their_packet_starts():
    assert [s.name for s in PROGRAM_TYPES if s.has_packet] == [
        "xdp", "socket_filter", "sched_cls", "sched_act", "cgroup_skb"]
    assert "network header" in lookup("socket").packet_view
    assert lookup("tc").packet_view == "Ethernet header"


def test_a_field_table_refuses_overlapping_fields():
    with pytest.raises(ValueError, match="overlaps"):
        FieldTable("struct x", 8, (CtxField("a", 0, 4), CtxField("b", 2, 4)))


@pytest.mark.parametrize("offset, size, write, allowed", [
    (0, 4, False, True), (1, 1, False, True), (2, 2, False, True), (1, 2, False, False),
    (0, 8, False, False), (0, 4, True, False), (4, 4, True, True), (4, 2, True, False),
    (8, 1, False, False), (-1, 1, False, False)])
def test_a_field_table_applies_the_verifiers_rules(offset, size, write, allowed):
    table = FieldTable("struct x", 12, (CtxField("a", 0, 4, Grant.NARROW),
                                        CtxField("b", 4, 4, Grant.EXACT, Grant.EXACT),
                                        CtxField("c", 8, 4, Grant.NONE)))
    assert table.allows(offset, size, write) is allowed
    if not allowed:
        with pytest.raises(ContextAccessError, match=f"off={offset} size={size}"):
            table.check(offset, size, write)


def test_the_documentation_describes_every_type_and_helper():
    text = DOCS.read_text()
    for spec in PROGRAM_TYPES:
        assert re.search(rf"^## .*`{spec.name}`", text, re.M), spec.name
    for name in ("bpf_skb_load_bytes", "bpf_skb_store_bytes", "bpf_l3_csum_replace",
                 "bpf_l4_csum_replace", "bpf_csum_diff", "bpf_redirect", "bpf_xdp_adjust_head",
                 "bpf_xdp_adjust_tail", "bpf_xdp_adjust_meta", "bpf_get_socket_cookie",
                 "bpf_skb_pull_data", "bpf_skb_change_tail", "bpf_skb_change_head"):
        assert name in text, name
