"""The kernel's numbers for program, attach and map types (Linux 6.18 UAPI), by name.

Names are the kernel's enumerator names without their prefix, in lower case
(``BPF_MAP_TYPE_LPM_TRIE`` -> ``"lpm_trie"``, ``BPF_CGROUP_INET_INGRESS`` ->
``"cgroup_inet_ingress"``), the spelling libbpf and bpftool print. The tests
check every number against the running kernel's BTF.
"""

from __future__ import annotations

from ..helpers.kinds import ProgType

PROG_TYPES: dict[str, int] = {p.name.lower(): int(p) for p in ProgType if p is not ProgType.UNSPEC}

ATTACH_TYPES: dict[str, int] = {
    "cgroup_inet_ingress": 0, "cgroup_inet_egress": 1, "cgroup_inet_sock_create": 2,
    "cgroup_sock_ops": 3, "sk_skb_stream_parser": 4, "sk_skb_stream_verdict": 5,
    "cgroup_device": 6, "sk_msg_verdict": 7, "cgroup_inet4_bind": 8, "cgroup_inet6_bind": 9,
    "cgroup_inet4_connect": 10, "cgroup_inet6_connect": 11, "cgroup_inet4_post_bind": 12,
    "cgroup_inet6_post_bind": 13, "cgroup_udp4_sendmsg": 14, "cgroup_udp6_sendmsg": 15,
    "lirc_mode2": 16, "flow_dissector": 17, "cgroup_sysctl": 18, "cgroup_udp4_recvmsg": 19,
    "cgroup_udp6_recvmsg": 20, "cgroup_getsockopt": 21, "cgroup_setsockopt": 22,
    "trace_raw_tp": 23, "trace_fentry": 24, "trace_fexit": 25, "modify_return": 26,
    "lsm_mac": 27, "trace_iter": 28, "cgroup_inet4_getpeername": 29,
    "cgroup_inet6_getpeername": 30, "cgroup_inet4_getsockname": 31,
    "cgroup_inet6_getsockname": 32, "xdp_devmap": 33, "cgroup_inet_sock_release": 34,
    "xdp_cpumap": 35, "sk_lookup": 36, "xdp": 37, "sk_skb_verdict": 38,
    "sk_reuseport_select": 39, "sk_reuseport_select_or_migrate": 40, "perf_event": 41,
    "trace_kprobe_multi": 42, "lsm_cgroup": 43, "struct_ops": 44, "netfilter": 45,
    "tcx_ingress": 46, "tcx_egress": 47, "trace_uprobe_multi": 48, "cgroup_unix_connect": 49,
    "cgroup_unix_sendmsg": 50, "cgroup_unix_recvmsg": 51, "cgroup_unix_getpeername": 52,
    "cgroup_unix_getsockname": 53, "netkit_primary": 54, "netkit_peer": 55,
    "trace_kprobe_session": 56, "trace_uprobe_session": 57,
}

MAP_TYPES: dict[str, int] = {
    "hash": 1, "array": 2, "prog_array": 3, "perf_event_array": 4, "percpu_hash": 5,
    "percpu_array": 6, "stack_trace": 7, "cgroup_array": 8, "lru_hash": 9, "lru_percpu_hash": 10,
    "lpm_trie": 11, "array_of_maps": 12, "hash_of_maps": 13, "devmap": 14, "sockmap": 15,
    "cpumap": 16, "xskmap": 17, "sockhash": 18, "cgroup_storage": 19, "reuseport_sockarray": 20,
    "percpu_cgroup_storage": 21, "queue": 22, "stack": 23, "sk_storage": 24, "devmap_hash": 25,
    "struct_ops": 26, "ringbuf": 27, "inode_storage": 28, "task_storage": 29, "bloom_filter": 30,
    "user_ringbuf": 31, "cgrp_storage": 32, "arena": 33,
}

MAP_TYPE_NAMES: dict[int, str] = {number: name for name, number in MAP_TYPES.items()}
MAP_IN_MAP = frozenset({"array_of_maps", "hash_of_maps"})


def map_type_name(number: int) -> str:
    """The name of a map type number; unknown numbers keep their number (``"type_99"``)."""
    return MAP_TYPE_NAMES.get(number, f"type_{number}")


def map_type_number(name: str) -> int:
    if name in MAP_TYPES:
        return MAP_TYPES[name]
    if name.startswith("type_") and name[5:].isdigit():
        return int(name[5:])
    raise KeyError(f"unknown map type {name!r}")
