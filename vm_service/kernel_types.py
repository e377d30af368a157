"""The simulated kernel's types: a declarative table of structs, unions, enums and typedefs.

What tracing and networking programs read: ``struct task_struct`` (a real-named
subset), ``struct cred``, ``struct mm_struct``, files and dentries, sockets and
``struct sk_buff``, ``struct pt_regs`` (x86_64), the tracepoint records
(``struct trace_event_raw_*``), the packet headers, and the UAPI context
structs (``struct __sk_buff``, ``struct xdp_md``...). Offsets and sizes are
Linux 6.18 x86_64's (read from its BTF), so a program compiled against a
full ``vmlinux.h`` finds fields where the kernel keeps them; a struct lists
only some fields and is padded to its real size.

The one table serves three uses:

* ``vmlinux_h()`` renders it as C, the way ``bpftool btf dump ... format c``
  writes ``vmlinux.h`` (with ``preserve_access_index`` on every record, so
  field accesses carry CO-RE relocations; missing fields become padding);
* ``kernel_btf()`` is the same types as BTF: the target CO-RE relocations
  resolve against (``loader/core.py``);
* ``layout(name)`` and ``size_of(name)`` give the simulated memory's layout
  to the code that builds contexts and ``task_struct``\\ s.

A field's ``ctype`` is C spelling: a base type, typedef or ``struct X`` with
``const``/``volatile``, ``*`` and ``[N]`` (``"const struct cred *"``,
``"char[16]"``), or an inline ``Aggregate`` for an anonymous struct/union.
Bitfields give ``bits`` and ``bit`` (the first bit within the byte at
``offset``). Offsets count from the enclosing aggregate, as in C.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import NamedTuple

from . import btf as btf_module
from .errors import VmError


class KernelTypeError(VmError):
    """A name the simulated kernel does not define, or a malformed table row."""


@dataclass(frozen=True)
class Field:
    name: str                         # "" for an anonymous struct/union member
    ctype: "str | Aggregate"
    offset: int                       # bytes from the start of the enclosing aggregate
    bits: int = 0                     # bitfield width; 0 for an ordinary field
    bit: int = 0                      # a bitfield's first bit within the byte at ``offset``

    @property
    def bit_offset(self) -> int:
        return 8 * self.offset + self.bit


@dataclass(frozen=True)
class Aggregate:
    kind: str                         # "struct" or "union"
    name: str | None                  # None: anonymous (inline in a field or typedef)
    size: int
    fields: tuple[Field, ...]


@dataclass(frozen=True)
class Enum:
    name: str | None                  # None: an anonymous enum of constants
    values: tuple[tuple[str, int], ...]
    size: int = 4
    guard: str | None = None          # a preprocessor condition vmlinux.h renders it under


@dataclass(frozen=True)
class Typedef:
    name: str
    ctype: "str | Aggregate"
    guard: str | None = None          # a preprocessor condition vmlinux.h renders it under


def struct(name: str | None, size: int, *fields: Field) -> Aggregate:
    return Aggregate("struct", name, size, fields)


def union(name: str | None, size: int, *fields: Field) -> Aggregate:
    return Aggregate("union", name, size, fields)


F = Field

# -- base types: name -> (size, signed) -------------------------------------------------

BASE_TYPES: dict[str, tuple[int, bool]] = {
    "char": (1, True), "signed char": (1, True), "unsigned char": (1, False),
    "short": (2, True), "unsigned short": (2, False),
    "int": (4, True), "unsigned int": (4, False),
    "long": (8, True), "unsigned long": (8, False),
    "long long": (8, True), "unsigned long long": (8, False),
    "_Bool": (1, False),
}
POINTER_SIZE = 8

# The kernel's ``typedef _Bool bool`` and ``enum { false, true }``, which bpftool
# writes into vmlinux.h as they are, clash with <stdbool.h> included first (its
# macros turn them into ``typedef _Bool _Bool``, ``enum { 0 = 0 }``) and with
# C23, where the three are keywords. Either way the language already provides
# them, so vmlinux.h declares them only when neither has.
STDBOOL_GUARD = ("!defined(__bool_true_false_are_defined) && "
                 "(!defined(__STDC_VERSION__) || __STDC_VERSION__ < 202311L)")

# -- typedefs (in dependency order) ------------------------------------------------------

TYPEDEFS: tuple[Typedef, ...] = (
    Typedef("__s8", "signed char"), Typedef("__u8", "unsigned char"),
    Typedef("__s16", "short"), Typedef("__u16", "unsigned short"),
    Typedef("__s32", "int"), Typedef("__u32", "unsigned int"),
    Typedef("__s64", "long long"), Typedef("__u64", "unsigned long long"),
    Typedef("s8", "__s8"), Typedef("u8", "__u8"), Typedef("s16", "__s16"),
    Typedef("u16", "__u16"), Typedef("s32", "__s32"), Typedef("u32", "__u32"),
    Typedef("s64", "__s64"), Typedef("u64", "__u64"),
    Typedef("__le16", "__u16"), Typedef("__be16", "__u16"), Typedef("__le32", "__u32"),
    Typedef("__be32", "__u32"), Typedef("__le64", "__u64"), Typedef("__be64", "__u64"),
    Typedef("__sum16", "__u16"), Typedef("__wsum", "__u32"),
    Typedef("bool", "_Bool", guard=STDBOOL_GUARD),
    Typedef("__kernel_long_t", "long"), Typedef("__kernel_ulong_t", "unsigned long"),
    Typedef("__kernel_ssize_t", "__kernel_long_t"), Typedef("ssize_t", "__kernel_ssize_t"),
    Typedef("uintptr_t", "unsigned long"),
    Typedef("atomic_t", struct(None, 4, F("counter", "int", 0))),
    Typedef("atomic64_t", struct(None, 8, F("counter", "s64", 0))),
    Typedef("__kernel_pid_t", "int"), Typedef("pid_t", "__kernel_pid_t"),
    Typedef("__kernel_uid32_t", "unsigned int"), Typedef("__kernel_gid32_t", "unsigned int"),
    Typedef("uid_t", "__kernel_uid32_t"), Typedef("gid_t", "__kernel_gid32_t"),
    Typedef("__kernel_size_t", "__kernel_ulong_t"), Typedef("size_t", "__kernel_size_t"),
    Typedef("__kernel_loff_t", "long long"), Typedef("loff_t", "__kernel_loff_t"),
    Typedef("umode_t", "unsigned short"), Typedef("fmode_t", "unsigned int"),
    Typedef("ktime_t", "s64"), Typedef("sk_buff_data_t", "unsigned int"),
    Typedef("kuid_t", struct(None, 4, F("val", "uid_t", 0))),
    Typedef("kgid_t", struct(None, 4, F("val", "gid_t", 0))),
    Typedef("bpf_user_pt_regs_t", "struct pt_regs"),
)

# -- enums -------------------------------------------------------------------------------

ENUMS: tuple[Enum, ...] = (
    Enum(None, (("false", 0), ("true", 1)), guard=STDBOOL_GUARD),
    Enum("bpf_map_type", (
        ("BPF_MAP_TYPE_UNSPEC", 0), ("BPF_MAP_TYPE_HASH", 1), ("BPF_MAP_TYPE_ARRAY", 2),
        ("BPF_MAP_TYPE_PROG_ARRAY", 3), ("BPF_MAP_TYPE_PERF_EVENT_ARRAY", 4),
        ("BPF_MAP_TYPE_PERCPU_HASH", 5), ("BPF_MAP_TYPE_PERCPU_ARRAY", 6),
        ("BPF_MAP_TYPE_STACK_TRACE", 7), ("BPF_MAP_TYPE_CGROUP_ARRAY", 8),
        ("BPF_MAP_TYPE_LRU_HASH", 9), ("BPF_MAP_TYPE_LRU_PERCPU_HASH", 10),
        ("BPF_MAP_TYPE_LPM_TRIE", 11), ("BPF_MAP_TYPE_ARRAY_OF_MAPS", 12),
        ("BPF_MAP_TYPE_HASH_OF_MAPS", 13), ("BPF_MAP_TYPE_DEVMAP", 14),
        ("BPF_MAP_TYPE_SOCKMAP", 15), ("BPF_MAP_TYPE_CPUMAP", 16), ("BPF_MAP_TYPE_XSKMAP", 17),
        ("BPF_MAP_TYPE_SOCKHASH", 18), ("BPF_MAP_TYPE_CGROUP_STORAGE", 19),
        ("BPF_MAP_TYPE_REUSEPORT_SOCKARRAY", 20), ("BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE", 21),
        ("BPF_MAP_TYPE_QUEUE", 22), ("BPF_MAP_TYPE_STACK", 23), ("BPF_MAP_TYPE_SK_STORAGE", 24),
        ("BPF_MAP_TYPE_DEVMAP_HASH", 25), ("BPF_MAP_TYPE_STRUCT_OPS", 26),
        ("BPF_MAP_TYPE_RINGBUF", 27), ("BPF_MAP_TYPE_INODE_STORAGE", 28),
        ("BPF_MAP_TYPE_TASK_STORAGE", 29), ("BPF_MAP_TYPE_BLOOM_FILTER", 30),
        ("BPF_MAP_TYPE_USER_RINGBUF", 31), ("BPF_MAP_TYPE_CGRP_STORAGE", 32),
        ("BPF_MAP_TYPE_ARENA", 33))),
    Enum(None, (("BPF_ANY", 0), ("BPF_NOEXIST", 1), ("BPF_EXIST", 2), ("BPF_F_LOCK", 4))),
    Enum(None, (
        ("BPF_F_NO_PREALLOC", 1), ("BPF_F_NO_COMMON_LRU", 2), ("BPF_F_NUMA_NODE", 4),
        ("BPF_F_RDONLY", 8), ("BPF_F_WRONLY", 16), ("BPF_F_STACK_BUILD_ID", 32),
        ("BPF_F_ZERO_SEED", 64), ("BPF_F_RDONLY_PROG", 128), ("BPF_F_WRONLY_PROG", 256),
        ("BPF_F_CLONE", 512), ("BPF_F_MMAPABLE", 1024), ("BPF_F_PRESERVE_ELEMS", 2048),
        ("BPF_F_INNER_MAP", 4096), ("BPF_F_LINK", 8192), ("BPF_F_PATH_FD", 16384),
        ("BPF_F_VTYPE_BTF_OBJ_FD", 32768), ("BPF_F_TOKEN_FD", 65536),
        ("BPF_F_SEGV_ON_FAULT", 131072), ("BPF_F_NO_USER_CONV", 262144))),
    Enum(None, (("BPF_F_SKIP_FIELD_MASK", 255), ("BPF_F_USER_STACK", 256),
                ("BPF_F_FAST_STACK_CMP", 512), ("BPF_F_REUSE_STACKID", 1024),
                ("BPF_F_USER_BUILD_ID", 2048))),
    Enum(None, (("BPF_F_INDEX_MASK", 0xFFFFFFFF), ("BPF_F_CURRENT_CPU", 0xFFFFFFFF),
                ("BPF_F_CTXLEN_MASK", 0xFFFFF << 32)), size=8),
    Enum(None, (("BPF_RB_NO_WAKEUP", 1), ("BPF_RB_FORCE_WAKEUP", 2))),
    Enum(None, (("BPF_RB_AVAIL_DATA", 0), ("BPF_RB_RING_SIZE", 1), ("BPF_RB_CONS_POS", 2),
                ("BPF_RB_PROD_POS", 3))),
    Enum("xdp_action", (("XDP_ABORTED", 0), ("XDP_DROP", 1), ("XDP_PASS", 2), ("XDP_TX", 3),
                        ("XDP_REDIRECT", 4))),
    Enum("sk_action", (("SK_DROP", 0), ("SK_PASS", 1))),
)

# -- structs and unions -----------------------------------------------------------------------

AGGREGATES: tuple[Aggregate, ...] = (
    # Registers as a kprobe sees them (arch/x86/include/asm/ptrace.h). Since FRED
    # (6.9), cs and ss are unions: the 16-bit selector, the whole word (csx/ssx)
    # and the FRED event data kept in its upper bits.
    struct("fred_cs", 8,
           F("cs", "u64", 0, bits=16), F("sl", "u64", 2, bits=2), F("wfe", "u64", 2, bits=1, bit=2)),
    struct("fred_ss", 8,
           F("ss", "u64", 0, bits=16), F("sti", "u64", 2, bits=1),
           F("swevent", "u64", 2, bits=1, bit=1), F("nmi", "u64", 2, bits=1, bit=2),
           F("vector", "u64", 4, bits=8), F("type", "u64", 6, bits=4),
           F("enclave", "u64", 7, bits=1), F("lm", "u64", 7, bits=1, bit=1),
           F("nested", "u64", 7, bits=1, bit=2), F("insnlen", "u64", 7, bits=4, bit=4)),
    struct("pt_regs", 168,
           F("r15", "unsigned long", 0), F("r14", "unsigned long", 8),
           F("r13", "unsigned long", 16), F("r12", "unsigned long", 24),
           F("bp", "unsigned long", 32), F("bx", "unsigned long", 40),
           F("r11", "unsigned long", 48), F("r10", "unsigned long", 56),
           F("r9", "unsigned long", 64), F("r8", "unsigned long", 72),
           F("ax", "unsigned long", 80), F("cx", "unsigned long", 88),
           F("dx", "unsigned long", 96), F("si", "unsigned long", 104),
           F("di", "unsigned long", 112), F("orig_ax", "unsigned long", 120),
           F("ip", "unsigned long", 128),
           F("", union(None, 8, F("cs", "u16", 0), F("csx", "u64", 0),
                       F("fred_cs", "struct fred_cs", 0)), 136),
           F("flags", "unsigned long", 144), F("sp", "unsigned long", 152),
           F("", union(None, 8, F("ss", "u16", 0), F("ssx", "u64", 0),
                       F("fred_ss", "struct fred_ss", 0)), 160)),
    # Tracepoint records (include/trace/trace_events.h): the common header, then the event's fields.
    struct("trace_entry", 8,
           F("type", "unsigned short", 0), F("flags", "unsigned char", 2),
           F("preempt_count", "unsigned char", 3), F("pid", "int", 4)),
    struct("trace_event_raw_sys_enter", 64,
           F("ent", "struct trace_entry", 0), F("id", "long", 8),
           F("args", "unsigned long[6]", 16), F("__data", "char[0]", 64)),
    struct("trace_event_raw_sys_exit", 24,
           F("ent", "struct trace_entry", 0), F("id", "long", 8), F("ret", "long", 16),
           F("__data", "char[0]", 24)),
    # The same syscall records under the names kernel/trace/trace.h gives them
    # (what newer libbpf-tools, opensnoop for one, take as their context).
    struct("syscall_trace_enter", 16,
           F("ent", "struct trace_entry", 0), F("nr", "int", 8),
           F("args", "unsigned long[0]", 16)),
    struct("syscall_trace_exit", 24,
           F("ent", "struct trace_entry", 0), F("nr", "int", 8), F("ret", "long", 16)),
    struct("trace_event_raw_sched_process_exec", 20,
           F("ent", "struct trace_entry", 0), F("__data_loc_filename", "u32", 8),
           F("pid", "pid_t", 12), F("old_pid", "pid_t", 16), F("__data", "char[0]", 20)),
    struct("trace_event_raw_sched_process_template", 20,
           F("ent", "struct trace_entry", 0), F("__data_loc_comm", "u32", 8),
           F("pid", "pid_t", 12), F("prio", "int", 16), F("__data", "char[0]", 20)),
    struct("trace_event_raw_sched_process_fork", 24,
           F("ent", "struct trace_entry", 0), F("__data_loc_parent_comm", "u32", 8),
           F("parent_pid", "pid_t", 12), F("__data_loc_child_comm", "u32", 16),
           F("child_pid", "pid_t", 20), F("__data", "char[0]", 24)),
    struct("trace_event_raw_sched_switch", 64,
           F("ent", "struct trace_entry", 0), F("prev_comm", "char[16]", 8),
           F("prev_pid", "pid_t", 24), F("prev_prio", "int", 28), F("prev_state", "long", 32),
           F("next_comm", "char[16]", 40), F("next_pid", "pid_t", 56),
           F("next_prio", "int", 60), F("__data", "char[0]", 64)),
    # Processes.
    struct("thread_info", 24,
           F("flags", "unsigned long", 0), F("syscall_work", "unsigned long", 8),
           F("status", "u32", 16), F("cpu", "u32", 20)),
    struct("task_struct", 3264,
           F("thread_info", "struct thread_info", 0), F("__state", "unsigned int", 24),
           F("stack", "void *", 32), F("flags", "unsigned int", 44), F("on_cpu", "int", 52),
           F("prio", "int", 108), F("static_prio", "int", 112), F("normal_prio", "int", 116),
           F("mm", "struct mm_struct *", 1136), F("active_mm", "struct mm_struct *", 1144),
           F("exit_state", "int", 1160), F("exit_code", "int", 1164),
           F("exit_signal", "int", 1168), F("pid", "pid_t", 1264), F("tgid", "pid_t", 1268),
           F("real_parent", "struct task_struct *", 1280),
           F("parent", "struct task_struct *", 1288),
           F("group_leader", "struct task_struct *", 1328),
           F("utime", "u64", 1488), F("stime", "u64", 1496),
           F("nvcsw", "unsigned long", 1536), F("nivcsw", "unsigned long", 1544),
           F("start_time", "u64", 1552), F("start_boottime", "u64", 1560),
           F("real_cred", "const struct cred *", 1728), F("cred", "const struct cred *", 1736),
           F("comm", "char[16]", 1752), F("fs", "struct fs_struct *", 1816),
           F("files", "struct files_struct *", 1824), F("nsproxy", "struct nsproxy *", 1840),
           F("signal", "struct signal_struct *", 1848), F("loginuid", "kuid_t", 1952),
           F("sessionid", "unsigned int", 1956)),
    struct("cred", 184,
           F("uid", "kuid_t", 8), F("gid", "kgid_t", 12), F("suid", "kuid_t", 16),
           F("sgid", "kgid_t", 20), F("euid", "kuid_t", 24), F("egid", "kgid_t", 28),
           F("fsuid", "kuid_t", 32), F("fsgid", "kgid_t", 36),
           F("securebits", "unsigned int", 40)),
    struct("mm_struct", 1472,
           F("mmap_base", "unsigned long", 80), F("task_size", "unsigned long", 112),
           F("total_vm", "unsigned long", 360), F("exec_vm", "unsigned long", 392),
           F("stack_vm", "unsigned long", 400), F("start_code", "unsigned long", 424),
           F("end_code", "unsigned long", 432), F("start_data", "unsigned long", 440),
           F("end_data", "unsigned long", 448), F("start_brk", "unsigned long", 456),
           F("brk", "unsigned long", 464), F("start_stack", "unsigned long", 472),
           F("arg_start", "unsigned long", 480), F("arg_end", "unsigned long", 488),
           F("env_start", "unsigned long", 496), F("env_end", "unsigned long", 504),
           F("owner", "struct task_struct *", 1296), F("exe_file", "struct file *", 1312)),
    struct("linux_binprm", 408,
           F("mm", "struct mm_struct *", 24), F("p", "unsigned long", 32),
           F("executable", "struct file *", 48), F("interpreter", "struct file *", 56),
           F("file", "struct file *", 64), F("argc", "int", 88), F("envc", "int", 92),
           F("filename", "const char *", 96), F("interp", "const char *", 104)),
    # Files: enough to walk file -> path -> dentry -> name without d_path.
    struct("qstr", 16,
           F("", union(None, 8,
                       F("", struct(None, 8, F("hash", "u32", 0), F("len", "u32", 4)), 0),
                       F("hash_len", "u64", 0)), 0),
           F("name", "const unsigned char *", 8)),
    struct("path", 16, F("mnt", "struct vfsmount *", 0), F("dentry", "struct dentry *", 8)),
    struct("dentry", 192,
           F("d_parent", "struct dentry *", 24), F("d_name", "struct qstr", 32),
           F("d_inode", "struct inode *", 48), F("d_sb", "struct super_block *", 104)),
    struct("inode", 616,
           F("i_mode", "umode_t", 0), F("i_uid", "kuid_t", 4), F("i_gid", "kgid_t", 8),
           F("i_ino", "unsigned long", 64), F("i_size", "loff_t", 80)),
    struct("filename", 32,
           F("name", "const char *", 0), F("uptr", "const char *", 8),
           F("refcnt", "atomic_t", 16), F("aname", "struct audit_names *", 24),
           F("iname", "const char[0]", 32)),
    struct("open_how", 24,
           F("flags", "__u64", 0), F("mode", "__u64", 8), F("resolve", "__u64", 16)),
    # Mounts and a task's working directory: enough to rebuild a full path
    # (task->fs->pwd, then dentry and mount parents), as opensnoop -F does.
    struct("fs_struct", 56,
           F("users", "int", 0), F("umask", "int", 12), F("in_exec", "int", 16),
           F("root", "struct path", 24), F("pwd", "struct path", 40)),
    struct("vfsmount", 32,
           F("mnt_root", "struct dentry *", 0), F("mnt_sb", "struct super_block *", 8),
           F("mnt_flags", "int", 16), F("mnt_idmap", "struct mnt_idmap *", 24)),
    struct("mount", 352,
           F("mnt_parent", "struct mount *", 16), F("mnt_mountpoint", "struct dentry *", 24),
           F("mnt", "struct vfsmount", 32), F("mnt_devname", "const char *", 144),
           F("mnt_ns", "struct mnt_namespace *", 232), F("mnt_id", "int", 308)),
    struct("file", 184,
           F("f_mode", "fmode_t", 4), F("f_inode", "struct inode *", 32),
           F("f_flags", "unsigned int", 40), F("f_path", "const struct path", 64)),
    # Networking, kernel side.
    struct("in6_addr", 16,
           F("in6_u", union(None, 16, F("u6_addr8", "__u8[16]", 0),
                            F("u6_addr16", "__be16[8]", 0), F("u6_addr32", "__be32[4]", 0)), 0)),
    struct("net_device", 2496,
           F("mtu", "unsigned int", 56), F("ifindex", "int", 224), F("name", "char[16]", 280)),
    struct("sk_buff", 224,
           F("dev", "struct net_device *", 16), F("sk", "struct sock *", 24),
           F("len", "unsigned int", 112), F("data_len", "unsigned int", 116),
           F("mac_len", "__u16", 120), F("hdr_len", "__u16", 122),
           F("pkt_type", "__u8", 128, bits=3), F("priority", "__u32", 140),
           F("skb_iif", "int", 144), F("hash", "__u32", 148), F("mark", "__u32", 164),
           F("protocol", "__be16", 176), F("transport_header", "__u16", 178),
           F("network_header", "__u16", 180), F("mac_header", "__u16", 182),
           F("tail", "sk_buff_data_t", 184), F("end", "sk_buff_data_t", 188),
           F("head", "unsigned char *", 192), F("data", "unsigned char *", 200)),
    struct("sock_common", 136,
           F("skc_daddr", "__be32", 0), F("skc_rcv_saddr", "__be32", 4),
           F("skc_hash", "unsigned int", 8), F("skc_dport", "__be16", 12),
           F("skc_num", "__u16", 14), F("skc_family", "unsigned short", 16),
           F("skc_state", "volatile unsigned char", 18), F("skc_bound_dev_if", "int", 20),
           F("skc_v6_daddr", "struct in6_addr", 56), F("skc_v6_rcv_saddr", "struct in6_addr", 72)),
    struct("sock", 784,
           F("__sk_common", "struct sock_common", 0), F("sk_rcvbuf", "int", 244),
           F("sk_protocol", "u16", 532), F("sk_type", "u16", 534), F("sk_sndbuf", "int", 568)),
    # Packet headers (UAPI, complete).
    struct("ethhdr", 14,
           F("h_dest", "unsigned char[6]", 0), F("h_source", "unsigned char[6]", 6),
           F("h_proto", "__be16", 12)),
    struct("iphdr", 20,
           F("ihl", "__u8", 0, bits=4), F("version", "__u8", 0, bits=4, bit=4),
           F("tos", "__u8", 1), F("tot_len", "__be16", 2), F("id", "__be16", 4),
           F("frag_off", "__be16", 6), F("ttl", "__u8", 8), F("protocol", "__u8", 9),
           F("check", "__sum16", 10), F("saddr", "__be32", 12), F("daddr", "__be32", 16)),
    struct("ipv6hdr", 40,
           F("priority", "__u8", 0, bits=4), F("version", "__u8", 0, bits=4, bit=4),
           F("flow_lbl", "__u8[3]", 1), F("payload_len", "__be16", 4),
           F("nexthdr", "__u8", 6), F("hop_limit", "__u8", 7),
           F("saddr", "struct in6_addr", 8), F("daddr", "struct in6_addr", 24)),
    struct("tcphdr", 20,
           F("source", "__be16", 0), F("dest", "__be16", 2), F("seq", "__be32", 4),
           F("ack_seq", "__be32", 8), F("ae", "__u16", 12, bits=1),
           F("res1", "__u16", 12, bits=3, bit=1), F("doff", "__u16", 12, bits=4, bit=4),
           F("fin", "__u16", 13, bits=1), F("syn", "__u16", 13, bits=1, bit=1),
           F("rst", "__u16", 13, bits=1, bit=2), F("psh", "__u16", 13, bits=1, bit=3),
           F("ack", "__u16", 13, bits=1, bit=4), F("urg", "__u16", 13, bits=1, bit=5),
           F("ece", "__u16", 13, bits=1, bit=6), F("cwr", "__u16", 13, bits=1, bit=7),
           F("window", "__be16", 14), F("check", "__sum16", 16), F("urg_ptr", "__be16", 18)),
    struct("udphdr", 8,
           F("source", "__be16", 0), F("dest", "__be16", 2), F("len", "__be16", 4),
           F("check", "__sum16", 6)),
    # Program contexts (include/uapi/linux/bpf.h, complete).
    struct("bpf_flow_keys", 56,
           F("nhoff", "__u16", 0), F("thoff", "__u16", 2), F("addr_proto", "__u16", 4),
           F("is_frag", "__u8", 6), F("is_first_frag", "__u8", 7), F("is_encap", "__u8", 8),
           F("ip_proto", "__u8", 9), F("n_proto", "__be16", 10), F("sport", "__be16", 12),
           F("dport", "__be16", 14),
           F("", union(None, 32,
                       F("", struct(None, 8, F("ipv4_src", "__be32", 0),
                                    F("ipv4_dst", "__be32", 4)), 0),
                       F("", struct(None, 32, F("ipv6_src", "__u32[4]", 0),
                                    F("ipv6_dst", "__u32[4]", 16)), 0)), 16),
           F("flags", "__u32", 48), F("flow_label", "__be32", 52)),
    struct("bpf_sock", 80,
           F("bound_dev_if", "__u32", 0), F("family", "__u32", 4), F("type", "__u32", 8),
           F("protocol", "__u32", 12), F("mark", "__u32", 16), F("priority", "__u32", 20),
           F("src_ip4", "__u32", 24), F("src_ip6", "__u32[4]", 28), F("src_port", "__u32", 44),
           F("dst_port", "__be16", 48), F("dst_ip4", "__u32", 52), F("dst_ip6", "__u32[4]", 56),
           F("state", "__u32", 72), F("rx_queue_mapping", "__s32", 76)),
    struct("__sk_buff", 192,
           F("len", "__u32", 0), F("pkt_type", "__u32", 4), F("mark", "__u32", 8),
           F("queue_mapping", "__u32", 12), F("protocol", "__u32", 16),
           F("vlan_present", "__u32", 20), F("vlan_tci", "__u32", 24),
           F("vlan_proto", "__u32", 28), F("priority", "__u32", 32),
           F("ingress_ifindex", "__u32", 36), F("ifindex", "__u32", 40),
           F("tc_index", "__u32", 44), F("cb", "__u32[5]", 48), F("hash", "__u32", 68),
           F("tc_classid", "__u32", 72), F("data", "__u32", 76), F("data_end", "__u32", 80),
           F("napi_id", "__u32", 84), F("family", "__u32", 88), F("remote_ip4", "__u32", 92),
           F("local_ip4", "__u32", 96), F("remote_ip6", "__u32[4]", 100),
           F("local_ip6", "__u32[4]", 116), F("remote_port", "__u32", 132),
           F("local_port", "__u32", 136), F("data_meta", "__u32", 140),
           F("", union(None, 8, F("flow_keys", "struct bpf_flow_keys *", 0)), 144),
           F("tstamp", "__u64", 152), F("wire_len", "__u32", 160), F("gso_segs", "__u32", 164),
           F("", union(None, 8, F("sk", "struct bpf_sock *", 0)), 168),
           F("gso_size", "__u32", 176), F("tstamp_type", "__u8", 180),
           F("hwtstamp", "__u64", 184)),
    struct("xdp_md", 24,
           F("data", "__u32", 0), F("data_end", "__u32", 4), F("data_meta", "__u32", 8),
           F("ingress_ifindex", "__u32", 12), F("rx_queue_index", "__u32", 16),
           F("egress_ifindex", "__u32", 20)),
    struct("bpf_raw_tracepoint_args", 0, F("args", "__u64[0]", 0)),
    struct("bpf_dynptr", 16, F("__opaque", "__u64[2]", 0)),
    # The BPF ring buffer's kernel side: programs never read it, but probe for
    # it (``bpf_core_type_exists(struct bpf_ringbuf)``) to choose ring buffer
    # over perf buffer, as libbpf-tools' compat.bpf.h does.
    struct("bpf_ringbuf", 12288,
           F("mask", "u64", 56), F("nr_pages", "int", 72),
           F("consumer_pos", "unsigned long", 4096), F("producer_pos", "unsigned long", 8192),
           F("pending_pos", "unsigned long", 8200), F("data", "char[0]", 12288)),
    struct("bpf_perf_event_data", 184,
           F("regs", "bpf_user_pt_regs_t", 0), F("sample_period", "__u64", 168),
           F("addr", "__u64", 176)),
)


# -- C type spellings ---------------------------------------------------------------------------

_CTYPE = re.compile(r"^\s*(?P<quals>(?:(?:const|volatile)\s+)*)(?P<base>"
                    r"(?:struct|union|enum)\s+\w+|[A-Za-z_][\w ]*?)\s*"
                    r"(?P<stars>(?:\*\s*(?:const\s*)?)*)(?P<dims>(?:\[\d+\])*)\s*$")


@dataclass(frozen=True)
class CType:
    """A parsed C spelling: qualifiers, a base name, pointer levels and array dimensions."""

    base: str                         # "int", "pid_t", "struct cred"
    const: bool = False
    volatile: bool = False
    pointers: int = 0
    dims: tuple[int, ...] = ()

    def declaration(self, name: str) -> str:
        quals = ("const " if self.const else "") + ("volatile " if self.volatile else "")
        stars = "*" * self.pointers
        dims = "".join(f"[{d}]" for d in self.dims)
        return f"{quals}{self.base} {stars}{name}{dims}".rstrip()


@functools.cache
def parse_ctype(text: str) -> CType:
    match = _CTYPE.match(text)
    if match is None:
        raise KernelTypeError(f"cannot read the C type {text!r}")
    quals = match["quals"].split()
    base = " ".join(match["base"].split())
    return CType(base, "const" in quals, "volatile" in quals, match["stars"].count("*"),
                 tuple(int(d) for d in re.findall(r"\[(\d+)\]", match["dims"])))


# -- lookups ---------------------------------------------------------------------------------------

@functools.cache
def _aggregates() -> dict[str, Aggregate]:
    return {f"{a.kind} {a.name}": a for a in AGGREGATES}


@functools.cache
def _typedefs() -> dict[str, Typedef]:
    return {t.name: t for t in TYPEDEFS}


@functools.cache
def _enums() -> dict[str, Enum]:
    return {f"enum {e.name}": e for e in ENUMS if e.name}


def aggregate(name: str) -> Aggregate:
    """A named struct or union: ``"task_struct"``, ``"struct task_struct"`` or ``"union x"``."""
    key = name if name.split(" ", 1)[0] in ("struct", "union") else f"struct {name}"
    found = _aggregates().get(key)
    if found is None:
        raise KernelTypeError(f"the simulated kernel has no {key}")
    return found


def ctype_size(ctype: str | Aggregate) -> int:
    """Bytes a value of this C type takes in the simulated kernel."""
    if isinstance(ctype, Aggregate):
        return ctype.size
    parsed = parse_ctype(ctype)
    count = 1
    for dim in parsed.dims:
        count *= dim
    if parsed.pointers:
        return POINTER_SIZE * count
    return _base_size(parsed.base) * count


def _base_size(base: str) -> int:
    if base in BASE_TYPES:
        return BASE_TYPES[base][0]
    if base in _typedefs():
        return ctype_size(_typedefs()[base].ctype)
    if base in _enums():
        return _enums()[base].size
    if base.split(" ", 1)[0] in ("struct", "union"):
        return aggregate(base).size
    if base == "void":
        raise KernelTypeError("void has no size")
    raise KernelTypeError(f"the simulated kernel has no type {base!r}")


def size_of(name: str) -> int:
    """The size of a named type: ``"task_struct"``, ``"struct cred"``, ``"pid_t"``, ``"u64"``."""
    if name in _typedefs() or name in BASE_TYPES or name in _enums():
        return _base_size(name)
    return aggregate(name).size


class FieldLayout(NamedTuple):
    """One field of a layout, flattened through anonymous members."""

    field: str
    offset: int
    size: int
    ctype: str


def layout(name: str) -> list[FieldLayout]:
    """Every non-bitfield field of a struct with its absolute offset, in offset order.

    Members of anonymous structs/unions appear as fields of the struct itself
    (as C lets a program name them); bitfields are in ``bitfields(name)``.
    """
    out: list[FieldLayout] = []
    _flatten(aggregate(name), 0, out, [])
    return sorted(out, key=lambda f: f.offset)


def bitfields(name: str) -> list[tuple[str, int, int, str]]:
    """(field, bit offset, bit width, ctype) of each bitfield, flattened likewise."""
    out: list[tuple[str, int, int, str]] = []
    _flatten(aggregate(name), 0, [], out)
    return out


def _flatten(agg: Aggregate, base: int, fields: list, bits: list) -> None:
    for f in agg.fields:
        if f.bits:
            bits.append((f.name, 8 * (base + f.offset) + f.bit, f.bits, _spell(f.ctype)))
        elif not f.name and isinstance(f.ctype, Aggregate):
            _flatten(f.ctype, base + f.offset, fields, bits)
        else:
            fields.append(FieldLayout(f.name, base + f.offset, ctype_size(f.ctype), _spell(f.ctype)))


def _spell(ctype: str | Aggregate) -> str:
    if isinstance(ctype, Aggregate):
        return f"{ctype.kind} {ctype.name or '{...}'}"
    return ctype


# -- C rendering (vmlinux.h) ------------------------------------------------------------------------

HEADER = """\
/* vmlinux.h of the playground's simulated kernel (Linux 6.18, x86_64 layouts).
 * Generated by vm_service.kernel_types; structs list the fields the simulated
 * kernel has, padded to their real offsets and sizes.
 */
#ifndef __VMLINUX_H__
#define __VMLINUX_H__

#ifndef BPF_NO_PRESERVE_ACCESS_INDEX
#pragma clang attribute push (__attribute__((preserve_access_index)), apply_to = record)
#endif
"""

FOOTER = """
#ifndef BPF_NO_PRESERVE_ACCESS_INDEX
#pragma clang attribute pop
#endif

#endif /* __VMLINUX_H__ */
"""


def vmlinux_h() -> str:
    """The simulated kernel's types as a ``vmlinux.h`` (bpftool's layout and pragmas)."""
    parts = [HEADER]
    definitions = _definitions()
    declared = sorted({name for name, _ in definitions if name.startswith(("struct ", "union "))}
                      | _pointed_to_aggregates())
    parts.append("\n".join(f"{name};" for name in declared) + "\n")
    for _, text in definitions:
        parts.append(text)
    parts.append(FOOTER)
    return "\n".join(parts)


def _pointed_to_aggregates() -> set[str]:
    """Struct names used only through pointers (``struct vfsmount *``): declared, not defined."""
    names = set()
    for agg in AGGREGATES:
        for ctype in _all_ctypes(agg):
            base = parse_ctype(ctype).base
            if base.split(" ", 1)[0] in ("struct", "union"):
                names.add(base)
    return names


def _all_ctypes(agg: Aggregate):
    for f in agg.fields:
        if isinstance(f.ctype, Aggregate):
            yield from _all_ctypes(f.ctype)
        else:
            yield f.ctype


def _definitions() -> list[tuple[str, str]]:
    """(name, C text) of every definition, ordered so by-value uses come after definitions."""
    items: dict[str, tuple[str, set[str]]] = {}
    for td in TYPEDEFS:
        if isinstance(td.ctype, Aggregate):
            body = _render_aggregate(td.ctype, 0)
            items[td.name] = (_guarded(f"typedef {body} {td.name};\n", td.guard), _deps(td.ctype))
        else:
            items[td.name] = (_guarded(f"typedef {parse_ctype(td.ctype).declaration(td.name)};\n",
                                       td.guard), _ctype_deps(td.ctype, by_value=True))
    for index, enum in enumerate(ENUMS):
        key = f"enum {enum.name}" if enum.name else f"enum #{index}"
        items[key] = (_guarded(_render_enum(enum), enum.guard), set())
    for agg in AGGREGATES:
        items[f"{agg.kind} {agg.name}"] = (_render_aggregate(agg, 0) + ";\n", _deps(agg))
    ordered: list[tuple[str, str]] = []
    done: set[str] = set()

    def emit(name: str, trail: tuple[str, ...]) -> None:
        if name in done or name not in items:
            return
        if name in trail:
            raise KernelTypeError(f"types contain each other by value: {' -> '.join(trail)}")
        for dep in sorted(items[name][1]):
            emit(dep, trail + (name,))
        done.add(name)
        ordered.append((name, items[name][0]))

    for name in items:
        emit(name, ())
    return ordered


def _deps(agg: Aggregate) -> set[str]:
    deps: set[str] = set()
    for f in agg.fields:
        if isinstance(f.ctype, Aggregate):
            deps |= _deps(f.ctype)
        else:
            deps |= _ctype_deps(f.ctype, by_value=True)
    return deps


def _ctype_deps(ctype: str, by_value: bool) -> set[str]:
    """What must be defined before ``ctype`` is used: typedefs always, aggregates by value."""
    parsed = parse_ctype(ctype)
    base = parsed.base
    if base in _typedefs():
        return {base}
    if base.startswith("enum "):
        return {base}
    if base.split(" ", 1)[0] in ("struct", "union") and not parsed.pointers and by_value:
        return {base}
    return set()


def _guarded(text: str, guard: str | None) -> str:
    return text if guard is None else f"#if {guard}\n{text}#endif\n"


def _render_enum(enum: Enum) -> str:
    big = enum.size == 8
    rows = "".join(f"\t{name} = {value}{'ULL' if big else ''},\n" for name, value in enum.values)
    return f"enum {enum.name + ' ' if enum.name else ''}{{\n{rows}}};\n"


def _render_aggregate(agg: Aggregate, depth: int) -> str:
    indent = "\t" * (depth + 1)
    lines = []
    cursor = 0                                  # in bits
    pad = 0
    for f in sorted(agg.fields, key=lambda f: (f.bit_offset if agg.kind == "struct" else 0)):
        start = f.bit_offset if agg.kind == "struct" else 0
        if agg.kind == "struct" and start > cursor:
            if cursor % 8:
                gap = min(start - cursor, 8 - cursor % 8)
                lines.append(f"{indent}unsigned char: {gap};")
                cursor += gap
            if start >= cursor + 8:
                lines.append(f"{indent}char __pad{pad}[{(start - cursor) // 8}];")
                pad += 1
                cursor += (start - cursor) // 8 * 8
            if start > cursor:
                lines.append(f"{indent}unsigned char: {start - cursor};")
                cursor = start
        if isinstance(f.ctype, Aggregate):
            text = f"{_render_aggregate(f.ctype, depth + 1)}{' ' + f.name if f.name else ''}"
        else:
            text = parse_ctype(f.ctype).declaration(f.name)
        if f.bits:
            text += f": {f.bits}"
        lines.append(f"{indent}{text};")
        end = start + (f.bits if f.bits else 8 * ctype_size(f.ctype))
        cursor = max(cursor, end) if agg.kind == "struct" else cursor
    if agg.kind == "struct" and 8 * agg.size > cursor:
        if cursor % 8:
            lines.append(f"{indent}unsigned char: {8 - cursor % 8};")
            cursor += 8 - cursor % 8
        if 8 * agg.size > cursor:
            lines.append(f"{indent}char __pad{pad}[{agg.size - cursor // 8}];")
    head = f"{agg.kind} {agg.name + ' ' if agg.name else ''}"
    closing = "\t" * depth + "}"
    return head + "{\n" + "\n".join(lines) + "\n" + closing


# -- BTF (the CO-RE target) ------------------------------------------------------------------

def kernel_btf_bytes() -> bytes:
    """The table as a BTF blob, as the simulated kernel's ``/sys/kernel/btf/vmlinux``."""
    from .loader.btf_writer import BtfBuilder

    return _BtfEmitter(BtfBuilder()).emit()


@functools.cache
def kernel_btf() -> btf_module.Btf:
    """The simulated kernel's BTF, parsed: what CO-RE relocations resolve against."""
    return btf_module.parse(kernel_btf_bytes())


class _BtfEmitter:
    def __init__(self, builder):
        self.b = builder
        self.ids: dict[str, int] = {}

    def emit(self) -> bytes:
        for agg in AGGREGATES:
            self.ids[f"{agg.kind} {agg.name}"] = self.b.reserve()
        for td in TYPEDEFS:
            self.ids[td.name] = self.b.reserve()
        for enum in ENUMS:
            self.b.add_enum(enum.name or "", list(enum.values), size=enum.size)
            if enum.name:
                self.ids[f"enum {enum.name}"] = self.b.next_id - 1
        for td in TYPEDEFS:
            target = (self.aggregate(td.ctype) if isinstance(td.ctype, Aggregate)
                      else self.ctype(td.ctype))
            self.b.fill(self.ids[td.name], lambda b, t=target, n=td.name: b.add_typedef(n, t))
        for agg in AGGREGATES:
            members = self.members(agg)
            self.b.fill(self.ids[f"{agg.kind} {agg.name}"],
                        lambda b, a=agg, m=members: b.add_struct(a.name, a.size, m,
                                                                 union=a.kind == "union"))
        return self.b.build()

    def members(self, agg: Aggregate) -> list[tuple[str, int, int, int]]:
        out = []
        for f in agg.fields:
            type_id = self.aggregate(f.ctype) if isinstance(f.ctype, Aggregate) else self.ctype(f.ctype)
            out.append((f.name, type_id, f.bit_offset, f.bits))
        return out

    def aggregate(self, agg: Aggregate) -> int:
        members = self.members(agg)
        return self.b.add_struct(agg.name or "", agg.size, members, union=agg.kind == "union")

    def ctype(self, text: str) -> int:
        key = f"ctype:{text}"
        if key in self.ids:
            return self.ids[key]
        parsed = parse_ctype(text)
        type_id = self.base(parsed.base)
        if parsed.volatile:
            type_id = self.b.add_volatile(type_id)
        if parsed.const:
            type_id = self.b.add_const(type_id)
        for _ in range(parsed.pointers):
            type_id = self.b.add_ptr(type_id)
        for dim in reversed(parsed.dims):
            type_id = self.b.add_array(type_id, self.base("int"), dim)
        self.ids[key] = type_id
        return type_id

    def base(self, name: str) -> int:
        if name in self.ids:
            return self.ids[name]
        if name == "void":
            return 0
        if name in BASE_TYPES:
            size, signed = BASE_TYPES[name]
            type_id = self.b.add_int(name, size, signed=signed and name != "_Bool",
                                     char=name == "char", boolean=name == "_Bool")
        elif name.split(" ", 1)[0] in ("struct", "union"):
            kind, _, tag = name.partition(" ")
            type_id = self.b.add_fwd(tag, union=kind == "union")
        else:
            raise KernelTypeError(f"the simulated kernel has no type {name!r}")
        self.ids[name] = type_id
        return type_id
