"""The compile stage: restricted C in, a BPF ELF object (BTF and DWARF) and diagnostics out.

``compile_source`` checks the request (size, file name, CPU version, flags),
answers from the cache when it can, runs the pre-scan, then runs clang::

    clang -target bpfel -mcpu=v3 -O2 -g [user flags] -nostdinc -isystem <include>
          -fno-color-diagnostics -fno-crash-diagnostics -fdebug-compilation-dir=/src
          -c program.c -o object.o

in a private temporary directory (removed afterwards), sandboxed and limited
(``sandbox.py``, ``process.py``). ``-nostdinc`` drops every system and
toolchain include directory, so ``<include>`` is the only search path; it is
a system directory, as ``/usr/include`` is for libbpf programs. Without the
sandbox, ``-ffile-prefix-map`` names the include directory ``/include`` in
the object, as the sandbox does, so no server path is compiled in.
"""

from __future__ import annotations

import re
import shutil
import signal
import tempfile
import time
from pathlib import Path
from typing import Sequence

from .cache import CompileCache, cache_key
from .diagnostics import PathNames, parse_diagnostics
from .flags import check_flags
from .include_dir import load_include_dir
from .limits import DEFAULT_LIMITS, Limits
from .prescan import scan_source
from .process import Outcome, run_limited
from .result import CompileResult, diagnostic, refused
from .sandbox import INCLUDE_DIR, SOURCE_DIR, cache_dir, select_isolation
from .toolchain import find_toolchain

MCPUS = ("v1", "v2", "v3", "v4")
FILENAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,62}\.c")
OBJECT_NAME = "object.o"
OUT_OF_MEMORY = ("LLVM ERROR: out of memory", "Allocation failed", "std::bad_alloc")

DEFAULT_CACHE = CompileCache()


def compile_source(source: str, *, mcpu: str = "v3", flags: Sequence[str] = (), filename: str = "program.c",
                   include_dir: Path | str | None = None, limits: Limits = DEFAULT_LIMITS,
                   cache: CompileCache | None = DEFAULT_CACHE) -> CompileResult:
    """Compile ``source`` for BPF; request problems come back as a result with ``ok=False``.

    Raises ``CompileError`` only when the server cannot compile at all (no
    clang, no include directory, a required sandbox that does not work).
    """
    started = time.monotonic()
    toolchain = find_toolchain()
    isolation = select_isolation(toolchain)

    def elapsed() -> float:
        return time.monotonic() - started

    def refuse(message_or_diagnostics) -> CompileResult:
        return refused(message_or_diagnostics, filename=filename if _valid_filename(filename) else "program.c",
                       toolchain=toolchain.name, isolation=isolation.kind, seconds=elapsed())

    problem = _request_problem(source, mcpu, filename, limits)
    if problem:
        return refuse(problem)
    checked = check_flags(flags)
    if checked.problems:
        return refuse([diagnostic(1, 1, "error", message) for message in checked.problems])
    include = load_include_dir(include_dir)
    key = cache_key(source=source, mcpu=mcpu, flags=checked.flags, filename=filename, headers=include.digest,
                    toolchain=toolchain.identity, isolation=isolation.kind)
    if cache is not None:
        hit = cache.get(key)
        if hit is not None:
            return hit.again(cached=True, seconds=elapsed())
    refusals = scan_source(source, include.names)
    if refusals:
        result, cacheable = refuse([diagnostic(r.line, r.column, "error", r.message) for r in refusals]), True
    else:
        result, cacheable = _run_clang(source, mcpu, checked.flags, filename, include.path, toolchain, isolation, limits)
    result = result.again(cached=False, seconds=elapsed())
    if cache is not None and cacheable:
        cache.put(key, result)
    return result


def _valid_filename(filename) -> bool:
    return isinstance(filename, str) and FILENAME.fullmatch(filename) is not None


def _request_problem(source, mcpu, filename, limits: Limits) -> str | None:
    if not isinstance(source, str):
        return "the source must be text"
    try:
        size = len(source.encode("utf-8"))
    except UnicodeEncodeError:
        return "the source is not valid Unicode text"
    if size > limits.source_bytes:
        return f"the source is {size} bytes; the limit is {limits.source_bytes} bytes"
    if mcpu not in MCPUS:
        return f"mcpu must be one of {', '.join(MCPUS)}, not {mcpu!r}"
    if not _valid_filename(filename):
        return "the file name must be a plain name ending in .c (letters, digits, '_', '-', '.'), like program.c"
    return None


def _run_clang(source, mcpu, flags, filename, include_dir: Path, toolchain, isolation, limits) -> tuple[CompileResult, bool]:
    """Run clang once in a fresh directory; the result and whether it may be cached."""
    workdir = Path(tempfile.mkdtemp(prefix="bpf-compile-"))
    try:
        source_dir = workdir / "src"
        source_dir.mkdir()
        (source_dir / filename).write_bytes(source.encode("utf-8"))
        view = isolation.view(source_dir, include_dir)
        argv = [*view.command, "-target", "bpfel", f"-mcpu={mcpu}", "-O2", "-g", *flags,
                "-nostdinc", "-isystem", view.include_dir,
                "-fno-color-diagnostics", "-fno-crash-diagnostics", f"-fdebug-compilation-dir={SOURCE_DIR}"]
        if view.include_dir != INCLUDE_DIR:
            argv.append(f"-ffile-prefix-map={view.include_dir}={INCLUDE_DIR}")
        argv += ["-c", filename, "-o", OBJECT_NAME]
        stderr_path = workdir / "stderr"
        outcome = run_limited(isolation.wrap(argv, source_dir, include_dir), cwd=source_dir,
                              env=isolation.environment(source_dir), limits=limits, stderr_path=stderr_path,
                              exit_status_carries_signal=isolation.kind == "bubblewrap")
        names = PathNames(
            source_name=filename,
            prefixes=((view.include_dir + "/", ""), (view.source_dir + "/", "")),
            server_paths=((str(workdir), "<tmp>"), (str(include_dir), "<include>"),
                          (str(toolchain.executable.parent), "<toolchain>"), (str(cache_dir()), "<cache>")),
        )
        raw = names.rewrite(_read_limited(stderr_path, limits.diagnostics_bytes))
        diagnostics = parse_diagnostics(raw, names)
        stopped = _limit_message(outcome, raw, limits)
        object_path = source_dir / OBJECT_NAME
        if stopped:
            diagnostics.insert(0, diagnostic(1, 1, "error", stopped))
            raw += f"error: {stopped}\n"
            return CompileResult(False, None, diagnostics, raw, toolchain.name, isolation.kind), False
        ok = outcome.returncode == 0 and object_path.is_file()
        if not ok and not any(d["severity"] == "error" for d in diagnostics):
            diagnostics.append(diagnostic(1, 1, "error", f"the compiler failed (exit status {outcome.returncode})"))
        obj = object_path.read_bytes() if ok else None
        return CompileResult(ok, obj, diagnostics, raw, toolchain.name, isolation.kind), True
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _read_limited(path: Path, limit: int) -> str:
    with open(path, "rb") as stream:
        data = stream.read(limit + 1)
    text = data[:limit].decode("utf-8", "replace")
    if len(data) > limit:
        text += f"\n[diagnostics cut at {limit} bytes]\n"
    return text


def _limit_message(outcome: Outcome, raw: str, limits: Limits) -> str | None:
    """Why clang was stopped, or None when it ended by itself."""
    if outcome.timed_out:
        return f"compilation stopped: it took longer than {limits.wall_seconds:g} s"
    if outcome.signal in (signal.SIGXCPU, signal.SIGKILL):
        return f"compilation stopped: it used more than {limits.cpu_seconds} s of CPU time"
    if outcome.signal == signal.SIGXFSZ:
        return f"compilation stopped: its output grew past {limits.output_bytes} bytes"
    if any(mark in raw for mark in OUT_OF_MEMORY):
        return f"compilation stopped: it needed more than {limits.memory_bytes // (1024 * 1024)} MiB of memory"
    if outcome.signal is not None:
        return f"the compiler stopped on signal {outcome.signal} ({signal.strsignal(outcome.signal)})"
    return None
