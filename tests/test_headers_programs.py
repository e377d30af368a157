"""Ordinary libbpf-style programs compile against the bundled headers, with no warnings,
into the objects libbpf would expect: the right sections, maps, helper calls and CO-RE
relocations; and network programs built on them run in the live kernel as intended.
"""

from __future__ import annotations

import io
import struct

import pytest
from elftools.elf.elffile import ELFFile

from tests.test_headers import PROGRAM_WARNINGS, ZIG_CC, compile_c
from vm_service import kernel
from vm_service.helper_ids import HELPER_IDS
from vm_service.helpers.prototypes import PROTOTYPES

LICENSE = 'char LICENSE[] SEC("license") = "GPL";\n'

XDP_PARSE = """
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct vlan_hdr {
	__be16 h_vlan_TCI;
	__be16 h_vlan_encapsulated_proto;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 256);
	__type(key, __u32);
	__type(value, __u64);
} proto_count SEC(".maps");

SEC("xdp")
int xdp_udp(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	void *next = eth + 1;
	__u16 proto;

	if (next > data_end)
		return XDP_PASS;
	proto = eth->h_proto;
	if (proto == bpf_htons(ETH_P_8021Q) || proto == bpf_htons(ETH_P_8021AD)) {
		struct vlan_hdr *vlan = next;
		if ((void *)(vlan + 1) > data_end)
			return XDP_PASS;
		proto = vlan->h_vlan_encapsulated_proto;
		next = vlan + 1;
	}
	switch (proto) {
	case bpf_htons(ETH_P_IP):
		break;
	default:
		return XDP_PASS;
	}
	struct iphdr *ip = next;
	if ((void *)(ip + 1) > data_end || ip->ihl < 5)
		return XDP_PASS;
	__u32 key = ip->protocol;
	__u64 *count = bpf_map_lookup_elem(&proto_count, &key);
	if (count)
		*count += 1;
	if (ip->protocol != IPPROTO_UDP)
		return XDP_PASS;
	struct udphdr *udp = (void *)ip + ip->ihl * 4;
	if ((void *)(udp + 1) > data_end)
		return XDP_PASS;
	return bpf_ntohs(udp->dest) == 53 ? XDP_DROP : XDP_PASS;
}
""" + LICENSE

SOCKET_FILTER = """
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, long);
} counts SEC(".maps");

SEC("socket")
int count_packets(struct __sk_buff *skb)
{
	__u32 key = skb->pkt_type == PACKET_HOST ? 0 : 1;
	long *value = bpf_map_lookup_elem(&counts, &key);
	if (value)
		__sync_fetch_and_add(value, skb->len);
	return skb->protocol == bpf_htons(ETH_P_IPV6) ? 0 : skb->len;
}
""" + LICENSE

TC_CLASSIFIER = """
#include <stdbool.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ipv6.h>
#include <linux/in.h>
#include <linux/icmpv6.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

static __always_inline bool is_ping6(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	struct ipv6hdr *ip6 = (void *)(eth + 1);
	struct icmp6hdr *icmp6 = (void *)(ip6 + 1);

	if ((void *)(icmp6 + 1) > data_end)
		return false;
	return eth->h_proto == bpf_htons(ETH_P_IPV6) && ip6->nexthdr == IPPROTO_ICMPV6 &&
	       icmp6->icmp6_type == ICMPV6_ECHO_REQUEST && ip6->daddr.s6_addr[15] == 1;
}

SEC("tc/ingress")
int drop_ping6(struct __sk_buff *skb)
{
	skb->mark = bpf_get_prandom_u32();
	return is_ping6(skb) ? TC_ACT_SHOT : TC_ACT_OK;
}
""" + LICENSE

KPROBE = """
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

struct filename;

SEC("kprobe/do_unlinkat")
int BPF_KPROBE(do_unlinkat, int dfd, struct filename *name)
{
	pid_t pid = bpf_get_current_pid_tgid() >> 32;
	bpf_printk("KPROBE ENTRY pid = %d, dfd = %d, name = %p", pid, dfd, name);
	return 0;
}

SEC("kretprobe/do_unlinkat")
int BPF_KRETPROBE(do_unlinkat_exit, long ret)
{
	pid_t pid = bpf_get_current_pid_tgid() >> 32;
	bpf_printk("KPROBE EXIT: pid = %d, ret = %ld", pid, ret);
	return 0;
}

SEC("ksyscall/openat")
int BPF_KSYSCALL(openat_entry, int dfd, const char *pathname, int flags)
{
	char path[64];
	bpf_probe_read_user_str(path, sizeof(path), pathname);
	bpf_printk("openat(%d, %s, %d)", dfd, path, flags);
	return 0;
}

SEC("kprobe/tcp_v4_connect")
int connect_regs(struct pt_regs *ctx)
{
	unsigned long sk = PT_REGS_PARM1(ctx), sp = PT_REGS_SP(ctx), ip = PT_REGS_IP(ctx);
	unsigned long core = PT_REGS_PARM2_CORE(ctx);
	bpf_printk("sk %lx sp %lx ip %lx", sk, sp, ip);
	return core == 0;
}
""" + LICENSE

TRACEPOINT = """
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

SEC("tracepoint/syscalls/sys_enter_execve")
int trace_execve(struct trace_event_raw_sys_enter *ctx)
{
	char comm[16];
	char filename[128];

	bpf_get_current_comm(comm, sizeof(comm));
	bpf_probe_read_user_str(filename, sizeof(filename), (const char *)ctx->args[0]);
	bpf_printk("%s execs %s (syscall %ld)", comm, filename, ctx->id);
	return 0;
}

SEC("tp/syscalls/sys_exit_execve")
int trace_execve_exit(struct trace_event_raw_sys_exit *ctx)
{
	return ctx->ret < 0;
}
""" + LICENSE

CORE = """
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>

struct event {
	pid_t pid;
	pid_t ppid;
	uid_t uid;
	char comm[16];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, pid_t);
	__type(value, struct event);
} events SEC(".maps");

SEC("tp/sched/sched_process_exec")
int handle_exec(struct trace_event_raw_sched_process_exec *ctx)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct event e = {};

	e.pid = BPF_CORE_READ(task, tgid);
	e.ppid = BPF_CORE_READ(task, real_parent, tgid);
	e.uid = BPF_CORE_READ(task, cred, uid.val);
	BPF_CORE_READ_STR_INTO(&e.comm, task, comm);
	if (bpf_core_field_exists(task->real_parent) && bpf_core_field_exists(struct task_struct, tgid)
	    && bpf_core_type_exists(struct cred))
		e.uid += bpf_core_field_size(task->comm) + bpf_core_field_offset(struct task_struct, pid)
			 + bpf_core_type_size(struct task_struct);
	if (bpf_core_enum_value_exists(enum bpf_map_type, BPF_MAP_TYPE_RINGBUF))
		e.uid += bpf_core_enum_value(enum bpf_map_type, BPF_MAP_TYPE_RINGBUF);
	e.uid += bpf_core_type_id_local(struct task_struct) + bpf_core_type_id_kernel(struct task_struct);
	bpf_map_update_elem(&events, &e.pid, &e, BPF_ANY);
	return ctx->pid == e.pid;
}
""" + LICENSE

MAPS = """
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct lpm_v4_key {
	__u32 prefixlen;
	__u8 addr[4];
};

struct inner {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} inner_a SEC(".maps"), inner_b SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 2);
	__type(key, __u32);
	__array(values, struct inner);
} outer_array SEC(".maps") = {
	.values = { [0] = &inner_a, [1] = &inner_b },
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH_OF_MAPS);
	__uint(max_entries, 8);
	__type(key, __u32);
	__array(values, struct {
		__uint(type, BPF_MAP_TYPE_HASH);
		__uint(max_entries, 16);
		__type(key, __u32);
		__type(value, __u32);
	});
} outer_hash SEC(".maps");

struct { __uint(type, BPF_MAP_TYPE_HASH); __uint(max_entries, 16); __type(key, __u32); __type(value, __u64); } hash SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 16); __type(key, __u32); __type(value, __u64); } array SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_PERCPU_HASH); __uint(max_entries, 16); __type(key, __u32); __type(value, __u64); } percpu_hash SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY); __uint(max_entries, 16); __type(key, __u32); __type(value, __u64); } percpu_array SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_LRU_HASH); __uint(max_entries, 16); __type(key, __u32); __type(value, __u64); } lru_hash SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_LRU_PERCPU_HASH); __uint(max_entries, 16); __type(key, __u32); __type(value, __u64); } lru_percpu_hash SEC(".maps");
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 16);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct lpm_v4_key);
	__type(value, __u32);
} lpm SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_QUEUE); __uint(max_entries, 16); __type(value, __u32); } queue SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_STACK); __uint(max_entries, 16); __type(value, __u32); } stack SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_RINGBUF); __uint(max_entries, 4096); } ringbuf SEC(".maps");
struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} perf SEC(".maps");
struct {
	__uint(type, BPF_MAP_TYPE_BLOOM_FILTER);
	__uint(max_entries, 64);
	__type(value, __u32);
	__uint(map_extra, 3);
} bloom SEC(".maps");
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} pinned SEC(".maps");

int leaf(void *ctx);

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__array(values, int (void *));
} jump_table SEC(".maps") = {
	.values = { [1] = (void *)&leaf },
};

SEC("xdp")
int leaf(void *ctx)
{
	return XDP_PASS;
}

SEC("xdp")
int use_maps(struct xdp_md *ctx)
{
	__u32 key = 0, value = 7;
	struct lpm_v4_key lpm_key = { .prefixlen = 32, .addr = { 10, 0, 0, 1 } };
	void *inner_map = bpf_map_lookup_elem(&outer_array, &key);
	if (inner_map)
		bpf_map_lookup_elem(inner_map, &key);
	bpf_map_lookup_elem(&outer_hash, &key);
	bpf_map_lookup_elem(&hash, &key);
	bpf_map_lookup_elem(&array, &key);
	bpf_map_lookup_elem(&percpu_hash, &key);
	bpf_map_lookup_elem(&percpu_array, &key);
	bpf_map_lookup_elem(&lru_hash, &key);
	bpf_map_lookup_elem(&lru_percpu_hash, &key);
	bpf_map_lookup_elem(&lpm, &lpm_key);
	bpf_map_lookup_elem(&pinned, &key);
	bpf_map_push_elem(&queue, &value, BPF_ANY);
	bpf_map_pop_elem(&stack, &value);
	bpf_map_peek_elem(&bloom, &value);
	bpf_ringbuf_output(&ringbuf, &value, sizeof(value), 0);
	bpf_perf_event_output(ctx, &perf, BPF_F_CURRENT_CPU, &value, sizeof(value));
	bpf_tail_call(ctx, &jump_table, 1);
	bpf_tail_call_static(ctx, &jump_table, 1);
	return XDP_PASS;
}
""" + LICENSE

RINGBUF = """
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

struct event {
	int pid;
	char comm[16];
	unsigned long long ts;
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} rb SEC(".maps");

SEC("tp/sched/sched_process_exec")
int handle_exec(void *ctx)
{
	struct event *e = bpf_ringbuf_reserve(&rb, sizeof(*e), 0);
	if (!e)
		return 0;
	e->pid = bpf_get_current_pid_tgid() >> 32;
	e->ts = bpf_ktime_get_ns();
	bpf_get_current_comm(&e->comm, sizeof(e->comm));
	if (e->pid == 1) {
		bpf_ringbuf_discard(e, 0);
		return 0;
	}
	bpf_ringbuf_submit(e, BPF_RB_FORCE_WAKEUP);
	return bpf_ringbuf_query(&rb, BPF_RB_AVAIL_DATA) > 0;
}
""" + LICENSE

GLOBAL_DATA = """
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

const volatile __u32 sample_rate = 4;        /* .rodata, set by the loader before load */
const char greeting[] = "hello";             /* .rodata */
__u64 packets = 1;                           /* .data */
__u64 histogram[8];                          /* .bss */
__u32 custom SEC(".data.custom") = 9;        /* a custom data section */
static volatile __u32 hidden_state;          /* .bss, static */

static int count_one(__u32 index, void *ctx)
{
	histogram[index & 7] += 1;
	return 0;
}

SEC("xdp")
int global_data(struct xdp_md *ctx)
{
	char buf[32];
	__u64 args[2] = { packets, sample_rate };

	packets++;
	hidden_state = ctx->rx_queue_index;
	bpf_loop(4, count_one, NULL, 0);
	bpf_snprintf(buf, sizeof(buf), "%llu/%llu", args, sizeof(args));
	BPF_SNPRINTF(buf, sizeof(buf), "%s %u %u", greeting, sample_rate, custom);
	bpf_printk("no arguments");
	bpf_printk("one %d", 1);
	bpf_printk("two %d %d", 1, 2);
	bpf_printk("three %d %d %d", 1, 2, 3);
	return packets % sample_rate ? XDP_PASS : XDP_DROP;
}
""" + LICENSE

FENTRY = """
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

SEC("fentry/do_unlinkat")
int BPF_PROG(unlink_entry, int dfd, void *name)
{
	bpf_printk("fentry: dfd = %d, name = %p", dfd, name);
	return 0;
}

SEC("raw_tp/sched_switch")
int BPF_PROG(switch_raw, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	return preempt && prev != next;
}
""" + LICENSE

BITFIELDS = """
#include <linux/bpf.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

SEC("socket")
int bitfields(struct __sk_buff *skb)
{
	struct iphdr ip = {};
	struct tcphdr tcp = {};
	__u64 ihl = BPF_CORE_READ_BITFIELD_PROBED(&ip, ihl);
	__u64 syn = BPF_CORE_READ_BITFIELD(&tcp, syn);

	BPF_CORE_WRITE_BITFIELD(&tcp, doff, 5);
	return ihl + syn + tcp.doff + skb->len;
}
""" + LICENSE

PROGRAMS = {
    "xdp_parse": (XDP_PARSE, {"xdp"}, {"bpf_map_lookup_elem"}, {"proto_count"}, False),
    "socket_filter": (SOCKET_FILTER, {"socket"}, {"bpf_map_lookup_elem"}, {"counts"}, False),
    "tc_classifier": (TC_CLASSIFIER, {"tc/ingress"}, {"bpf_get_prandom_u32"}, set(), False),
    "kprobe": (KPROBE, {"kprobe/do_unlinkat", "kretprobe/do_unlinkat", "ksyscall/openat",
                        "kprobe/tcp_v4_connect", ".rodata"},
               {"bpf_get_current_pid_tgid", "bpf_trace_printk", "bpf_probe_read_user_str",
                "bpf_probe_read_kernel"}, set(), True),
    "tracepoint": (TRACEPOINT, {"tracepoint/syscalls/sys_enter_execve",
                                "tp/syscalls/sys_exit_execve"},
                   {"bpf_get_current_comm", "bpf_probe_read_user_str", "bpf_trace_printk"},
                   set(), True),
    "core": (CORE, {"tp/sched/sched_process_exec"},
             {"bpf_get_current_task", "bpf_probe_read_kernel", "bpf_probe_read_kernel_str",
              "bpf_map_update_elem"}, {"events"}, True),
    "maps": (MAPS, {"xdp", ".maps"},
             {"bpf_map_lookup_elem", "bpf_map_push_elem", "bpf_map_pop_elem",
              "bpf_map_peek_elem", "bpf_ringbuf_output", "bpf_perf_event_output",
              "bpf_tail_call"},
             {"inner_a", "inner_b", "outer_array", "outer_hash", "hash", "array", "percpu_hash",
              "percpu_array", "lru_hash", "lru_percpu_hash", "lpm", "queue", "stack", "ringbuf",
              "perf", "bloom", "pinned", "jump_table"}, False),
    "ringbuf": (RINGBUF, {"tp/sched/sched_process_exec"},
                {"bpf_ringbuf_reserve", "bpf_ringbuf_submit", "bpf_ringbuf_discard",
                 "bpf_ringbuf_query", "bpf_ktime_get_ns", "bpf_get_current_comm"}, {"rb"}, False),
    "global_data": (GLOBAL_DATA, {"xdp", ".rodata", ".data", ".bss", ".data.custom"},
                    {"bpf_loop", "bpf_snprintf", "bpf_trace_printk"}, set(), False),
    "fentry": (FENTRY, {"fentry/do_unlinkat", "raw_tp/sched_switch"}, {"bpf_trace_printk"},
               set(), False),
    "bitfields": (BITFIELDS, {"socket"}, {"bpf_probe_read_kernel"}, set(), True),
}


def elf(obj: bytes) -> ELFFile:
    return ELFFile(io.BytesIO(obj))


def helper_calls(elf_file: ELFFile) -> set[int]:
    """Helper ids called anywhere in the object's executable sections."""
    ids = set()
    for section in elf_file.iter_sections():
        if not section["sh_flags"] & 0x4:   # SHF_EXECINSTR
            continue
        code = section.data()
        pc = 0
        while pc + 8 <= len(code):
            opcode, regs, _off, imm = struct.unpack_from("<BBhi", code, pc)
            if opcode == 0x85 and regs >> 4 == 0:
                ids.add(imm)
            pc += 16 if opcode == 0x18 else 8
    return ids


def core_relocation_bytes(elf_file: ELFFile) -> int:
    """Length of the CO-RE relocation part of .BTF.ext (0 when there is none)."""
    section = elf_file.get_section_by_name(".BTF.ext")
    if section is None:
        return 0
    data = section.data()
    magic, _version, _flags, hdr_len = struct.unpack_from("<HBBI", data)
    assert magic == 0xEB9F
    return struct.unpack_from("<I", data, 28)[0] if hdr_len >= 32 else 0


def symbols_in(elf_file: ELFFile, section_name: str) -> set[str]:
    index = next(i for i, s in enumerate(elf_file.iter_sections()) if s.name == section_name)
    return {s.name for s in elf_file.get_section_by_name(".symtab").iter_symbols()
            if s["st_shndx"] == index and s["st_info"]["type"] == "STT_OBJECT"}


def compiled(name: str, *flags: str, driver=None):
    source = PROGRAMS[name][0]
    result = compile_c(source, *PROGRAM_WARNINGS, *flags, **({"driver": driver} if driver else {}))
    assert result.ok and result.stderr == "", result.stderr
    return elf(result.objects["prog.c"])


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_libbpf_style_programs_compile_without_warnings(name):
    _source, sections, helpers, maps, uses_core = PROGRAMS[name]
    obj = compiled(name)
    assert sections | {".BTF", ".BTF.ext", "license"} <= {s.name for s in obj.iter_sections()}
    assert {HELPER_IDS[h] for h in helpers} <= helper_calls(obj)
    if maps:
        assert symbols_in(obj, ".maps") == maps
    assert (core_relocation_bytes(obj) > 0) == uses_core


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_libbpf_style_programs_compile_with_zig_cc(name):
    compiled(name, driver=ZIG_CC)


@pytest.mark.parametrize("mcpu", ["v1", "v2", "v3", "v4"])
def test_the_programs_compile_for_every_cpu_version(mcpu):
    for name in ["xdp_parse", "core", "maps", "global_data"]:
        compiled(name, f"-mcpu={mcpu}")


def test_every_call_is_to_a_helper_the_playground_implements():
    for name in PROGRAMS:
        assert helper_calls(compiled(name)) <= set(PROTOTYPES), name


def test_bpf_printk_picks_trace_vprintk_for_more_than_three_arguments():
    source = ("#include <linux/bpf.h>\n#include <bpf/bpf_helpers.h>\n"
              "SEC(\"xdp\") int many(void *ctx)\n"
              "{\n\tbpf_printk(\"%d %d %d %d\", 1, 2, 3, 4);\n\treturn 0;\n}\n" + LICENSE)
    result = compile_c(source, *PROGRAM_WARNINGS)
    vprintk = HELPER_IDS["bpf_trace_vprintk"]
    if vprintk in PROTOTYPES:
        assert result.ok and vprintk in helper_calls(elf(result.objects["prog.c"]))
    else:  # the playground does not implement it: the program cannot call it
        assert not result.ok and "bpf_trace_vprintk" in result.stderr


def test_bpf_tail_call_static_with_a_variable_slot_becomes_a_trap():
    # __bpf_unreachable() is __builtin_trap(), which clang 22 turns into a call of the
    # __bpf_trap kfunc: the variable-slot tail call itself is never emitted.
    source = ("#include <linux/bpf.h>\n#include <bpf/bpf_helpers.h>\n"
              "struct { __uint(type, BPF_MAP_TYPE_PROG_ARRAY); __uint(max_entries, 2);\n"
              "\t__type(key, __u32); __type(value, __u32); } jumps SEC(\".maps\");\n"
              "SEC(\"xdp\") int jump(struct xdp_md *ctx)\n"
              "{\n\tbpf_tail_call_static(ctx, &jumps, ctx->rx_queue_index);\n\treturn 0;\n}\n"
              + LICENSE)
    result = compile_c(source)
    assert result.ok, result.stderr
    obj = elf(result.objects["prog.c"])
    undefined = {s.name for s in obj.get_section_by_name(".symtab").iter_symbols()
                 if s["st_shndx"] == "SHN_UNDEF" and s.name}
    assert "__bpf_trap" in undefined
    assert HELPER_IDS["bpf_tail_call"] not in helper_calls(obj)


def test_vmlinux_h_programs_see_kernel_register_names_and_uapi_ones_the_users():
    probe = ('#include <bpf/bpf_helpers.h>\n#include <bpf/bpf_tracing.h>\n'
             'SEC("kprobe/f") int f(struct pt_regs *ctx) { return PT_REGS_PARM1(ctx) + PT_REGS_RC(ctx); }\n'
             + LICENSE)
    kernel_names = compile_c('#include "vmlinux.h"\n' + probe, *PROGRAM_WARNINGS)
    uapi_names = compile_c("#include <linux/bpf.h>\n" + probe, *PROGRAM_WARNINGS)
    assert kernel_names.ok and uapi_names.ok, kernel_names.stderr + uapi_names.stderr


# -- in the live kernel ------------------------------------------------------------------------

NETWORK = """
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <linux/in.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

SEC("xdp")
int classify(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);

	if ((void *)(ip + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	if (ip->version != 4 || ip->ihl != 5)
		return XDP_ABORTED;
	if (ip->protocol == IPPROTO_UDP) {
		struct udphdr *udp = (void *)(ip + 1);
		if ((void *)(udp + 1) > data_end)
			return XDP_PASS;
		return udp->dest == bpf_htons(53) ? XDP_DROP : XDP_PASS;
	}
	if (ip->protocol == IPPROTO_TCP) {
		struct tcphdr *tcp = (void *)(ip + 1);
		if ((void *)(tcp + 1) > data_end)
			return XDP_PASS;
		if (tcp->syn && !tcp->ack && tcp->doff == 5)
			return XDP_TX;
	}
	return XDP_PASS;
}

SEC("tc")
int stamp(struct __sk_buff *skb)
{
	skb->mark = skb->len;
	skb->priority = skb->protocol;
	skb->cb[0] = skb->data_end - skb->data;
	skb->tstamp = 123456789;
	return TC_ACT_OK;
}

SEC("socket")
int keep(struct __sk_buff *skb)
{
	return skb->protocol == bpf_htons(ETH_P_IP) ? skb->len : 7;
}
""" + LICENSE

ETH = b"\x02" * 6 + b"\x04" * 6 + b"\x08\x00"


def ipv4(protocol: int, payload: bytes) -> bytes:
    header = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 1, 0, 64, protocol, 0,
                         bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2]))
    return ETH + header + payload


def tcp(flags: int) -> bytes:
    return ipv4(6, struct.pack("!HHIIBBHHH", 1234, 80, 1, 0, 5 << 4, flags, 1000, 0, 0))


UDP_DNS = ipv4(17, struct.pack("!HHHH", 1234, 53, 8, 0))
TCP_SYN, TCP_ACK = tcp(0x02), tcp(0x10)


@pytest.fixture(scope="module")
def network_object():
    available, why = kernel.available()
    if not available:
        pytest.skip(f"the kernel cannot serve as the oracle: {why}")
    result = compile_c(NETWORK, *PROGRAM_WARNINGS)
    assert result.ok and result.stderr == "", result.stderr
    return elf(result.objects["prog.c"])


def load(obj: ELFFile, section: str, prog_type: kernel.ProgType, kernel_comparisons) -> int:
    assert obj.get_section_by_name(".rel" + section) is None, "needs no relocation"
    loaded = kernel.prog_load(obj.get_section_by_name(section).data(), prog_type)
    assert loaded.ok, loaded.log
    kernel_comparisons()   # the verifier accepted the field accesses our headers compiled to
    return loaded.fd


@pytest.mark.kernel
def test_an_xdp_parser_built_on_the_headers_classifies_as_the_packets_say(network_object,
                                                                          kernel_comparisons):
    fd = load(network_object, "xdp", kernel.ProgType.XDP, kernel_comparisons)
    try:
        for packet, action in [(UDP_DNS, 1), (TCP_SYN, 3), (TCP_ACK, 2)]:  # DROP, TX, PASS
            assert kernel.test_run(fd, packet).retval == action
            kernel_comparisons()
    finally:
        kernel.close(fd)


@pytest.mark.kernel
def test_a_tc_program_writes_the_sk_buff_fields_it_names(network_object, kernel_comparisons):
    from tests.test_headers_layout import flatten, kernel_aggregates, kernel_btf
    skb = flatten(kernel_btf(), kernel_aggregates()[("struct", "__sk_buff")])
    fd = load(network_object, "tc", kernel.ProgType.SCHED_CLS, kernel_comparisons)
    try:
        out = kernel.test_run(fd, UDP_DNS, ctx=bytes(192), ctx_out_size=192).ctx_out
    finally:
        kernel.close(fd)

    def field(path: str, size: int = 4) -> int:
        return int.from_bytes(out[skb[path][0] // 8:][:size], "little")

    assert field("mark") == len(UDP_DNS)                              # skb->len
    assert field("priority") == int.from_bytes(b"\x08\x00", "little")  # skb->protocol, big-endian
    assert field("cb") == len(UDP_DNS)                                # data_end - data
    assert field("tstamp", 8) == 123456789
    kernel_comparisons(4)


@pytest.mark.kernel
def test_a_socket_filter_reads_the_sk_buff_fields_it_names(network_object, kernel_comparisons):
    fd = load(network_object, "socket", kernel.ProgType.SOCKET_FILTER, kernel_comparisons)
    try:
        # a socket filter sees the packet from the network header on
        assert kernel.test_run(fd, UDP_DNS).retval == len(UDP_DNS) - 14
        kernel_comparisons()
    finally:
        kernel.close(fd)
