"""The command line: output shapes, exit codes, and the bpf_conformance plugin protocol."""

from __future__ import annotations

import io
import json
import subprocess
import sys

import pytest

from tests.conformance_data import REPO_ROOT, vector_params
from vm_service import cli

RETURN_42 = "b7000000 2a000000 95000000 00000000".replace(" ", "")
LOAD_BYTE = "71100100 00000000 95000000 00000000".replace(" ", "")  # r0 = *(u8 *)(r1 + 1)


def python_m(*args, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "vm_service", *args], input=stdin,
                          capture_output=True, text=True, cwd=REPO_ROOT, timeout=60)


@pytest.fixture
def program_file(tmp_path):
    def write(name: str, content: str | bytes):
        path = tmp_path / name
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
        return str(path)
    return write


def test_run_json_reports_r0_exit_and_instruction_count(program_file):
    result = python_m("run", program_file("p.bin", bytes.fromhex(RETURN_42)), "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["r0"] == 42 and report["instructions"] == 2
    assert report["exit"] == {"kind": "exit", "pc": 1, "message": None}


@pytest.mark.parametrize("mem", ["aa bb", "aabb"])
def test_run_passes_memory_in_r1_with_either_hex_form(program_file, mem, capsys):
    code = cli.main(["run", program_file("p.bin", bytes.fromhex(LOAD_BYTE)), "--mem", mem, "--json"])
    assert code == 0 and json.loads(capsys.readouterr().out)["r0"] == 0xBB


def test_run_reports_a_fault_with_exit_code_1(program_file, capsys):
    code = cli.main(["run", program_file("p.bin", bytes.fromhex(LOAD_BYTE)), "--json"])
    report = json.loads(capsys.readouterr().out)
    assert code == 1 and report["exit"]["kind"] == "fault" and report["exit"]["pc"] == 0
    assert "0x1" in report["exit"]["message"]


def test_run_reports_the_instruction_limit(program_file, capsys):
    loop = bytes.fromhex("05 00 ff ff 00 00 00 00".replace(" ", ""))
    code = cli.main(["run", program_file("loop.bin", loop), "--limit", "50", "--json"])
    report = json.loads(capsys.readouterr().out)
    assert code == 1 and report["exit"]["kind"] == "limit" and report["instructions"] == 50


def test_run_human_output(program_file, capsys):
    assert cli.main(["run", program_file("p.hex", RETURN_42)]) == 0
    assert "r0 = 0x2a (42)" in capsys.readouterr().out


def test_invalid_bytecode_is_rejected_with_exit_code_1(program_file, capsys):
    assert cli.main(["run", program_file("p.bin", bytes.fromhex("8d00000000000000"))]) == 1
    assert "unknown opcode 0x8d" in capsys.readouterr().err


@pytest.mark.parametrize("args", [
    ["run", "/no/such/file.bin"],
    ["run", "PROGRAM", "--mem", "xyz"],
    ["run", "ODD"],
    ["frobnicate"],
    [],
])
def test_bad_usage_or_input_exits_with_2(args, program_file):
    args = [program_file("p.bin", bytes.fromhex(RETURN_42)) if a == "PROGRAM" else a for a in args]
    args = [program_file("odd.hex", "abc") if a == "ODD" else a for a in args]
    result = python_m(*args)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert result.stderr


def test_conformance_plugin_speaks_the_protocol():
    result = python_m("conformance-plugin", "00 2a", stdin=LOAD_BYTE)
    assert (result.returncode, result.stdout) == (0, "2a\n")


def test_conformance_plugin_reports_errors_on_stderr_with_nonzero_exit():
    result = python_m("conformance-plugin", stdin="8d00000000000000 9500000000000000")
    assert result.returncode != 0 and "unknown opcode" in result.stderr and not result.stdout


@pytest.mark.parametrize("vector", vector_params("bpf_conformance"))
def test_conformance_plugin_answers_every_vector(vector, monkeypatch, capsys):
    """In-process, as the upstream runner would call it: PLUGIN [MEM] with the program on stdin."""
    monkeypatch.setattr(sys, "stdin", io.StringIO(vector["program_hex"]))
    mem = [vector["mem_hex"][i:i + 2] for i in range(0, len(vector["mem_hex"]), 2)]
    code = cli.main(["conformance-plugin", " ".join(mem)] if mem else ["conformance-plugin"])
    out = capsys.readouterr()
    if vector["name"] == "callx":
        assert code != 0 and out.err
    else:
        assert code == 0 and int(out.out, 16) == vector["expected_r0"]


SUM_PROGRAM = """\
# sum 1..10, in both syntaxes
    r0 = 0
    mov %r1, 1
loop:
    r0 += r1
    add %r1, 1
    if r1 <= 10 goto loop
    exit
"""


def test_asm_then_run_then_disasm(program_file, tmp_path, capsys):
    source = program_file("sum.s", SUM_PROGRAM)
    out = str(tmp_path / "sum.bin")
    assert cli.main(["asm", source, "-o", out]) == 0
    assert cli.main(["run", out, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["r0"] == 55
    assert cli.main(["disasm", out, "--syntax", "kernel"]) == 0
    assert capsys.readouterr().out.splitlines()[4] == "4: (b5) if r1 <= 0xa goto pc-3"


def test_asm_json_gives_the_bytecode(program_file, capsys):
    assert cli.main(["asm", program_file("r.s", "r0 = 42\nexit\n"), "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"program_hex": RETURN_42, "slots": 2}


@pytest.mark.parametrize("syntax, first", [("kernel", "0: (b7) r0 = 42"), ("llvm", "r0 = 0x2a"),
                                           ("ubpf", "mov %r0, 42")])
def test_disasm_json_in_each_syntax(program_file, capsys, syntax, first):
    assert cli.main(["disasm", program_file("p.hex", RETURN_42), "--syntax", syntax, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["lines"][0] == first and report["slots"] == 2


def test_assembly_errors_name_line_and_column_and_exit_with_2(program_file, capsys):
    assert cli.main(["asm", program_file("bad.s", "r0 = 1\nr0 += r11\nexit\n")]) == 2
    assert "line 2" in capsys.readouterr().err


def test_run_gives_the_same_report_in_fast_and_step_mode(program_file, capsys):
    loop = "b7000000 00000000 07000000 01000000 35000100 e8030000 0500fdff 00000000 95000000 00000000"
    path = program_file("loop.hex", loop.replace(" ", ""))  # r0 = 0; r0 += 1 until 1000
    reports = []
    for mode in ([], ["--step"]):
        assert cli.main(["run", path, "--json", *mode]) == 0
        reports.append(json.loads(capsys.readouterr().out))
    assert reports[0] == reports[1] and reports[0]["r0"] == 1000
