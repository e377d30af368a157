"""Where clang runs: in a bubblewrap sandbox that shows it almost nothing, or, without bwrap, as it is.

What clang sees in the sandbox (``bubblewrap``)::

    /src       the compile's private directory, read-write: the source and the object
    /include   the include directory, read-only
    /zig       a private copy of zig's binary with mode 0111: it can be run, not read
               (otherwise ``asm(".incbin \\"/zig\\"")`` would copy it into the object)
    nothing else: no /proc, /dev, /etc, /home or /tmp, and a read-only empty root

Every namespace is new (user, mount, pid, network, ipc, uts, cgroup); clang
runs as uid/gid 65534 with no capabilities, which is what keeps the mode-0111
copy unreadable although the server owns it; nested user namespaces are
disabled, the environment is cleared, and the sandbox dies with its parent.

A ``PLAYGROUND_CLANG`` toolchain may be dynamically linked or a script, so it
also gets ``/usr``, ``/bin``, ``/lib*`` and ``/sbin`` read-only (public system
files; ``/usr/local`` is hidden) and its own directory; those become readable
to the compiled program.

``PLAYGROUND_SANDBOX`` chooses: ``auto`` (default: bubblewrap when it works,
else none), ``bubblewrap`` (required: a compile fails rather than run
unisolated) or ``none``. Without the sandbox the pre-scan and the resource
limits still apply, but macro-built names could reach the server's files.
"""

from __future__ import annotations

import functools
import hashlib
import os
import shutil
import stat
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from .result import ToolchainError
from .toolchain import Toolchain

ENV_SANDBOX = "PLAYGROUND_SANDBOX"
ENV_CACHE_DIR = "PLAYGROUND_CACHE_DIR"
SOURCE_DIR = "/src"
INCLUDE_DIR = "/include"
ZIG_PATH = "/zig"
NOBODY = "65534"
SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
HOST_PATH = "/usr/bin:/bin"


@dataclass(frozen=True)
class View:
    """The paths clang is given, as it sees them."""

    source_dir: str
    include_dir: str
    command: tuple[str, ...]   # what runs clang: ("/zig", "clang")


class Isolation(Protocol):
    kind: str

    def view(self, source_dir: Path, include_dir: Path) -> View: ...

    def wrap(self, clang_argv: list[str], source_dir: Path, include_dir: Path) -> list[str]: ...

    def environment(self, source_dir: Path) -> dict[str, str]: ...


class Unisolated:
    """clang runs directly, in the compile's directory, with a minimal environment."""

    kind = "none"

    def __init__(self, toolchain: Toolchain):
        self.command = (str(toolchain.executable), *toolchain.arguments)

    def view(self, source_dir: Path, include_dir: Path) -> View:
        return View(str(source_dir), str(include_dir), self.command)

    def wrap(self, clang_argv: list[str], source_dir: Path, include_dir: Path) -> list[str]:
        return clang_argv

    def environment(self, source_dir: Path) -> dict[str, str]:
        return _compile_environment(str(source_dir)) | {"PATH": HOST_PATH}


class Bubblewrap:
    """clang runs in a bubblewrap sandbox (see the module docstring)."""

    kind = "bubblewrap"

    def __init__(self, bwrap: str, toolchain: Toolchain):
        self.bwrap = bwrap
        self.toolchain = toolchain
        if toolchain.kind == "ziglang":
            self.command = (ZIG_PATH, *toolchain.arguments)
        else:
            self.command = (str(toolchain.executable), *toolchain.arguments)

    def mounts(self) -> list[str]:
        """The toolchain's mounts (the private copy is checked, and remade if it went away)."""
        if self.toolchain.kind == "ziglang":
            return ["--ro-bind", str(exec_only_copy(self.toolchain.executable)), ZIG_PATH]
        own_directory = str(self.toolchain.executable.parent)
        return _system_mounts() + ["--ro-bind", own_directory, own_directory]

    def view(self, source_dir: Path, include_dir: Path) -> View:
        return View(SOURCE_DIR, INCLUDE_DIR, self.command)

    def wrap(self, clang_argv: list[str], source_dir: Path, include_dir: Path) -> list[str]:
        setenv = [part for name, value in self.inner_environment().items() for part in ("--setenv", name, value)]
        return [
            self.bwrap,
            "--unshare-all", "--unshare-user", "--disable-userns",
            "--uid", NOBODY, "--gid", NOBODY, "--cap-drop", "ALL",
            "--die-with-parent", "--hostname", "sandbox",
            "--clearenv", *setenv,
            *self.mounts(),
            "--ro-bind", str(include_dir), INCLUDE_DIR,
            "--bind", str(source_dir), SOURCE_DIR,
            "--remount-ro", "/",
            "--chdir", SOURCE_DIR,
            "--", *clang_argv,
        ]

    def inner_environment(self) -> dict[str, str]:
        return _compile_environment(SOURCE_DIR) | {"PATH": HOST_PATH}

    def environment(self, source_dir: Path) -> dict[str, str]:
        return {"PATH": HOST_PATH, "LC_ALL": "C"}


def _compile_environment(source_dir: str) -> dict[str, str]:
    """What clang may see: C messages, and zig's caches (unused by ``zig clang``) inside the compile's directory."""
    cache = f"{source_dir}/.zig-cache"
    return {"LC_ALL": "C", "TMPDIR": source_dir, "ZIG_GLOBAL_CACHE_DIR": cache, "ZIG_LOCAL_CACHE_DIR": cache}


def _system_mounts() -> list[str]:
    mounts = []
    for directory in SYSTEM_DIRS:
        path = Path(directory)
        if path.is_symlink():
            mounts += ["--symlink", os.readlink(path), directory]
        elif path.is_dir():
            mounts += ["--ro-bind", directory, directory]
    if Path("/usr/local").is_dir():
        mounts += ["--tmpfs", "/usr/local"]
    return mounts


def select_isolation(toolchain: Toolchain) -> Isolation:
    """The isolation compiles use now, following ``PLAYGROUND_SANDBOX``."""
    mode = os.environ.get(ENV_SANDBOX, "auto").strip() or "auto"
    if mode not in ("auto", "bubblewrap", "none"):
        raise ToolchainError(f"{ENV_SANDBOX} must be auto, bubblewrap or none, not {mode!r}")
    return _isolation(mode, toolchain)


@functools.lru_cache(maxsize=8)
def _isolation(mode: str, toolchain: Toolchain) -> Isolation:
    if mode == "none":
        return Unisolated(toolchain)
    problem = None
    bwrap = shutil.which("bwrap", path=HOST_PATH)
    if bwrap is None:
        problem = "bwrap is not installed (Debian package bubblewrap)"
    else:
        sandbox = Bubblewrap(bwrap, toolchain)
        problem = _probe(sandbox)
        if problem is None:
            return sandbox
    if mode == "bubblewrap":
        raise ToolchainError(f"{ENV_SANDBOX}=bubblewrap but the sandbox does not work: {problem}")
    return Unisolated(toolchain)


def _probe(sandbox: Bubblewrap) -> str | None:
    """Why clang cannot run in the sandbox, or None when ``clang --version`` works there."""
    with tempfile.TemporaryDirectory(prefix="bpf-compile-probe-") as directory:
        empty = Path(directory)
        argv = sandbox.wrap([*sandbox.view(empty, empty).command, "--version"], empty, empty)
        try:
            done = subprocess.run(argv, capture_output=True, text=True, timeout=60,
                                  env=sandbox.environment(empty), stdin=subprocess.DEVNULL)
        except (OSError, subprocess.TimeoutExpired) as error:
            return str(error)
    if done.returncode != 0 or "clang version" not in done.stdout:
        return (done.stderr or done.stdout).strip()[:300] or f"exit status {done.returncode}"
    return None


def cache_dir() -> Path:
    """Where the playground keeps files between runs (``PLAYGROUND_CACHE_DIR``, else the XDG cache)."""
    chosen = os.environ.get(ENV_CACHE_DIR)
    if chosen:
        return Path(chosen)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "ebpf-playground"


def exec_only_copy(executable: Path) -> Path:
    """A private copy of ``executable`` with mode 0111, made once per version of the file.

    The name holds a hash of the original's path and one of its version, so
    several installs can share the cache directory; older versions of the
    same install are removed (a sandbox still running one keeps its inode).
    """
    source = executable.stat()
    install = hashlib.sha256(str(executable).encode()).hexdigest()[:12]
    version = hashlib.sha256(f"{source.st_size}:{source.st_mtime_ns}".encode()).hexdigest()[:12]
    directory = cache_dir() / "toolchain"
    target = directory / f"{executable.name}-{install}-{version}"
    try:
        existing = target.stat()
        if existing.st_size == source.st_size and stat.S_IMODE(existing.st_mode) == 0o111:
            return target
    except FileNotFoundError:
        pass
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=".copy-")
    try:
        with os.fdopen(handle, "wb") as out, open(executable, "rb") as original:
            shutil.copyfileobj(original, out, 1 << 20)
        os.chmod(temporary, 0o111)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    for stale in directory.glob(f"{executable.name}-{install}-*"):
        if stale != target:
            stale.unlink(missing_ok=True)
    return target
