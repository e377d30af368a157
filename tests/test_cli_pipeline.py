"""The pipeline subcommands: compile, load and run of C, objects and bytecode over events."""

from __future__ import annotations

import json
import subprocess
import sys

import dpkt
import pytest

from tests.conformance_data import REPO_ROOT
from vm_service.gallery import example
from vm_service.inputs import build_packet

UDP_53 = build_packet({"ipv4": {}, "udp": {"dport": 53}, "payload": "query"}).hex()
UDP_80 = build_packet({"ipv4": {}, "udp": {"dport": 80}, "payload": "web"}).hex()
TCP_80 = build_packet({"ipv4": {}, "tcp": {"dport": 80, "flags": "S"}}).hex()

COUNT_AND_PASS = """
    r1 = map[id:0]
    r2 = r10
    r2 += -4
    *(u32 *)(r10 - 4) = 0
    call 1
    if r0 == 0 goto out
    r1 = 1
    lock *(u64 *)(r0 + 0) += r1
out:
    r0 = 2
    exit
"""
COUNTER_MAPS = {"maps": [{"type": "array", "key_size": 4, "value_size": 8, "max_entries": 1,
                          "entries": [{"key_hex": "00000000", "value_hex": "0a00000000000000"}]}]}


def python_m(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "vm_service", *args], capture_output=True,
                          text=True, cwd=REPO_ROOT, timeout=120)


@pytest.fixture
def files(tmp_path):
    def write(name: str, content: str | bytes) -> str:
        path = tmp_path / name
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
        return str(path)
    return write


@pytest.fixture
def dns_source(files):
    return files("dns.c", example("xdp_drop_dns").file.read_text())


def test_compile_writes_the_object_beside_the_source_and_reports_json(dns_source):
    result = python_m("compile", dns_source, "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["ok"] is True and report["diagnostics"] == []
    assert report["toolchain"].startswith("clang ")
    obj = dns_source[:-2] + ".o"
    assert report["output"] == obj
    with open(obj, "rb") as handle:
        assert handle.read(4) == b"\x7fELF"


def test_a_compile_error_is_a_diagnostic_exit_2_and_no_object(files):
    source = files("bad.c", "int f(void) {\n  return x;\n}\n")
    result = python_m("compile", source, "--json")
    assert result.returncode == 2
    report = json.loads(result.stdout)
    assert report["ok"] is False and report["output"] is None
    error = next(d for d in report["diagnostics"] if d["severity"] == "error")
    assert error["line"] == 2 and error["column"] == 10 and "x" in error["message"]
    assert not (REPO_ROOT / "bad.o").exists()
    import os
    assert not os.path.exists(source[:-2] + ".o")
    text = python_m("compile", source)
    assert text.returncode == 2 and "bad.c:2:10: error:" in text.stderr


def test_load_lists_programs_and_maps(files):
    source = files("tail.c", example("tail_call_dispatch").file.read_text())
    result = python_m("load", source)
    assert result.returncode == 0, result.stderr
    assert "program dispatch: section xdp (xdp)" in result.stdout
    assert "map 0 by_protocol: prog_array" in result.stdout
    spec = json.loads(python_m("load", source, "--json").stdout)
    assert [p["name"] for p in spec["programs"]] == ["handle_tcp", "handle_udp", "dispatch"]


def test_run_c_over_packets_reports_each_run_and_the_last_at_top_level(dns_source, files):
    packets = files("packets.json", json.dumps([UDP_53, UDP_80]))
    result = python_m("run", dns_source, "--packets", packets, "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert [run["r0"] for run in report["runs"]] == [1, 2]           # XDP_DROP, XDP_PASS
    assert report["r0"] == 2 and report["exit"]["kind"] == "exit"
    assert report["instructions"] == report["runs"][-1]["instructions"]
    for run in report["runs"]:
        assert set(run) >= {"r0", "exit", "instructions", "packet_out_hex", "output",
                            "map_changes"}
    assert report["runs"][1]["packet_out_hex"] == UDP_80


def test_run_text_names_return_codes(dns_source):
    result = python_m("run", dns_source, "--packet", UDP_53)
    assert result.returncode == 0, result.stderr
    assert "event 1: r0 = 1 (XDP_DROP)" in result.stdout


def test_run_reads_pcap_files(dns_source, files):
    import io
    buffer = io.BytesIO()
    writer = dpkt.pcap.Writer(buffer)
    for packet in (UDP_80, UDP_53, TCP_80):
        writer.writepkt(bytes.fromhex(packet), ts=0)
    pcap = files("in.pcap", buffer.getvalue())
    report = json.loads(python_m("run", dns_source, "--pcap", pcap, "--json").stdout)
    assert [run["r0"] for run in report["runs"]] == [2, 1, 2]


def test_bytecode_with_a_program_type_and_maps_counts_across_packets(files):
    program = files("count.s", COUNT_AND_PASS)
    maps = files("maps.json", json.dumps(COUNTER_MAPS))
    packets = files("packets.json", json.dumps([UDP_53, UDP_80, TCP_80]))
    result = python_m("run", program, "--prog-type", "xdp", "--maps", maps,
                      "--packets", packets, "--json")
    assert result.returncode == 0, result.stderr
    runs = json.loads(result.stdout)["runs"]
    news = [run["map_changes"][0]["changes"][0]["new"] for run in runs]
    assert news == [(11 + n).to_bytes(8, "little").hex() for n in range(3)]


def test_tracing_events_come_from_events_json(files):
    source = files("open.c", example("kprobe_open").file.read_text())
    events = files("events.json", json.dumps(example("kprobe_open").events))
    result = python_m("run", source, "--events", events)
    assert result.returncode == 0, result.stderr
    assert "trace_printk: pid 4242 opens /etc/hostname" in result.stdout


@pytest.mark.parametrize("args, message", [
    (["--prog-type", "xdp", "--mem", "00"], "--mem is raw mode"),
    (["--packet", UDP_53, "--pcap", "x.pcap"], "give one input"),
    (["--packet", UDP_53], "need a program type"),
    (["--prog-type", "xdp"], "needs a packet"),
    (["--prog-type", "no_such_type", "--packet", UDP_53], "no_such_type"),
    (["--prog-type", "xdp", "--packet", "zz"], "packet"),
    (["--section", "xdp"], "--section chooses a program in an object"),
], ids=["mem with a type", "two inputs", "packet without a type", "no packet",
        "unknown type", "bad hex", "section for bytecode"])
def test_bad_usage_is_exit_2_with_a_clear_message(files, args, message):
    program = files("p.s", "r0 = 2\nexit\n")
    result = python_m("run", program, *args)
    assert result.returncode == 2, result.stdout + result.stderr
    assert message in result.stderr


def test_an_object_with_several_programs_needs_a_choice(files):
    source = files("tail.c", example("tail_call_dispatch").file.read_text())
    result = python_m("run", source, "--packet", TCP_80)
    assert result.returncode == 2 and "has 3 programs" in result.stderr
    chosen = python_m("run", source, "--section", "dispatch", "--packet", TCP_80, "--json")
    assert chosen.returncode == 0, chosen.stderr
    assert json.loads(chosen.stdout)["r0"] == 2        # handle_tcp: XDP_PASS, via a tail call


def test_raw_mode_keeps_its_shape_and_gains_runs(files):
    program = files("p.s", "r0 = *(u8 *)(r1 + 1)\nexit\n")
    report = json.loads(python_m("run", program, "--mem", "0007", "--json").stdout)
    assert report["r0"] == 7 and report["fault"] is None
    assert report["runs"][0]["r0"] == 7


def test_a_program_that_faults_exits_1(files):
    program = files("p.s", "r0 = *(u64 *)(r1 + 4096)\nexit\n")
    result = python_m("run", program, "--prog-type", "xdp", "--packet", UDP_53, "--json")
    assert result.returncode == 1
    assert json.loads(result.stdout)["exit"]["kind"] == "fault"


def test_a_file_name_the_compiler_would_refuse_still_compiles(files):
    source = files("my prog (1).c", example("xdp_drop_all").file.read_text())
    result = python_m("run", source, "--packet", UDP_53, "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["r0"] == 1
