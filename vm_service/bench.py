"""Speed benchmarks, side by side in one run: ``python -m vm_service bench [--json] [--quick]``.

``BENCHMARKS`` is a list of named benchmark functions, grouped in sections; a new
benchmark is one entry. Each function gets the ``Options`` and returns a
``Result`` (the instructions one run executes and the seconds of each run), or a
``Result`` with only a note when it cannot run here. ``RATIOS`` names the
comparisons printed after the table.

The reference program is ``loop_300k.bin`` from the shared bench folder
(``PLAYGROUND_BENCH``, default ``../shared/bench`` from the repository root),
read in place, and the reference interpreter is the closure-per-instruction
baseline in the same folder, imported from there at run time. Machines are
noisy, so compare ratios measured in the same run, not figures from two runs.
"""

from __future__ import annotations

import os
import platform
import statistics
import sys
import time
import tracemalloc
import types
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from .fast import run_fast
from .machine import Machine
from .program import Program
from .timetravel import Recorder

REPO_ROOT = Path(__file__).resolve().parent.parent
LOOP_FILE = "loop_300k.bin"
BASELINE_FILE = "baseline_closure_vm.py"
BIG_LIMIT = 100_000_000


@dataclass(frozen=True)
class Options:
    quick: bool = False
    bench_dir: Path = REPO_ROOT.parent / "shared" / "bench"

    @property
    def repeats(self) -> int:
        return 3 if self.quick else 7

    @classmethod
    def from_environment(cls, quick: bool = False) -> "Options":
        folder = Path(os.environ.get("PLAYGROUND_BENCH", "../shared/bench"))
        return cls(quick, folder if folder.is_absolute() else (REPO_ROOT / folder).resolve())


@dataclass
class Result:
    """One benchmark's runs: ``instructions`` per run and the seconds each run took."""

    name: str
    section: str = ""
    instructions: int | None = None
    seconds: list[float] = field(default_factory=list)
    note: str = ""
    r0: int | None = None
    per_call: bool = False  # a latency: report seconds per call, not instructions/s

    @property
    def measured(self) -> bool:
        return bool(self.seconds) and bool(self.instructions)

    @property
    def median(self) -> float | None:
        return statistics.median(self.seconds) if self.seconds else None

    @property
    def best(self) -> float | None:
        """The fastest run: what the machine can do when nothing else interferes."""
        return min(self.seconds) if self.seconds else None

    @property
    def rate(self) -> float | None:
        """Instructions per second (median run)."""
        return self.instructions / self.median if self.measured else None

    @property
    def best_rate(self) -> float | None:
        """Instructions per second (fastest run)."""
        return self.instructions / self.best if self.measured else None

    def to_dict(self) -> dict:
        return {"name": self.name, "section": self.section, "instructions": self.instructions,
                "runs": len(self.seconds), "median_seconds": self.median,
                "best_seconds": self.best,
                "instructions_per_second": None if self.per_call else self.rate,
                "best_instructions_per_second": None if self.per_call else self.best_rate,
                "seconds_per_call": self.median if self.per_call else None, "note": self.note,
                "r0": None if self.r0 is None else f"0x{self.r0:x}"}


@dataclass(frozen=True)
class Benchmark:
    section: str
    name: str
    run: Callable[[Options], Result]


def timed(runs: int, once: Callable[[], Callable[[], int]]) -> tuple[list[float], int]:
    """Seconds of each run and the last run's r0; ``once()`` prepares a run and returns it."""
    seconds, r0 = [], 0
    for _ in range(runs):
        go = once()
        start = time.perf_counter()
        r0 = go()
        seconds.append(time.perf_counter() - start)
    return seconds, r0


# -- loop_300k ------------------------------------------------------------------------

def loop_program(options: Options) -> Program | str:
    path = options.bench_dir / LOOP_FILE
    try:
        return Program.from_bytes(path.read_bytes())
    except OSError as error:
        return f"unavailable: cannot read {path}: {error.strerror}"


def instructions_of(program: Program) -> int:
    """How many instructions a run executes (the baseline does not count them)."""
    machine = Machine.raw(program, limit=BIG_LIMIT)
    run_fast(machine)
    return machine.instructions


def load_baseline(options: Options) -> types.ModuleType | str:
    """The baseline interpreter, executed from its file in place (nothing is copied)."""
    path = options.bench_dir / BASELINE_FILE
    try:
        source = path.read_text()
    except OSError as error:
        return f"unavailable: cannot read {path}: {error.strerror}"
    module = types.ModuleType("baseline_closure_vm")
    module.__file__ = str(path)
    exec(compile(source, str(path), "exec"), module.__dict__)
    return module


def baseline_loop(options: Options) -> Result:
    result = Result("baseline closure VM")
    baseline = load_baseline(options)
    program = loop_program(options)
    if isinstance(baseline, str) or isinstance(program, str):
        result.note = baseline if isinstance(baseline, str) else program
        return result
    code = program.encode()
    result.seconds, result.r0 = timed(options.repeats, lambda: lambda: baseline.run(code))
    result.instructions = instructions_of(program)
    return result


def step_loop(options: Options) -> Result:
    """Step mode is slow: it runs the first part of the loop only."""
    result = Result("step mode")
    program = loop_program(options)
    if isinstance(program, str):
        result.note = program
        return result
    budget = 50_000 if options.quick else 300_000

    def once():
        machine = Machine.raw(program, limit=BIG_LIMIT)

        def go():
            machine.run(budget)
            return machine.regs[0]
        return go
    result.seconds, _ = timed(options.repeats, once)
    result.instructions = budget
    result.note = f"the first {budget:,} instructions"
    return result


def fast_loop(options: Options) -> Result:
    result = Result("fast mode")
    program = loop_program(options)
    if isinstance(program, str):
        result.note = program
        return result
    counted = []

    def once():
        machine = Machine.raw(program, limit=BIG_LIMIT)

        def go():
            event = run_fast(machine)
            counted.append(machine.instructions)
            return event.r0
        return go
    result.seconds, result.r0 = timed(options.repeats, once)
    result.instructions = counted[-1]
    result.note = "translation cached per Program: the first run also translates"
    return result


# -- maps -------------------------------------------------------------------------------

MAP_LOOP = """
    r6 = 0
    r7 = 0
loop:
    r1 = r6
    r1 &= 63
    *(u32 *)(r10 - 4) = r1
    r1 = map[id:0]
    r2 = r10
    r2 += -4
    call 1
    r3 = 0
    if r0 == 0 goto store
    r3 = *(u64 *)(r0 + 0)
    r7 += r3
store:
    r3 += r6
    *(u64 *)(r10 - 16) = r3
    r1 = map[id:0]
    r2 = r10
    r2 += -4
    r3 = r10
    r3 += -16
    r4 = 0
    call 2
    r6 += 1
    if r6 < {iterations} goto loop
    r0 = r7
    exit
"""
MAP_LOOP_NOTE = "each: map_lookup_elem, (a load), map_update_elem; 64 keys"


def stub_helpers(table: dict) -> dict:
    """The same helper ids, each returning 0 at once: what the engine itself costs."""
    return {helper_id: (lambda machine, *args: 0) for helper_id in table}


def map_loop(map_type: str, fast: bool, stubs: bool = False) -> Callable[[Options], Result]:
    """A loop doing a lookup and an update of one map per iteration."""
    def bench(options: Options) -> Result:
        result = Result(f"{'fast' if fast else 'step'} mode, {map_type.lower()} map loop")
        try:
            from .asm import assemble
            from .helpers import helper_name, implementations
            from .maps import MapSpec, MapType, create_map
        except ImportError as error:
            result.note = f"unavailable: {error}"
            return result
        helpers = implementations(None)
        if stubs:
            helpers = stub_helpers(helpers)
        if 1 not in helpers or 2 not in helpers:
            result.note = "unavailable: no map_lookup_elem/map_update_elem helpers"
            return result
        iterations = (2_000 if options.quick else 20_000) // (1 if fast else 4)
        program = assemble(MAP_LOOP.format(iterations=iterations)).program()
        counted = []

        def once():
            bpf_map = create_map(MapSpec(MapType[map_type], 4, 8, 64))
            machine = Machine.raw(program, helpers=helpers, helper_name=helper_name,
                                  limit=BIG_LIMIT, maps=[bpf_map])

            def go():
                event = run_fast(machine) if fast else machine.run()
                counted.append(machine.instructions)
                return event.r0
            return go
        result.seconds, result.r0 = timed(options.repeats, once)
        result.instructions = counted[-1]
        result.note = f"{iterations:,} iterations; " + (
            "helpers stubbed (return 0 at once): the engine's own cost" if stubs else MAP_LOOP_NOTE)
        return result
    return bench


# -- time travel ------------------------------------------------------------------------

RECORDED = 1_000_000  # instructions recorded (loop_300k cut off by the limit)


def recording(options: Options) -> Result:
    """Recording mode: the fast mode plus a checkpoint every ``interval`` steps."""
    result = Result("recording mode")
    program = loop_program(options)
    if isinstance(program, str):
        result.note = program
        return result
    budget = 200_000 if options.quick else RECORDED
    recorders = []

    def once():
        recorder = Recorder(Machine.raw(program, limit=budget))
        recorders.append(recorder)
        return lambda: recorder.run().r0 or 0
    result.seconds, _ = timed(options.repeats, once)
    result.instructions = recorders[-1].machine.instructions
    peak = recording_peak(program, budget)
    result.note = (f"checkpoint every {recorders[-1].interval} steps, "
                   f"{len(recorders[-1].checkpoints)} kept; tracemalloc peak while recording "
                   f"{budget:,} instructions: {peak / 2**20:.1f} MiB")
    return result


def recording_peak(program: Program, budget: int) -> int:
    """Peak traced memory of one recording run (measured apart: tracing slows the run)."""
    machine = Machine.raw(program, limit=budget)
    tracemalloc.start()
    try:
        Recorder(machine).run()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def latency(operation: str) -> Callable[[Options], Result]:
    """Seconds per call of ``step()`` or ``step_back()``, 100,000 steps into loop_300k."""
    def bench(options: Options) -> Result:
        result = Result(f"{operation}()", per_call=True)
        program = loop_program(options)
        if isinstance(program, str):
            result.note = program
            return result
        recorder = Recorder(Machine.raw(program, limit=BIG_LIMIT))
        recorder.run(budget=100_000)
        call = recorder.step if operation == "step" else recorder.step_back
        calls = 50 if options.quick else 500
        for _ in range(calls):
            start = time.perf_counter()
            call()
            result.seconds.append(time.perf_counter() - start)
        result.instructions = 1
        result.note = (f"median of {calls} calls at step ~100,000; slowest "
                       f"{max(result.seconds) * 1e6:.0f} us (target: under 1 ms)")
        return result
    return bench


BENCHMARKS: list[Benchmark] = [
    Benchmark("loop_300k", "baseline closure VM", baseline_loop),
    Benchmark("loop_300k", "step mode", step_loop),
    Benchmark("loop_300k", "fast mode", fast_loop),
    Benchmark("map-heavy loop", "fast mode, array map", map_loop("ARRAY", fast=True)),
    Benchmark("map-heavy loop", "fast mode, hash map", map_loop("HASH", fast=True)),
    Benchmark("map-heavy loop", "step mode, array map", map_loop("ARRAY", fast=False)),
    Benchmark("map-heavy loop", "fast mode, stub helpers",
              map_loop("ARRAY", fast=True, stubs=True)),
    Benchmark("recording mode", "recording mode", recording),
    Benchmark("step()/step_back() latency", "step()", latency("step")),
    Benchmark("step()/step_back() latency", "step_back()", latency("step_back")),
]

# (label, numerator, denominator): benchmark names, compared by instructions per second.
RATIOS = [
    ("fast / baseline", "fast mode", "baseline closure VM"),
    ("step / baseline", "step mode", "baseline closure VM"),
    ("fast / step", "fast mode", "step mode"),
    ("array map loop / baseline", "fast mode, array map", "baseline closure VM"),
    ("hash map loop / baseline", "fast mode, hash map", "baseline closure VM"),
    ("recording / baseline", "recording mode", "baseline closure VM"),
]

# The speed targets, in instructions/s. It pins 10 M/s to 2.5x the baseline,
# so its reference machine runs the baseline at 4 M/s: each target is also read as a
# ratio to the baseline measured in the same run, which machine noise does not move.
REFERENCE_BASELINE = 4_000_000
TARGETS = [
    ("fast mode", 10_000_000),
    ("fast mode, array map", 1_000_000),
    ("fast mode, hash map", 1_000_000),
    ("recording mode", 2_000_000),
]


def run_all(options: Options, only: Callable[[Benchmark], bool] = lambda b: True) -> list[Result]:
    results = []
    for bench in BENCHMARKS:
        if only(bench):
            result = bench.run(options)
            result.name, result.section = bench.name, bench.section
            results.append(result)
    return results


def ratios(results: list[Result]) -> dict[str, float | None]:
    rates = {r.name: r.rate for r in results}
    out = {}
    for label, top, bottom in RATIOS:
        a, b = rates.get(top), rates.get(bottom)
        out[label] = a / b if a and b else None
    return out


def targets(results: list[Result]) -> list[dict]:
    """Each target against the median rate, and against the baseline ratio it implies."""
    by_name = {r.name: r for r in results}
    baseline = by_name.get("baseline closure VM")
    out = []
    for name, target in TARGETS:
        result = by_name.get(name)
        if result is None or not result.measured:
            continue
        ratio = None
        if baseline is not None and baseline.measured:
            ratio = result.rate / baseline.rate
        out.append({"name": name, "target": target, "rate": result.rate,
                    "target_ratio": target / REFERENCE_BASELINE, "ratio": ratio,
                    "met": result.rate >= target,
                    "met_by_ratio": ratio is not None and ratio >= target / REFERENCE_BASELINE})
    return out


def checks(results: list[Result]) -> list[str]:
    """Problems the figures reveal: the fast mode must agree with the baseline."""
    by_name = {r.name: r for r in results}
    fast, baseline = by_name.get("fast mode"), by_name.get("baseline closure VM")
    problems = []
    if fast and baseline and fast.measured and baseline.measured and fast.r0 != baseline.r0:
        problems.append(f"fast mode returned 0x{fast.r0:x}, the baseline 0x{baseline.r0:x}")
    return problems


def report(results: list[Result], options: Options) -> dict:
    return {"python": sys.version.split()[0], "machine": platform.machine(),
            "cpus": os.cpu_count(), "bench_dir": str(options.bench_dir), "quick": options.quick,
            "results": [r.to_dict() for r in results], "ratios": ratios(results),
            "targets": targets(results),
            "problems": checks(results)}


def format_text(results: list[Result], options: Options) -> str:
    lines = [f"Python {sys.version.split()[0]} on {platform.machine()}, {os.cpu_count()} CPUs; "
             f"median (and best) of {options.repeats} runs each; "
             f"bench folder {options.bench_dir}"]
    section = None
    for result in results:
        if result.section != section:
            section = result.section
            lines.append(f"\n{section}")
        if result.measured and result.per_call:
            lines.append(f"  {result.name:<26} {result.median * 1e6:8.1f} us per call  "
                         + result.note)
        elif result.measured:
            lines.append(f"  {result.name:<26} {result.rate / 1e6:8.2f} M instructions/s  "
                         f"(best {result.best_rate / 1e6:.2f}; "
                         f"{result.instructions:,} in {result.median:.3f} s)"
                         + (f"  {result.note}" if result.note else ""))
        else:
            lines.append(f"  {result.name:<26} {result.note}")
    lines.append("\nratios (instructions/s, same run)")
    for label, value in ratios(results).items():
        lines.append(f"  {label:<26} " + (f"{value:8.2f}x" if value else
                                          "     n/a (a side was not measured)"))
    lines.append(f"\ntargets (the ratio a target implies with the baseline at "
                 f"{REFERENCE_BASELINE / 1e6:.0f} M/s)")
    for row in targets(results):
        ratio = "n/a" if row["ratio"] is None else f"{row['ratio']:.2f}x"
        lines.append(f"  {row['name']:<26} {row['rate'] / 1e6:6.2f} M/s vs {row['target'] / 1e6:g} M/s "
                     f"{'met' if row['met'] else 'MISSED'}; {ratio} vs {row['target_ratio']:.2f}x "
                     f"{'met' if row['met_by_ratio'] else 'MISSED'}")
    for problem in checks(results):
        lines.append(f"PROBLEM: {problem}")
    return "\n".join(lines)
