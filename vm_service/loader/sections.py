"""What a program's ELF section name says: its program type and where it attaches.

The rows follow libbpf's ``section_defs`` conventions (libbpf 1.x), written
as our own table. A pattern matches a section name the way libbpf matches it:

* ``"name+"``: exactly ``name``, or ``name/<extras>`` (the extras are the
  attach target: ``kprobe/do_sys_openat2``);
* ``"name/"``: any name starting with it;
* ``"name"``: exactly that name.

The first matching row wins, so longer names come before their prefixes.
Older loaders (libbpf before 1.0, iproute2, cilium/ebpf) accepted any name
*starting with* a type's name (``SEC("xdp_prog")``, ``SEC("socket1")``);
``LEGACY_PREFIXES`` keeps those as a fallback. An unknown name gives no row:
the object still loads, with ``prog_type=None``.

``attach`` describes what the extras mean: ``function`` (a kernel function,
kprobes), ``syscall`` (ksyscall), ``tracepoint`` (``category/name``),
``raw_tracepoint``, ``btf`` (a BTF-named kernel function or hook: fentry,
lsm, tp_btf, iter), ``uprobe`` (``binary:function``), ``usdt``,
``struct_ops`` or ``None``.
"""

from __future__ import annotations

from typing import NamedTuple

from .kernel_enums import ATTACH_TYPES, PROG_TYPES


class SecDef(NamedTuple):
    pattern: str
    prog_type: str
    expected_attach_type: str | None = None
    attach: str | None = None
    retprobe: bool = False
    sleepable: bool = False
    xdp_frags: bool = False


def _row(pattern, prog_type, attach_type=None, attach=None, **flags) -> SecDef:
    return SecDef(pattern, prog_type, attach_type, attach, **flags)


SECTION_DEFS: tuple[SecDef, ...] = (
    _row("socket", "socket_filter"),
    _row("sk_reuseport/migrate", "sk_reuseport", "sk_reuseport_select_or_migrate"),
    _row("sk_reuseport", "sk_reuseport", "sk_reuseport_select"),
    _row("kprobe+", "kprobe", attach="function"),
    _row("uprobe+", "kprobe", attach="uprobe"),
    _row("uprobe.s+", "kprobe", attach="uprobe", sleepable=True),
    _row("kretprobe+", "kprobe", attach="function", retprobe=True),
    _row("uretprobe+", "kprobe", attach="uprobe", retprobe=True),
    _row("uretprobe.s+", "kprobe", attach="uprobe", retprobe=True, sleepable=True),
    _row("kprobe.multi+", "kprobe", "trace_kprobe_multi", "function"),
    _row("kretprobe.multi+", "kprobe", "trace_kprobe_multi", "function", retprobe=True),
    _row("kprobe.session+", "kprobe", "trace_kprobe_session", "function"),
    _row("uprobe.multi+", "kprobe", "trace_uprobe_multi", "uprobe"),
    _row("uretprobe.multi+", "kprobe", "trace_uprobe_multi", "uprobe", retprobe=True),
    _row("uprobe.multi.s+", "kprobe", "trace_uprobe_multi", "uprobe", sleepable=True),
    _row("uretprobe.multi.s+", "kprobe", "trace_uprobe_multi", "uprobe", retprobe=True,
         sleepable=True),
    _row("ksyscall+", "kprobe", attach="syscall"),
    _row("kretsyscall+", "kprobe", attach="syscall", retprobe=True),
    _row("usdt+", "kprobe", attach="usdt"),
    _row("usdt.s+", "kprobe", attach="usdt", sleepable=True),
    _row("tc/ingress", "sched_cls", "tcx_ingress"),
    _row("tc/egress", "sched_cls", "tcx_egress"),
    _row("tcx/ingress", "sched_cls", "tcx_ingress"),
    _row("tcx/egress", "sched_cls", "tcx_egress"),
    _row("tc", "sched_cls"),
    _row("classifier", "sched_cls"),
    _row("action", "sched_act"),
    _row("netkit/primary", "sched_cls", "netkit_primary"),
    _row("netkit/peer", "sched_cls", "netkit_peer"),
    _row("tracepoint+", "tracepoint", attach="tracepoint"),
    _row("tp+", "tracepoint", attach="tracepoint"),
    _row("raw_tracepoint+", "raw_tracepoint", attach="raw_tracepoint"),
    _row("raw_tp+", "raw_tracepoint", attach="raw_tracepoint"),
    _row("raw_tracepoint.w+", "raw_tracepoint_writable", attach="raw_tracepoint"),
    _row("raw_tp.w+", "raw_tracepoint_writable", attach="raw_tracepoint"),
    _row("tp_btf+", "tracing", "trace_raw_tp", "btf"),
    _row("fentry+", "tracing", "trace_fentry", "btf"),
    _row("fmod_ret+", "tracing", "modify_return", "btf"),
    _row("fexit+", "tracing", "trace_fexit", "btf"),
    _row("fentry.s+", "tracing", "trace_fentry", "btf", sleepable=True),
    _row("fmod_ret.s+", "tracing", "modify_return", "btf", sleepable=True),
    _row("fexit.s+", "tracing", "trace_fexit", "btf", sleepable=True),
    _row("freplace+", "ext", None, "btf"),
    _row("lsm+", "lsm", "lsm_mac", "btf"),
    _row("lsm.s+", "lsm", "lsm_mac", "btf", sleepable=True),
    _row("lsm_cgroup+", "lsm", "lsm_cgroup", "btf"),
    _row("iter+", "tracing", "trace_iter", "btf"),
    _row("iter.s+", "tracing", "trace_iter", "btf", sleepable=True),
    _row("syscall", "syscall", sleepable=True),
    _row("xdp.frags/devmap", "xdp", "xdp_devmap", xdp_frags=True),
    _row("xdp/devmap", "xdp", "xdp_devmap"),
    _row("xdp.frags/cpumap", "xdp", "xdp_cpumap", xdp_frags=True),
    _row("xdp/cpumap", "xdp", "xdp_cpumap"),
    _row("xdp.frags", "xdp", "xdp", xdp_frags=True),
    _row("xdp", "xdp", "xdp"),
    _row("perf_event", "perf_event"),
    _row("lwt_in", "lwt_in"),
    _row("lwt_out", "lwt_out"),
    _row("lwt_xmit", "lwt_xmit"),
    _row("lwt_seg6local", "lwt_seg6local"),
    _row("sockops", "sock_ops", "cgroup_sock_ops"),
    _row("sk_skb/stream_parser", "sk_skb", "sk_skb_stream_parser"),
    _row("sk_skb/stream_verdict", "sk_skb", "sk_skb_stream_verdict"),
    _row("sk_skb/verdict", "sk_skb", "sk_skb_verdict"),
    _row("sk_skb", "sk_skb"),
    _row("sk_msg", "sk_msg", "sk_msg_verdict"),
    _row("lirc_mode2", "lirc_mode2", "lirc_mode2"),
    _row("flow_dissector", "flow_dissector", "flow_dissector"),
    _row("cgroup_skb/ingress", "cgroup_skb", "cgroup_inet_ingress"),
    _row("cgroup_skb/egress", "cgroup_skb", "cgroup_inet_egress"),
    _row("cgroup/skb", "cgroup_skb"),
    _row("cgroup/sock_create", "cgroup_sock", "cgroup_inet_sock_create"),
    _row("cgroup/sock_release", "cgroup_sock", "cgroup_inet_sock_release"),
    _row("cgroup/sock", "cgroup_sock", "cgroup_inet_sock_create"),
    _row("cgroup/post_bind4", "cgroup_sock", "cgroup_inet4_post_bind"),
    _row("cgroup/post_bind6", "cgroup_sock", "cgroup_inet6_post_bind"),
    _row("cgroup/bind4", "cgroup_sock_addr", "cgroup_inet4_bind"),
    _row("cgroup/bind6", "cgroup_sock_addr", "cgroup_inet6_bind"),
    _row("cgroup/connect4", "cgroup_sock_addr", "cgroup_inet4_connect"),
    _row("cgroup/connect6", "cgroup_sock_addr", "cgroup_inet6_connect"),
    _row("cgroup/connect_unix", "cgroup_sock_addr", "cgroup_unix_connect"),
    _row("cgroup/sendmsg4", "cgroup_sock_addr", "cgroup_udp4_sendmsg"),
    _row("cgroup/sendmsg6", "cgroup_sock_addr", "cgroup_udp6_sendmsg"),
    _row("cgroup/sendmsg_unix", "cgroup_sock_addr", "cgroup_unix_sendmsg"),
    _row("cgroup/recvmsg4", "cgroup_sock_addr", "cgroup_udp4_recvmsg"),
    _row("cgroup/recvmsg6", "cgroup_sock_addr", "cgroup_udp6_recvmsg"),
    _row("cgroup/recvmsg_unix", "cgroup_sock_addr", "cgroup_unix_recvmsg"),
    _row("cgroup/getpeername4", "cgroup_sock_addr", "cgroup_inet4_getpeername"),
    _row("cgroup/getpeername6", "cgroup_sock_addr", "cgroup_inet6_getpeername"),
    _row("cgroup/getpeername_unix", "cgroup_sock_addr", "cgroup_unix_getpeername"),
    _row("cgroup/getsockname4", "cgroup_sock_addr", "cgroup_inet4_getsockname"),
    _row("cgroup/getsockname6", "cgroup_sock_addr", "cgroup_inet6_getsockname"),
    _row("cgroup/getsockname_unix", "cgroup_sock_addr", "cgroup_unix_getsockname"),
    _row("cgroup/sysctl", "cgroup_sysctl", "cgroup_sysctl"),
    _row("cgroup/getsockopt", "cgroup_sockopt", "cgroup_getsockopt"),
    _row("cgroup/setsockopt", "cgroup_sockopt", "cgroup_setsockopt"),
    _row("cgroup/dev", "cgroup_device", "cgroup_device"),
    _row("struct_ops+", "struct_ops", attach="struct_ops"),
    _row("struct_ops.s+", "struct_ops", attach="struct_ops", sleepable=True),
    _row("sk_lookup", "sk_lookup", "sk_lookup"),
    _row("netfilter", "netfilter", "netfilter"),
)

# Pre-1.0 libbpf matched these as plain prefixes ("xdp_drop" is an XDP program);
# the rest of the name says nothing about attachment.
LEGACY_PREFIXES: tuple[SecDef, ...] = (
    _row("socket", "socket_filter"),
    _row("kprobe/", "kprobe", attach="function"),
    _row("kretprobe/", "kprobe", attach="function", retprobe=True),
    _row("classifier", "sched_cls"),
    _row("action", "sched_act"),
    _row("tracepoint/", "tracepoint", attach="tracepoint"),
    _row("tp/", "tracepoint", attach="tracepoint"),
    _row("raw_tracepoint/", "raw_tracepoint", attach="raw_tracepoint"),
    _row("raw_tp/", "raw_tracepoint", attach="raw_tracepoint"),
    _row("xdp", "xdp", "xdp"),
    _row("perf_event", "perf_event"),
    _row("lwt_in", "lwt_in"),
    _row("lwt_out", "lwt_out"),
    _row("lwt_xmit", "lwt_xmit"),
    _row("sockops", "sock_ops", "cgroup_sock_ops"),
    _row("sk_skb", "sk_skb"),
    _row("sk_msg", "sk_msg", "sk_msg_verdict"),
    _row("cgroup_skb/", "cgroup_skb"),
    _row("cgroup/dev", "cgroup_device", "cgroup_device"),
)


class SectionMatch(NamedTuple):
    """What a section name says about its programs."""

    prog_type: str
    attach: str | None            # the section's extras ("do_sys_openat2", "syscalls/sys_enter_x")
    attach_kind: str | None
    expected_attach_type: str | None
    retprobe: bool
    sleepable: bool
    xdp_frags: bool


def _matches(pattern: str, name: str) -> str | None:
    """The extras after the pattern if ``name`` matches ("" for none), else None."""
    if pattern.endswith("/"):
        return name[len(pattern):] if name.startswith(pattern) else None
    if pattern.endswith("+"):
        base = pattern[:-1]
        if name == base:
            return ""
        return name[len(base) + 1:] if name.startswith(base + "/") else None
    return "" if name == pattern else None


def classify(section: str) -> SectionMatch | None:
    """The program type and attach point a section name gives, or None if unknown."""
    for row in SECTION_DEFS:
        extras = _matches(row.pattern, section)
        if extras is not None:
            return _match(row, extras)
    for row in LEGACY_PREFIXES:
        if section.startswith(row.pattern):
            extras = section[len(row.pattern):] if row.pattern.endswith("/") else ""
            return _match(row, extras)
    return None


def _match(row: SecDef, extras: str) -> SectionMatch:
    attach = extras if row.attach is not None and extras else None
    return SectionMatch(row.prog_type, attach, row.attach, row.expected_attach_type,
                        row.retprobe, row.sleepable, row.xdp_frags)


def check_table() -> None:
    """Every row names a program type and attach type the kernel has (for the tests)."""
    for row in SECTION_DEFS + LEGACY_PREFIXES:
        if row.prog_type not in PROG_TYPES:
            raise ValueError(f"{row.pattern}: unknown program type {row.prog_type}")
        if row.expected_attach_type is not None and row.expected_attach_type not in ATTACH_TYPES:
            raise ValueError(f"{row.pattern}: unknown attach type {row.expected_attach_type}")
