"""The benchmark runner: benchmarks side by side, ratios, and what it says of a missing side."""

from __future__ import annotations

import json

import pytest

from vm_service import bench, cli
from vm_service.isa import make
from vm_service.opcodes import BY_MNEMONIC, Source
from vm_service.program import Program


def row(mnemonic, source=Source.K):
    return next(r for r in BY_MNEMONIC[mnemonic] if r.source is source)


# r0 = 0; r1 = 0; loop: r0 += r1; r1 += 1; if r1 < 1000 goto loop; exit  (3,003 instructions)
SMALL_LOOP = Program.from_instructions([
    make(row("mov"), dst=0, imm=0), make(row("mov"), dst=1, imm=0),
    make(row("add", Source.X), dst=0, src=1), make(row("add"), dst=1, imm=1),
    make(row("jlt"), dst=1, imm=1000, off=-3), make(row("exit"))]).encode()
STAND_IN_BASELINE = "def run(code, mem=b''):\n    return sum(range(1000))\n"


@pytest.fixture
def bench_dir(tmp_path, monkeypatch):
    (tmp_path / bench.LOOP_FILE).write_bytes(SMALL_LOOP)
    (tmp_path / bench.BASELINE_FILE).write_text(STAND_IN_BASELINE)
    monkeypatch.setenv("PLAYGROUND_BENCH", str(tmp_path))
    return tmp_path


def loop_results(options):
    return bench.run_all(options, only=lambda b: b.section == "loop_300k")


def test_it_measures_the_baseline_step_and_fast_mode_side_by_side(bench_dir):
    options = bench.Options.from_environment(quick=True)
    results = loop_results(options)
    assert [r.name for r in results] == ["baseline closure VM", "step mode", "fast mode"]
    assert all(r.measured and len(r.seconds) == options.repeats for r in results)
    fast = results[2]
    assert fast.instructions == 2 + 1000 * 3 + 1 and fast.r0 == sum(range(1000))
    assert results[0].instructions == fast.instructions
    ratios = bench.ratios(results)
    assert all(ratios[label] for label in ("fast / baseline", "step / baseline", "fast / step"))
    assert ratios["array map loop / baseline"] is None  # that section did not run
    assert bench.checks(results) == []
    assert [row["name"] for row in bench.targets(results)] == ["fast mode"]


def test_a_missing_baseline_is_said_and_its_ratios_skipped(bench_dir):
    (bench_dir / bench.BASELINE_FILE).unlink()
    results = loop_results(bench.Options.from_environment(quick=True))
    assert results[0].note.startswith("unavailable: cannot read") and not results[0].measured
    ratios = bench.ratios(results)
    assert ratios["fast / baseline"] is None and ratios["fast / step"]
    assert "n/a" in bench.format_text(results, bench.Options.from_environment(quick=True))


def test_a_fast_mode_that_disagrees_with_the_baseline_is_a_problem(bench_dir):
    (bench_dir / bench.BASELINE_FILE).write_text("def run(code, mem=b''):\n    return 7\n")
    results = loop_results(bench.Options.from_environment(quick=True))
    assert bench.checks(results) == [f"fast mode returned 0x{sum(range(1000)):x}, the baseline 0x7"]


def test_it_measures_recording_and_step_latencies(bench_dir):
    options = bench.Options.from_environment(quick=True)
    results = bench.run_all(options, only=lambda b: b.section in (
        "recording mode", "step()/step_back() latency"))
    assert [r.name for r in results] == ["recording mode", "step()", "step_back()"]
    recording, step, step_back = results
    assert recording.measured and recording.instructions == 3003 and "MiB" in recording.note
    assert step.per_call and step_back.per_call and step.median > 0 and step_back.median > 0
    text = bench.format_text(results, options)
    assert "us per call" in text


def test_the_bench_command_prints_json(bench_dir, capsys, monkeypatch):
    loop_only = [b for b in bench.BENCHMARKS if b.section == "loop_300k"]
    monkeypatch.setattr(bench, "BENCHMARKS", loop_only)
    assert cli.main(["bench", "--quick", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert [r["name"] for r in report["results"]] == [b.name for b in loop_only]
    assert report["ratios"]["fast / baseline"] > 0 and report["problems"] == []


def test_targets_are_read_as_rates_and_as_ratios_to_the_baseline():
    def result(name, rate):
        return bench.Result(name, instructions=int(rate), seconds=[1.0])
    results = [result("baseline closure VM", 3_000_000), result("fast mode", 9_000_000),
               result("fast mode, array map", 800_000), result("recording mode", 2_500_000)]
    rows = {row["name"]: row for row in bench.targets(results)}
    assert set(rows) == {"fast mode", "fast mode, array map", "recording mode"}
    fast = rows["fast mode"]
    assert not fast["met"] and fast["met_by_ratio"] and fast["ratio"] == 3.0  # 3x vs 2.5x
    array = rows["fast mode, array map"]
    assert not array["met"] and array["met_by_ratio"] is True  # 0.27x vs 0.25x
    assert rows["recording mode"]["met"]
    text = bench.format_text(results, bench.Options(quick=True))
    assert "fast mode, array map" in text and "MISSED" in text
