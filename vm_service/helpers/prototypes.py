"""The helper table: one row per helper, its prototype as Linux 6.18 declares it.

Each row is the kernel's ``struct bpf_func_proto`` for that helper (argument
and return kinds, ``gpl_only``) plus which program types may call it and the
playground's implementation. The Machine reads it now (``implementations``);
the verifier will read the same rows. Only helpers implemented here have rows,
plus bpf_tail_call and bpf_loop, which the Machine runs itself.

Which program types may call a helper follows the kernel's ``*_func_proto``
functions for a privileged loader (root: CAP_BPF and CAP_PERFMON), which is
what the playground models:

* ``None``: every type. These helpers are in ``bpf_base_func_proto``, which
  every program type falls back to (the map helpers, the clocks, ringbuf_*,
  strncmp, tail_call; behind CAP_BPF bpf_loop and jiffies64; behind CAP_PERFMON
  trace_printk, snprintf, probe_read_{user,kernel}[_str], get_current_task;
  in 6.18 also get_current_uid_gid and get_current_comm).
* ``TRACING``: only tracing types (``bpf_tracing_func_proto``): the legacy
  bpf_probe_read and bpf_probe_read_str.
* ``PERF_OUTPUT``: bpf_perf_event_output, which each program type family
  provides in its own flavour and sk_reuseport, flow_dissector, netfilter,
  lirc_mode2 and struct_ops do not provide at all.

``tests/test_helper_table.py`` checks these sets against the running kernel
for every program type that loads without attaching (all but tracing, lsm,
struct_ops, ext and lirc_mode2, whose sets follow the source). ``ext`` programs
borrow their target's helpers; the table gives them the base set only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from ..helper_ids import HELPER_IDS
from . import (clock, control, csum, map_ops, perf, printk, probe, redirect, ringbuf, skb,
               strings, task, xdp)
from .kinds import (ARG_ANYTHING, ARG_CONST_ALLOC_SIZE_OR_ZERO, ARG_CONST_MAP_PTR, ARG_CONST_SIZE,
                    ARG_CONST_SIZE_OR_ZERO, ARG_PTR_TO_CONST_STR, ARG_PTR_TO_CTX, ARG_PTR_TO_FUNC,
                    ARG_PTR_TO_MAP_KEY, ARG_PTR_TO_MAP_VALUE, ARG_PTR_TO_MEM, ARG_PTR_TO_MEM_OR_NULL,
                    ARG_PTR_TO_RINGBUF_MEM, ARG_PTR_TO_STACK_OR_NULL, ARG_PTR_TO_UNINIT_MEM,
                    MEM_RDONLY, MEM_UNINIT, MEM_WRITE, OBJ_RELEASE, PTR_MAYBE_NULL, RET_INTEGER,
                    RET_PTR_TO_BTF_ID_TRUSTED, RET_PTR_TO_MAP_VALUE_OR_NULL,
                    RET_PTR_TO_RINGBUF_MEM_OR_NULL, RET_VOID, ArgKind, ProgType, RetKind)

P = ProgType
TRACING = frozenset({P.KPROBE, P.TRACEPOINT, P.PERF_EVENT, P.RAW_TRACEPOINT,
                     P.RAW_TRACEPOINT_WRITABLE, P.TRACING, P.LSM, P.SYSCALL})
PERF_OUTPUT = frozenset(ProgType) - {P.UNSPEC, P.SK_REUSEPORT, P.FLOW_DISSECTOR, P.NETFILTER,
                                     P.LIRC_MODE2, P.STRUCT_OPS, P.EXT}
# The packet helpers' program types, as the kernel's *_func_proto functions grant them
# (tc_cls_act, xdp, sk_filter, cg_skb, lwt_*, sk_skb... in net/core/filter.c). The
# playground runs socket filters, tc, cgroup skb and XDP programs; the other types are
# listed so the table stays the kernel's.
TC = frozenset({P.SCHED_CLS, P.SCHED_ACT})
LWT = frozenset({P.LWT_IN, P.LWT_OUT, P.LWT_XMIT, P.LWT_SEG6LOCAL})
SKB_LOAD = TC | LWT | {P.SOCKET_FILTER, P.CGROUP_SKB, P.SK_SKB, P.SK_REUSEPORT, P.FLOW_DISSECTOR}
SKB_RESIZE = TC | {P.LWT_XMIT, P.SK_SKB}
CSUM_REPLACE = TC | {P.LWT_XMIT}
XDP_ONLY = frozenset({P.XDP})


@dataclass(frozen=True)
class HelperProto:
    """One helper: the kernel's prototype, who may call it, and what runs."""

    id: int
    name: str                                   # as the kernel prints it: bpf_map_lookup_elem
    args: tuple[ArgKind, ...]                   # r1, r2, ...; later registers are ARG_DONTCARE
    ret: RetKind
    prog_types: frozenset[ProgType] | None      # None: every program type
    gpl_only: bool
    impl: Callable[..., int]   # receives maps and keys resolved (calling.py)
    summary: str = ""
    c: str = ""   # the C declaration programs see, "RETURN (PARAMETERS)", as libbpf declares it

    def allowed_in(self, prog_type: ProgType | None) -> bool:
        """May a program of this type call it? ``None`` (raw mode) allows the generic ones."""
        if prog_type is None:
            return self.prog_types is None
        return self.prog_types is None or prog_type in self.prog_types


def _row(name: str, args: tuple[ArgKind, ...], ret: RetKind, impl: Callable[..., int], *,
         gpl: bool = False, types: frozenset[ProgType] | None = None,
         summary: str = "", c: str) -> HelperProto:
    return HelperProto(HELPER_IDS[name], name, args, ret, types, gpl, impl, summary, c)


MAP = ARG_CONST_MAP_PTR
RDONLY_MEM = ARG_PTR_TO_MEM | MEM_RDONLY
UNINIT_VALUE = ARG_PTR_TO_MAP_VALUE | MEM_UNINIT | MEM_WRITE
CTX = ARG_PTR_TO_CTX
ANY = ARG_ANYTHING
PROBE_ARGS = (ARG_PTR_TO_UNINIT_MEM, ARG_CONST_SIZE_OR_ZERO, ARG_ANYTHING)

ROWS: tuple[HelperProto, ...] = (
    # kernel/bpf/helpers.c
    _row("bpf_map_lookup_elem", (MAP, ARG_PTR_TO_MAP_KEY), RET_PTR_TO_MAP_VALUE_OR_NULL,
         map_ops.map_lookup_elem, summary="pointer to the value under key, or NULL",
         c="void *(void *map, const void *key)"),
    _row("bpf_map_update_elem", (MAP, ARG_PTR_TO_MAP_KEY, ARG_PTR_TO_MAP_VALUE, ARG_ANYTHING),
         RET_INTEGER, map_ops.map_update_elem, summary="create or replace key's value",
         c="long (void *map, const void *key, const void *value, __u64 flags)"),
    _row("bpf_map_delete_elem", (MAP, ARG_PTR_TO_MAP_KEY), RET_INTEGER,
         map_ops.map_delete_elem, summary="remove key",
         c="long (void *map, const void *key)"),
    _row("bpf_map_push_elem", (MAP, ARG_PTR_TO_MAP_VALUE, ARG_ANYTHING), RET_INTEGER,
         map_ops.map_push_elem, summary="push onto a queue or stack",
         c="long (void *map, const void *value, __u64 flags)"),
    _row("bpf_map_pop_elem", (MAP, UNINIT_VALUE), RET_INTEGER, map_ops.map_pop_elem,
         summary="take the next element of a queue or stack",
         c="long (void *map, void *value)"),
    _row("bpf_map_peek_elem", (MAP, UNINIT_VALUE), RET_INTEGER, map_ops.map_peek_elem,
         summary="read the next element of a queue or stack",
         c="long (void *map, void *value)"),
    _row("bpf_get_prandom_u32", (), RET_INTEGER, task.get_prandom_u32,
         summary="a pseudo-random u32",
         c="__u32 (void)"),
    _row("bpf_get_smp_processor_id", (), RET_INTEGER, task.get_smp_processor_id,
         summary="the current CPU",
         c="__u32 (void)"),
    _row("bpf_ktime_get_ns", (), RET_INTEGER, clock.ktime_get_ns,
         summary="CLOCK_MONOTONIC in ns",
         c="__u64 (void)"),
    _row("bpf_ktime_get_boot_ns", (), RET_INTEGER, clock.ktime_get_boot_ns,
         summary="CLOCK_BOOTTIME in ns",
         c="__u64 (void)"),
    _row("bpf_jiffies64", (), RET_INTEGER, clock.jiffies64, summary="the 64-bit jiffies",
         c="__u64 (void)"),
    _row("bpf_get_current_pid_tgid", (), RET_INTEGER, task.get_current_pid_tgid,
         summary="tgid << 32 | pid",
         c="__u64 (void)"),
    _row("bpf_get_current_uid_gid", (), RET_INTEGER, task.get_current_uid_gid,
         summary="gid << 32 | uid",
         c="__u64 (void)"),
    _row("bpf_get_current_comm", (ARG_PTR_TO_UNINIT_MEM, ARG_CONST_SIZE), RET_INTEGER,
         task.get_current_comm, summary="copy the task's name into buf",
         c="long (void *buf, __u32 size_of_buf)"),
    _row("bpf_strncmp", (RDONLY_MEM, ARG_CONST_SIZE, ARG_PTR_TO_CONST_STR), RET_INTEGER,
         strings.bpf_strncmp, summary="compare s1 (s1_sz bytes) with a constant string",
         c="long (const char *s1, __u32 s1_sz, const char *s2)"),
    _row("bpf_snprintf", (ARG_PTR_TO_MEM_OR_NULL | MEM_WRITE, ARG_CONST_SIZE_OR_ZERO,
                          ARG_PTR_TO_CONST_STR, ARG_PTR_TO_MEM | PTR_MAYBE_NULL | MEM_RDONLY,
                          ARG_CONST_SIZE_OR_ZERO),
         RET_INTEGER, printk.snprintf, gpl=True,
         summary="format into a buffer; returns the full length + 1",
         c="long (char *str, __u32 str_size, const char *fmt, __u64 *data, __u32 data_len)"),
    _row("bpf_loop", (ARG_ANYTHING, ARG_PTR_TO_FUNC, ARG_PTR_TO_STACK_OR_NULL, ARG_ANYTHING),
         RET_INTEGER, control.loop, summary="call callback(i, ctx) up to nr_loops times",
         c="long (__u32 nr_loops, void *callback_fn, void *callback_ctx, __u64 flags)"),
    # kernel/bpf/core.c
    _row("bpf_tail_call", (ARG_PTR_TO_CTX, MAP, ARG_ANYTHING), RET_VOID, control.tail_call,
         summary="jump to prog_array[index]; falls through if it cannot",
         c="long (void *ctx, void *prog_array_map, __u32 index)"),
    # kernel/trace/bpf_trace.c
    _row("bpf_trace_printk", (RDONLY_MEM, ARG_CONST_SIZE), RET_INTEGER, printk.trace_printk,
         gpl=True, summary="format up to 3 arguments into the trace output",
         c="long (const char *fmt, __u32 fmt_size, ...)"),
    _row("bpf_trace_vprintk", (RDONLY_MEM, ARG_CONST_SIZE,
                               ARG_PTR_TO_MEM | PTR_MAYBE_NULL | MEM_RDONLY,
                               ARG_CONST_SIZE_OR_ZERO),
         RET_INTEGER, printk.trace_vprintk, gpl=True,
         summary="format up to 12 arguments (a u64 array) into the trace output",
         c="long (const char *fmt, __u32 fmt_size, const void *data, __u32 data_len)"),
    _row("bpf_get_current_task", (), RET_INTEGER, task.get_current_task, gpl=True,
         summary="the current task_struct's address",
         c="__u64 (void)"),
    _row("bpf_get_current_task_btf", (), RET_PTR_TO_BTF_ID_TRUSTED, task.get_current_task,
         gpl=True, summary="the current task, as a typed pointer",
         c="struct task_struct *(void)"),
    _row("bpf_probe_read_user", PROBE_ARGS, RET_INTEGER, probe.probe_read_user, gpl=True,
         summary="copy size bytes from a user address",
         c="long (void *dst, __u32 size, const void *unsafe_ptr)"),
    _row("bpf_probe_read_kernel", PROBE_ARGS, RET_INTEGER, probe.probe_read_kernel, gpl=True,
         summary="copy size bytes from a kernel address",
         c="long (void *dst, __u32 size, const void *unsafe_ptr)"),
    _row("bpf_probe_read_user_str", PROBE_ARGS, RET_INTEGER, probe.probe_read_user_str,
         gpl=True, summary="copy a string from a user address",
         c="long (void *dst, __u32 size, const void *unsafe_ptr)"),
    _row("bpf_probe_read_kernel_str", PROBE_ARGS, RET_INTEGER, probe.probe_read_kernel_str,
         gpl=True, summary="copy a string from a kernel address",
         c="long (void *dst, __u32 size, const void *unsafe_ptr)"),
    _row("bpf_probe_read", PROBE_ARGS, RET_INTEGER, probe.probe_read, gpl=True, types=TRACING,
         summary="legacy: copy from a user or kernel address",
         c="long (void *dst, __u32 size, const void *unsafe_ptr)"),
    _row("bpf_probe_read_str", PROBE_ARGS, RET_INTEGER, probe.probe_read_str, gpl=True,
         types=TRACING, summary="legacy: copy a string from a user or kernel address",
         c="long (void *dst, __u32 size, const void *unsafe_ptr)"),
    _row("bpf_perf_event_output", (ARG_PTR_TO_CTX, MAP, ARG_ANYTHING, RDONLY_MEM,
                                   ARG_CONST_SIZE_OR_ZERO),
         RET_INTEGER, perf.perf_event_output, gpl=True, types=PERF_OUTPUT,
         summary="send a sample to a perf event array",
         c="long (void *ctx, void *map, __u64 flags, void *data, __u64 size)"),
    # kernel/bpf/ringbuf.c
    _row("bpf_ringbuf_output", (MAP, RDONLY_MEM, ARG_CONST_SIZE_OR_ZERO, ARG_ANYTHING),
         RET_INTEGER, ringbuf.ringbuf_output, summary="copy data into a new record",
         c="long (void *ringbuf, void *data, __u64 size, __u64 flags)"),
    _row("bpf_ringbuf_reserve", (MAP, ARG_CONST_ALLOC_SIZE_OR_ZERO, ARG_ANYTHING),
         RET_PTR_TO_RINGBUF_MEM_OR_NULL, ringbuf.ringbuf_reserve,
         summary="reserve a record to fill, or NULL",
         c="void *(void *ringbuf, __u64 size, __u64 flags)"),
    _row("bpf_ringbuf_submit", (ARG_PTR_TO_RINGBUF_MEM | OBJ_RELEASE, ARG_ANYTHING), RET_VOID,
         ringbuf.ringbuf_submit, summary="publish a reserved record",
         c="void (void *data, __u64 flags)"),
    _row("bpf_ringbuf_discard", (ARG_PTR_TO_RINGBUF_MEM | OBJ_RELEASE, ARG_ANYTHING), RET_VOID,
         ringbuf.ringbuf_discard, summary="drop a reserved record",
         c="void (void *data, __u64 flags)"),
    _row("bpf_ringbuf_query", (MAP, ARG_ANYTHING), RET_INTEGER, ringbuf.ringbuf_query,
         summary="available data, size or positions of a ring buffer",
         c="__u64 (void *ringbuf, __u64 flags)"),
    # net/core/filter.c: the packet helpers (helpers/skb.py, csum.py, xdp.py, redirect.py)
    _row("bpf_skb_load_bytes", (CTX, ANY, ARG_PTR_TO_UNINIT_MEM, ARG_CONST_SIZE), RET_INTEGER,
         skb.skb_load_bytes, types=SKB_LOAD,
         summary="copy len bytes of the packet at offset into a buffer",
         c="long (const void *skb, __u32 offset, void *to, __u32 len)"),
    _row("bpf_skb_load_bytes_relative", (CTX, ANY, ARG_PTR_TO_UNINIT_MEM, ARG_CONST_SIZE, ANY),
         RET_INTEGER, skb.skb_load_bytes_relative,
         types=frozenset({P.SOCKET_FILTER, P.CGROUP_SKB, P.SK_REUSEPORT}) | TC,
         summary="copy bytes counting from the mac or network header",
         c="long (const void *skb, __u32 offset, void *to, __u32 len, __u32 start_header)"),
    _row("bpf_skb_store_bytes", (CTX, ANY, RDONLY_MEM, ARG_CONST_SIZE, ANY), RET_INTEGER,
         skb.skb_store_bytes, types=SKB_RESIZE, summary="write len bytes into the packet at offset",
         c="long (struct __sk_buff *skb, __u32 offset, const void *from, __u32 len, "
           "__u64 flags)"),
    _row("bpf_l3_csum_replace", (CTX, ANY, ANY, ANY, ANY), RET_INTEGER, csum.l3_csum_replace,
         types=CSUM_REPLACE, summary="update an IP header checksum for a changed field",
         c="long (struct __sk_buff *skb, __u32 offset, __u64 from, __u64 to, __u64 size)"),
    _row("bpf_l4_csum_replace", (CTX, ANY, ANY, ANY, ANY), RET_INTEGER, csum.l4_csum_replace,
         types=CSUM_REPLACE, summary="update a TCP/UDP checksum for a changed field",
         c="long (struct __sk_buff *skb, __u32 offset, __u64 from, __u64 to, __u64 flags)"),
    _row("bpf_csum_diff", (ARG_PTR_TO_MEM | PTR_MAYBE_NULL | MEM_RDONLY, ARG_CONST_SIZE_OR_ZERO,
                           ARG_PTR_TO_MEM | PTR_MAYBE_NULL | MEM_RDONLY, ARG_CONST_SIZE_OR_ZERO,
                           ANY),
         RET_INTEGER, csum.csum_diff, types=TC | LWT | XDP_ONLY,
         summary="checksum difference of two buffers, onto a seed",
         c="__s64 (__be32 *from, __u32 from_size, __be32 *to, __u32 to_size, __wsum seed)"),
    _row("bpf_redirect", (ANY, ANY), RET_INTEGER, redirect.redirect,
         types=TC | XDP_ONLY | {P.LWT_XMIT},
         summary="redirect the packet to device ifindex (with the verdict it returns)",
         c="long (__u32 ifindex, __u64 flags)"),
    _row("bpf_skb_pull_data", (CTX, ANY), RET_INTEGER, skb.skb_pull_data,
         types=TC | LWT | {P.SK_SKB}, summary="make len bytes directly accessible",
         c="long (struct __sk_buff *skb, __u32 len)"),
    _row("bpf_skb_change_tail", (CTX, ANY, ANY), RET_INTEGER, skb.skb_change_tail,
         types=SKB_RESIZE, summary="grow (zero-filled) or trim the packet to len",
         c="long (struct __sk_buff *skb, __u32 len, __u64 flags)"),
    _row("bpf_skb_change_head", (CTX, ANY, ANY), RET_INTEGER, skb.skb_change_head,
         types=SKB_RESIZE, summary="add len zeroed bytes in front of the packet",
         c="long (struct __sk_buff *skb, __u32 len, __u64 flags)"),
    _row("bpf_set_hash", (CTX, ANY), RET_INTEGER, skb.set_hash, types=TC,
         summary="set skb->hash", c="long (struct __sk_buff *skb, __u32 hash)"),
    _row("bpf_set_hash_invalid", (CTX,), RET_INTEGER, skb.set_hash_invalid,
         types=TC | {P.LWT_XMIT}, summary="clear skb->hash",
         c="void (struct __sk_buff *skb)"),
    _row("bpf_get_socket_cookie", (CTX,), RET_INTEGER, skb.get_socket_cookie,
         types=frozenset({P.SOCKET_FILTER, P.CGROUP_SKB, P.CGROUP_SOCK, P.SOCK_OPS, P.SK_SKB,
                          P.CGROUP_SOCK_ADDR, P.SK_REUSEPORT, P.SYSCALL}) | TC,
         summary="the cookie of the packet's socket",
         c="__u64 (void *ctx)"),
    _row("bpf_xdp_adjust_head", (CTX, ANY), RET_INTEGER, xdp.xdp_adjust_head, types=XDP_ONLY,
         summary="move data by delta (grow or shrink the packet's front)",
         c="long (struct xdp_md *xdp_md, int delta)"),
    _row("bpf_xdp_adjust_tail", (CTX, ANY), RET_INTEGER, xdp.xdp_adjust_tail, types=XDP_ONLY,
         summary="move data_end by delta", c="long (struct xdp_md *xdp_md, int delta)"),
    _row("bpf_xdp_adjust_meta", (CTX, ANY), RET_INTEGER, xdp.xdp_adjust_meta, types=XDP_ONLY,
         summary="move data_meta by delta (grow or shrink the metadata)",
         c="long (struct xdp_md *xdp_md, int delta)"),
    _row("bpf_xdp_load_bytes", (CTX, ANY, ARG_PTR_TO_UNINIT_MEM, ARG_CONST_SIZE), RET_INTEGER,
         xdp.xdp_load_bytes, types=XDP_ONLY, summary="copy len packet bytes into a buffer",
         c="long (struct xdp_md *xdp_md, __u32 offset, void *buf, __u32 len)"),
    _row("bpf_xdp_store_bytes", (CTX, ANY, RDONLY_MEM, ARG_CONST_SIZE), RET_INTEGER,
         xdp.xdp_store_bytes, types=XDP_ONLY, summary="copy a buffer into the packet",
         c="long (struct xdp_md *xdp_md, __u32 offset, void *buf, __u32 len)"),
    _row("bpf_xdp_get_buff_len", (CTX,), RET_INTEGER, xdp.xdp_get_buff_len,
         types=frozenset({P.XDP, P.SYSCALL}), summary="the packet's length",
         c="__u64 (struct xdp_md *xdp_md)"),
)


PROTOTYPES: dict[int, HelperProto] = {row.id: row for row in ROWS}
