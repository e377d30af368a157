"""Compile latency: p50 and p95 of ``compile_source`` (uncached), and of compile plus ELF load.

    python -m vm_service.toolchain.bench [--runs 10] [--json]

The programs are the gallery's examples (``vm_service.gallery``) compiled
against the bundled headers, or, where those are not available, a few small
built-in programs. Each compile is a real one (``cache=None``): pre-scan,
private directory, sandboxed clang, diagnostics. "load" adds the object
loader (``vm_service.loader.load_object``) when it is available. The first
compile of a process, which probes the sandbox and checks the toolchain copy,
is reported apart.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from typing import Callable

from .compiler import compile_source

BUILTIN = {
    "xdp_pass": 'int pass(void *ctx) __attribute__((section("xdp"), used));\nint pass(void *ctx) { return 2; }\n',
    "loop_sum": ('__attribute__((section("xdp"), used)) int sum(unsigned *ctx)\n{\n\tunsigned total = 0;\n'
                 '\tfor (int i = 0; i < 16; i++)\n\t\ttotal += ctx[i] * i;\n\treturn total & 3;\n}\n'),
}


def programs() -> dict[str, str]:
    """The gallery's sources by slug when the gallery and headers are there, else ``BUILTIN``."""
    try:
        from vm_service.gallery import EXAMPLES, source_of
        from vm_service.headers import include_dir

        include_dir()
        return {example.slug: source_of(example) for example in EXAMPLES}
    except Exception:  # no gallery or headers on this checkout: small programs still measure the stage
        return dict(BUILTIN)


def _loader() -> Callable[[bytes], object] | None:
    try:
        from vm_service.loader import load_object
    except ImportError:
        return None
    return load_object


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def measure(sources: dict[str, str], runs: int, include_dir=None) -> dict:
    """Latency figures in milliseconds over ``runs`` compiles of each source."""
    load = _loader()
    first_started = time.perf_counter()
    first = compile_source(next(iter(sources.values())), include_dir=include_dir, cache=None)
    first_ms = (time.perf_counter() - first_started) * 1000
    compile_ms, total_ms, failed = [], [], []
    for name, source in sources.items():
        for _ in range(runs):
            started = time.perf_counter()
            result = compile_source(source, include_dir=include_dir, cache=None)
            compiled = time.perf_counter()
            if result.ok and load is not None:
                try:
                    load(result.object)
                except Exception:  # a loader gap must not hide the compile figures
                    pass
            done = time.perf_counter()
            compile_ms.append((compiled - started) * 1000)
            total_ms.append((done - started) * 1000)
            if not result.ok:
                failed.append(name)
    return {
        "programs": len(sources),
        "runs": runs,
        "isolation": first.isolation,
        "toolchain": first.toolchain,
        "first_compile_ms": round(first_ms, 1),
        "compile_p50_ms": round(statistics.median(compile_ms), 1),
        "compile_p95_ms": round(percentile(compile_ms, 0.95), 1),
        "compile_and_load_p50_ms": round(statistics.median(total_ms), 1) if load else None,
        "compile_and_load_p95_ms": round(percentile(total_ms, 0.95), 1) if load else None,
        "failed": sorted(set(failed)),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m vm_service.toolchain.bench", description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10, help="compiles of each program (default 10)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    figures = measure(programs(), max(1, args.runs))
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        for key, value in figures.items():
            print(f"{key:26} {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
