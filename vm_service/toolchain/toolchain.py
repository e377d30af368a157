"""Which clang compiles: zig's, from the ``ziglang`` package (default), or the one ``PLAYGROUND_CLANG`` names.

zig embeds a full clang. Measured here (2 cores shared with other work; a
small program; mean of 20 runs, over several rounds):

==================================================  ===========
``python -m ziglang cc`` (private cold cache)          92-152 ms
``zig cc`` (private cold cache)                        47-120 ms
``zig cc`` (warm cache, a new source each time)        51 ms
``zig cc`` (warm cache, the same source: a cache hit)  14-47 ms
``zig clang``                                          27-50 ms
==================================================  ===========

``zig cc`` is zig's driver: it hashes inputs into its cache, adds
``-ffreestanding``, ``-funwind-tables`` (hence ``.eh_frame``) and DWARF 4. A
warm cache only helps byte-identical inputs, which the result cache already
answers, so sharing one is not worth its risk; the default runs ``zig clang``:
clang's own driver, in process, with no cache and no ``.eh_frame``.
``PLAYGROUND_CLANG`` may name any clang (or a script that runs one); it is
asked ``--version`` once per version of the file.
"""

from __future__ import annotations

import functools
import importlib.metadata
import importlib.util
import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from .result import ToolchainError

ENV_CLANG = "PLAYGROUND_CLANG"
CLANG_VERSION = re.compile(r"clang version (\S+)")


@dataclass(frozen=True)
class Toolchain:
    executable: Path            # the file the OS runs (zig, or what PLAYGROUND_CLANG names), resolved
    arguments: tuple[str, ...]  # what comes before clang's own arguments: ("clang",) for zig
    name: str                   # "clang 22.1.8 (ziglang 0.17.1)"
    identity: str               # name and the executable's fingerprint, for the cache key
    kind: str                   # "ziglang" or "custom"


def find_toolchain() -> Toolchain:
    """The toolchain to use now: ``PLAYGROUND_CLANG`` if set, else zig's clang."""
    chosen = os.environ.get(ENV_CLANG, "").strip()
    executable = _custom_executable(chosen) if chosen else _zig_executable()
    stat = executable.stat()
    return _describe(chosen, executable, stat.st_size, stat.st_mtime_ns)


def _zig_executable() -> Path:
    spec = importlib.util.find_spec("ziglang")
    if spec is None or spec.origin is None:
        raise ToolchainError(f"the ziglang package is not installed (pip install ziglang), and {ENV_CLANG} is not set")
    zig = Path(spec.origin).parent / "zig"
    if not os.access(zig, os.X_OK):
        raise ToolchainError(f"the ziglang package has no runnable zig binary at {zig}")
    return zig.resolve()


def _custom_executable(chosen: str) -> Path:
    path = Path(chosen)
    if not path.is_absolute():
        raise ToolchainError(f"{ENV_CLANG} must be an absolute path, not {chosen!r}")
    if not (path.is_file() and os.access(path, os.X_OK)):
        raise ToolchainError(f"{ENV_CLANG}={chosen} is not an executable file")
    return path.resolve()


@functools.lru_cache(maxsize=8)
def _describe(chosen: str, executable: Path, size: int, mtime_ns: int) -> Toolchain:
    arguments = () if chosen else ("clang",)
    version = _clang_version(executable, arguments)
    if chosen:
        kind, name = "custom", f"clang {version} ({executable.name})"
    else:
        kind, name = "ziglang", f"clang {version} (ziglang {importlib.metadata.version('ziglang')})"
    return Toolchain(executable, arguments, name, f"{name} {executable}:{size}:{mtime_ns}", kind)


def _clang_version(executable: Path, arguments: tuple[str, ...]) -> str:
    command = [str(executable), *arguments, "--version"]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=60,
                              env={"PATH": "/usr/bin:/bin", "LC_ALL": "C"}, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise ToolchainError(f"cannot run {executable} --version: {error}") from None
    found = CLANG_VERSION.search(done.stdout)
    if done.returncode != 0 or not found:
        raise ToolchainError(f"{executable} --version does not look like clang: {done.stdout[:200]!r}")
    return found.group(1)
