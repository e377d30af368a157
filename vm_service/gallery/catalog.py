"""The gallery's examples as data: what each one shows, its inputs, and the kernel's results.

Packets are written as packet-builder specs (``vm_service.inputs.build_packet``,
documented in ``docs/formats.md``); events and map seeds use the EVENTS.json and
MAPS.json shapes. ``expected_r0`` holds each event's return value as the kernel
answered it under BPF_PROG_TEST_RUN; for kprobes and tracepoints, which it cannot
test-run, as the C source says (the kernel still has to load them).
``vm_service.gallery.oracle`` compares packets out and map contents with the
kernel directly.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

from ..inputs import build_packet

EXAMPLES_DIR = Path(__file__).resolve().parent / "examples"

XDP_ABORTED, XDP_DROP, XDP_PASS = 0, 1, 2
TC_ACT_OK = 0

ETH = {"src": "02:00:00:00:00:01", "dst": "02:00:00:00:00:02"}


def udp(dport: int, payload: str = "hello", src: str = "10.0.0.1", sport: int = 40000) -> dict:
    return {"packet": {"eth": ETH, "ipv4": {"src": src, "dst": "10.0.0.2"},
                       "udp": {"sport": sport, "dport": dport}, "payload": payload}}


def tcp(dport: int, payload: str = "", src: str = "10.0.0.1", sport: int = 40000) -> dict:
    return {"packet": {"eth": ETH, "ipv4": {"src": src, "dst": "10.0.0.2"},
                       "tcp": {"sport": sport, "dport": dport, "flags": "S"},
                       "payload": payload}}


def icmp(src: str = "10.0.0.1") -> dict:
    return {"packet": {"eth": ETH, "ipv4": {"src": src, "dst": "10.0.0.2"},
                       "icmp": {"type": 8, "code": 0, "id": 1, "seq": 1}, "payload": "ping"}}


def ipv6_udp(vlans: tuple[int, ...] = ()) -> dict:
    packet = {"eth": ETH, "ipv6": {"src": "fd00::1", "dst": "fd00::2"},
              "udp": {"sport": 1000, "dport": 2000}, "payload": "six"}
    if vlans:
        packet["vlan"] = vlan_tags(vlans)
    return {"packet": packet}


def ipv4_udp_vlan(vlans: tuple[int, ...]) -> dict:
    event = udp(7)
    event["packet"]["vlan"] = vlan_tags(vlans)
    return event


def vlan_tags(vlans: tuple[int, ...]) -> dict | list[dict]:
    """The builder's VLAN key: one 802.1Q tag, or a list of two (QinQ)."""
    tags = [{"id": vlan} for vlan in vlans]
    return tags[0] if len(tags) == 1 else tags


def bad_ipv4_checksum() -> dict:
    """A UDP packet whose IPv4 header checksum is wrong (its bytes flipped)."""
    data = bytearray(build_packet({"eth": ETH, "ipv4": {"src": "10.0.0.1", "dst": "10.0.0.2"},
                                   "udp": {"sport": 1, "dport": 2}, "payload": "bad"}))
    data[24] ^= 0xFF   # Ethernet (14) + 10: the IPv4 header checksum
    return {"packet_hex": data.hex()}


@dataclass(frozen=True)
class Example:
    """One gallery entry. ``verdict`` is the kernel verifier's: "accepted" or "rejected"."""

    slug: str
    title: str
    summary: str
    prog_type: str                 # the kernel's name: xdp, socket_filter, sched_cls, kprobe...
    program: str                   # the function to run (a file may hold several programs)
    events: list[dict] = field(default_factory=list)
    maps: list[dict] = field(default_factory=list)        # MAPS.json-style seeds, by name
    expected_r0: list[int] = field(default_factory=list)  # per event, as the kernel returned
    verdict: str = "accepted"
    rejection: str = ""            # a phrase of the kernel's verifier log, for rejected ones
    test_run: bool = True          # can BPF_PROG_TEST_RUN run this type? (not kprobes, tracepoints)

    @property
    def file(self) -> Path:
        return EXAMPLES_DIR / f"{self.slug}.c"

    def to_dict(self) -> dict:
        return asdict(self)


def source_of(example: Example) -> str:
    return example.file.read_text()


EXAMPLES: tuple[Example, ...] = (
    Example("xdp_drop_all", "XDP: drop everything",
            "The smallest XDP program: every packet is dropped.",
            "xdp", "xdp_drop_all", events=[udp(53), tcp(80)],
            expected_r0=[1, 1]),
    Example("sock_example", "Count packets per IP protocol",
            "The kernel's classic sock_example: a socket filter counting protocols in an array.",
            "socket_filter", "count_protocols", events=[udp(53), tcp(80), icmp(), udp(123)],
            expected_r0=[0, 0, 0, 0]),
    Example("xdp_drop_dns", "Drop DNS queries",
            "Parse Ethernet, IPv4 and UDP with bounds checks; drop UDP port 53.",
            "xdp", "xdp_drop_dns", events=[udp(53), udp(80), tcp(53), ipv6_udp()],
            expected_r0=[1, 2, 2, 2]),
    Example("magic_token_filter", "Admit only packets carrying a magic token",
            "A socket filter keeping UDP packets whose payload ends in \"BPF!\" (the idea of "
            "Cloudflare's Magic Firewall).",
            "socket_filter", "magic_token",
            events=[udp(9000, "hello BPF!"), udp(9000, "hello"), tcp(9000, "hello BPF!")],
            expected_r0=[38, 0, 0]),
    Example("kprobe_open", "Print the files processes open",
            "A kprobe on do_sys_openat2 copying the file name with bpf_probe_read_user_str.",
            "kprobe", "trace_open", test_run=False,
            events=[{"args": [-100, "0x7ffc00001000"], "task": {"pid": 4242, "tgid": 4242,
                                                             "comm": "cat"},
                     "memory": [{"addr": "0x7ffc00001000",
                                 "hex": "/etc/hostname\0".encode().hex()}]}],
            expected_r0=[0]),
    Example("execve_per_uid", "Count execve per user",
            "A syscall tracepoint counting execve calls per uid in a hash map.",
            "tracepoint", "count_execve", test_run=False,
            events=[{"args": [59], "task": {"uid": 1000, "gid": 1000, "comm": "bash"}},
                    {"args": [59], "task": {"uid": 1000, "gid": 1000, "comm": "bash"}},
                    {"args": [59], "task": {"uid": 0, "gid": 0, "comm": "sudo"}}],
            expected_r0=[0, 0, 0]),
    Example("tail_call_dispatch", "Dispatch by protocol with tail calls",
            "An XDP dispatcher tail-calling one program per IP protocol through a prog_array.",
            "xdp", "dispatch", events=[tcp(80), udp(53), icmp()],
            expected_r0=[2, 1, 2]),
    Example("bpf2bpf_checksum", "Verify IPv4 checksums in a BPF function",
            "A __noinline bpf-to-bpf function computing the IPv4 header checksum.",
            "xdp", "check_ipv4", events=[udp(53), bad_ipv4_checksum()],
            expected_r0=[2, 1]),
    Example("ringbuf_events", "Events through a ring buffer",
            "Reserve, fill and submit one ring-buffer record per packet.",
            "xdp", "packet_events", events=[udp(53), tcp(443)],
            expected_r0=[2, 2]),
    Example("lpm_allowlist", "An allow-list of IPv4 prefixes",
            "A longest-prefix-match trie of allowed source networks, seeded from user space.",
            "xdp", "allow_listed",
            maps=[{"name": "allowed", "entries": [
                {"key_hex": "08000000" "0a000000", "value_hex": "00000000"},
                {"key_hex": "18000000" "c0a80100", "value_hex": "00000000"}]}],
            events=[udp(53, src="10.1.2.3"), udp(53, src="192.168.2.1"),
                    udp(53, src="192.168.1.7")],
            expected_r0=[2, 1, 2]),
    Example("lru_conntrack", "A connection table in an LRU hash",
            "A tc classifier counting packets and bytes per flow; the LRU map evicts old flows.",
            "sched_cls", "track_flows",
            events=[udp(53, sport=1000 + n % 6) for n in range(9)],
            expected_r0=[0, 0, 0, 0, 0, 0, 0, 0, 0]),
    Example("percpu_counters", "Per-CPU counters",
            "Packet and byte counters in a per-CPU array: no atomics needed.",
            "xdp", "count_per_cpu", events=[udp(53), tcp(80, "x" * 100)],
            expected_r0=[2, 2]),
    Example("vlan_loop", "Skip VLAN tags with a bounded loop",
            "A loop the verifier can bound, skipping up to four VLAN tags; IPv6 is dropped.",
            "xdp", "skip_vlans",
            events=[ipv6_udp(), ipv4_udp_vlan((10,)), ipv6_udp((10, 20)), udp(7)],
            expected_r0=[1, 2, 1, 2]),
    Example("rodata_config", "Configuration in .rodata",
            "const volatile globals set by the loader and frozen; a counter in .bss.",
            "xdp", "block_port", events=[udp(9), udp(10), udp(9)],
            expected_r0=[1, 2, 1]),
    Example("reject_missing_null_check", "Rejected: no NULL check after a lookup",
            "Dereferencing bpf_map_lookup_elem's result before checking it for NULL.",
            "xdp", "missing_null_check", verdict="rejected",
            rejection="invalid mem access 'map_value_or_null'"),
    Example("reject_no_bounds_check", "Rejected: packet access without a bounds check",
            "Reading the packet before comparing against data_end.",
            "xdp", "no_bounds_check", verdict="rejected", rejection="invalid access to packet"),
    Example("uninit_stack_read", "Uninitialised stack: accepted as root",
            "A partly initialised struct used as a map key: root may read uninitialised stack, "
            "other users may not.",
            "xdp", "uninit_read", events=[udp(53)],
            expected_r0=[2]),
    Example("reject_unreleased_ringbuf", "Rejected: a ring-buffer record never submitted",
            "A path that returns while still holding a bpf_ringbuf_reserve() reference.",
            "xdp", "unreleased_record", verdict="rejected", rejection="Unreleased reference"),
    Example("reject_unbounded_index", "Rejected: an index not bounded to the array",
            "An array index read from the packet, used without checking it against the size.",
            "xdp", "unbounded_index", verdict="rejected",
            rejection="max value is outside of the allowed memory range"),
)

_BY_SLUG = {example.slug: example for example in EXAMPLES}


def example(slug: str) -> Example:
    """The example named ``slug``; KeyError naming the known ones if there is none."""
    try:
        return _BY_SLUG[slug]
    except KeyError:
        raise KeyError(f"no gallery example {slug!r}; there are: {', '.join(_BY_SLUG)}") from None
