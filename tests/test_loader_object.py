"""Whole objects in the live kernel (``kernel_load_object``), against the engine running the same spec.

The object here is an XDP dispatcher: it tail-calls one program per IP
protocol through a program array initialised in C (``__array(values, ...) =
{ [IPPROTO_TCP] = &handle_tcp, ... }``), as libbpf fills it after loading
every program. ``BPF_PROG_TEST_RUN`` on TCP, UDP, ICMP and GRE packets and
the engine's run of the same spec (maps from ``instantiate_maps`` with the
programs in the array's slots, packets through ``ProgramInstance``) must give
the same verdicts, the same packets out and the same map contents. The test
process is pinned to one CPU, which the engine's events name too, so per-CPU
maps compare slot for slot. Comparisons count with ``kernel_comparisons``;
without a usable bpf() the tests skip (a failure under CI=true).
"""

from __future__ import annotations

import os
import struct

import pytest

from tests.loader_cc import compile_with_headers
from vm_service import kernel
from vm_service.events import EventInput
from vm_service.inputs.builder import build_packet
from vm_service.loader import MapSlot, instantiate_maps, load_object
from vm_service.loader.errors import KernelLoadError
from vm_service.loader.kernel_load import kernel_load_object
from vm_service.program import Program
from vm_service.runner import ProgramInstance

pytestmark = pytest.mark.kernel

AVAILABLE, WHY = kernel.available()

XDP_ABORTED, XDP_DROP, XDP_PASS, XDP_TX = 0, 1, 2, 3

DISPATCHER = r"""
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/in.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <linux/icmp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct proto_stats {
	__u64 packets;
	__u64 bytes;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 256);
	__type(key, __u32);
	__type(value, struct proto_stats);
} stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u64);
} ports SEC(".maps");

const volatile __u16 blocked_udp_port = 53;
__u64 dispatched;
__u64 unhandled;

/* The IPv4 header of the packet, or NULL; every program parses for itself. */
static __always_inline struct iphdr *ipv4_of(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);

	if ((void *)(ip + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP) || ip->ihl != 5)
		return NULL;
	return ip;
}

static __always_inline void account(struct xdp_md *ctx, __u32 proto, __u32 port)
{
	struct proto_stats *s = bpf_map_lookup_elem(&stats, &proto);
	__u64 one = 1, *seen;

	if (s) {
		s->packets += 1;
		s->bytes += ctx->data_end - ctx->data;
	}
	seen = bpf_map_lookup_elem(&ports, &port);
	if (seen)
		__sync_fetch_and_add(seen, 1);
	else
		bpf_map_update_elem(&ports, &port, &one, BPF_NOEXIST);
}

SEC("xdp")
int handle_tcp(struct xdp_md *ctx)
{
	void *data_end = (void *)(long)ctx->data_end;
	struct iphdr *ip = ipv4_of(ctx);
	struct tcphdr *tcp;

	if (!ip)
		return XDP_ABORTED;
	tcp = (void *)(ip + 1);
	if ((void *)(tcp + 1) > data_end)
		return XDP_DROP;
	account(ctx, IPPROTO_TCP, bpf_ntohs(tcp->dest));
	return tcp->syn && !tcp->ack ? XDP_TX : XDP_PASS;
}

SEC("xdp")
int handle_udp(struct xdp_md *ctx)
{
	void *data_end = (void *)(long)ctx->data_end;
	struct iphdr *ip = ipv4_of(ctx);
	struct udphdr *udp;

	if (!ip)
		return XDP_ABORTED;
	udp = (void *)(ip + 1);
	if ((void *)(udp + 1) > data_end)
		return XDP_DROP;
	account(ctx, IPPROTO_UDP, bpf_ntohs(udp->dest));
	return bpf_ntohs(udp->dest) == blocked_udp_port ? XDP_DROP : XDP_PASS;
}

/* Echo requests are answered in place: addresses swapped, type and checksum fixed. */
SEC("xdp")
int handle_icmp(struct xdp_md *ctx)
{
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = (void *)(long)ctx->data;
	struct iphdr *ip = ipv4_of(ctx);
	struct icmphdr *icmp;
	unsigned char mac[ETH_ALEN];
	__be32 addr;
	__u32 sum;

	if (!ip)
		return XDP_ABORTED;
	icmp = (void *)(ip + 1);
	if ((void *)(icmp + 1) > data_end)
		return XDP_DROP;
	account(ctx, IPPROTO_ICMP, icmp->type);
	if (icmp->type != ICMP_ECHO)
		return XDP_PASS;
	__builtin_memcpy(mac, eth->h_dest, ETH_ALEN);
	__builtin_memcpy(eth->h_dest, eth->h_source, ETH_ALEN);
	__builtin_memcpy(eth->h_source, mac, ETH_ALEN);
	addr = ip->saddr;
	ip->saddr = ip->daddr;
	ip->daddr = addr;
	icmp->type = ICMP_ECHOREPLY;
	sum = icmp->checksum + bpf_htons(ICMP_ECHO << 8);
	icmp->checksum = sum + (sum >> 16);
	return XDP_TX;
}

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 256);
	__uint(key_size, sizeof(__u32));
	__array(values, int (void *));
} by_protocol SEC(".maps") = {
	.values = {
		[IPPROTO_ICMP] = (void *)&handle_icmp,
		[IPPROTO_TCP] = (void *)&handle_tcp,
		[IPPROTO_UDP] = (void *)&handle_udp,
	},
};

SEC("xdp")
int dispatch(struct xdp_md *ctx)
{
	struct iphdr *ip = ipv4_of(ctx);

	if (!ip)
		return XDP_PASS;
	__sync_fetch_and_add(&dispatched, 1);
	bpf_tail_call(ctx, &by_protocol, ip->protocol);
	__sync_fetch_and_add(&unhandled, 1);
	return XDP_DROP;
}

char LICENSE[] SEC("license") = "GPL";
"""

# (packet, the verdict only the protocol's own program gives)
PACKETS = [
    ({"ipv4": {}, "tcp": {"dport": 22, "flags": "S"}}, XDP_TX),
    ({"ipv4": {}, "tcp": {"dport": 80, "flags": "A"}, "payload": "GET /"}, XDP_PASS),
    ({"ipv4": {}, "udp": {"dport": 53}, "payload": "query"}, XDP_DROP),
    ({"ipv4": {}, "udp": {"dport": 123}}, XDP_PASS),
    ({"ipv4": {}, "icmp": {"type": 8}, "payload": "ping"}, XDP_TX),
    ({"ipv4": {}, "icmp": {"type": 3}}, XDP_PASS),
    ({"ipv4": {"proto": 47}, "payload": "gre!"}, XDP_DROP),      # no program: falls through
    ({"ipv6": {}, "udp": {"dport": 53}}, XDP_PASS),               # not IPv4: no tail call
    ({"ipv4": {}, "tcp": {"dport": 22, "flags": "S"}}, XDP_TX),
]


@pytest.fixture(autouse=True)
def bpf_works():
    if not AVAILABLE:
        pytest.skip(f"the kernel cannot serve as the oracle: {WHY}")


@pytest.fixture
def one_cpu():
    """Pin this process to one CPU (restored after): test runs update that CPU's slots."""
    before = os.sched_getaffinity(0)
    cpu = min(before)
    os.sched_setaffinity(0, {cpu})
    yield cpu
    os.sched_setaffinity(0, before)


@pytest.fixture(scope="module")
def dispatcher():
    return load_object(compile_with_headers(DISPATCHER), name="dispatch.bpf.o")


def engine(spec, cpu: int):
    """The spec in the engine: one Program per ProgramSpec, the array's slots holding them."""
    programs = {p.name: Program.from_bytes(p.code) for p in spec.programs}
    maps = instantiate_maps(spec, program=programs.__getitem__, ncpus=kernel.possible_cpus())
    return ProgramInstance(programs["dispatch"], "xdp", maps=maps), maps


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def test_the_dispatcher_tail_calls_alike_in_the_kernel_and_the_engine(dispatcher, one_cpu,
                                                                      kernel_comparisons):
    instance, maps = engine(dispatcher, one_cpu)
    with kernel_load_object(dispatcher) as loaded:
        assert set(loaded.prog_fds) == {"dispatch", "handle_tcp", "handle_udp", "handle_icmp"}
        for description, verdict in PACKETS:
            packet = build_packet(description)
            theirs = kernel.test_run(loaded.prog_fds["dispatch"], packet)
            ours = instance.run_event(EventInput(packet=packet, cpu=one_cpu))
            assert theirs.retval == verdict, description
            assert ours.exit["kind"] == "exit", ours.exit
            assert (ours.r0 & 0xFFFF_FFFF, ours.packet_out) == (theirs.retval, theirs.data_out)
            kernel_comparisons()
        for index, map_def in enumerate(dispatcher.maps):
            if map_def.type == "prog_array":      # the kernel answers program ids: keys only
                assert [k for k, _ in loaded.map_items(index)] == [k for k, _ in maps[index].items()]
            else:
                assert sorted(loaded.map_items(index)) == sorted(maps[index].items()), map_def.name
            kernel_comparisons()
        bss = dict(loaded.map_items("dispatch.bss"))[bytes(4)]
        assert struct.unpack("<QQ", bss) == (8, 1)             # 8 dispatched, 1 unhandled


def test_program_array_slots_hold_the_objects_programs(dispatcher, kernel_comparisons):
    with kernel_load_object(dispatcher) as loaded:
        slots = dict(loaded.map_items("by_protocol"))
        assert sorted(int.from_bytes(k, "little") for k in slots) == [1, 6, 17]
        assert len(set(slots.values())) == 3                  # three distinct program ids
        kernel_comparisons()


def test_per_cpu_maps_read_back_every_cpus_value(dispatcher, one_cpu, kernel_comparisons):
    with kernel_load_object(dispatcher) as loaded:
        kernel.test_run(loaded.prog_fds["dispatch"], build_packet({"ipv4": {}, "udp": {"dport": 9}}))
        values = dict(loaded.map_items("stats"))
        udp = values[(17).to_bytes(4, "little")]
        assert len(udp) == 16 * kernel.possible_cpus()
        per_cpu = [struct.unpack_from("<QQ", udp, 16 * cpu) for cpu in range(kernel.possible_cpus())]
        assert per_cpu[one_cpu][0] == 1 and sum(p for p, _ in per_cpu) == 1
        kernel_comparisons()


REJECTED = r"""
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} counts SEC(".maps");

SEC("xdp") int fine(struct xdp_md *ctx) { return XDP_PASS; }

SEC("xdp") int unchecked(struct xdp_md *ctx)
{
	__u32 key = 0;
	__u64 *value = bpf_map_lookup_elem(&counts, &key);
	return *value;            /* no NULL check: the verifier refuses this */
}

char LICENSE[] SEC("license") = "GPL";
"""


def test_a_rejected_program_raises_the_verifiers_log_and_closes_everything(kernel_comparisons):
    spec = load_object(compile_with_headers(REJECTED))
    before = open_fds()
    with pytest.raises(kernel.KernelError) as raised:
        kernel_load_object(spec)
    assert "'unchecked'" in str(raised.value)
    assert "invalid mem access 'map_value_or_null'" in raised.value.log
    assert open_fds() == before
    kernel_comparisons()


def test_closing_the_object_closes_every_fd(dispatcher):
    before = open_fds()
    loaded = kernel_load_object(dispatcher)
    assert open_fds() == before + len(dispatcher.maps) + len(dispatcher.programs)
    loaded.close()
    assert open_fds() == before and loaded.prog_fds == {} and loaded.map_fds == []


def test_a_program_without_a_type_is_refused_before_anything_is_created(dispatcher):
    spec = type(dispatcher).from_dict(dispatcher.to_dict())
    spec.programs[0].prog_type = None
    before = open_fds()
    with pytest.raises(KernelLoadError, match="needs a program type"):
        kernel_load_object(spec)
    assert open_fds() == before


def test_a_slot_naming_no_program_is_refused_and_everything_closed(dispatcher):
    spec = type(dispatcher).from_dict(dispatcher.to_dict())
    spec.maps[spec.map_index("by_protocol")].slots.append(MapSlot(2, "program", "handle_gre"))
    before = open_fds()
    with pytest.raises(KernelLoadError, match="'handle_gre', which is not a program"):
        kernel_load_object(spec)
    assert open_fds() == before
