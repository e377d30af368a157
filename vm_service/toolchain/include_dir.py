"""The include directory: the header names a source may include, and a digest of their content.

By default it is the playground's bundled headers, ``vm_service.headers.include_dir()``
(imported lazily, so this package works on its own). Only regular files whose
real path stays inside the directory count as headers; the digest covers
every name and byte, so a header edit changes the compile cache key. It is
recomputed only when a file's size, mtime or inode changes.
"""

from __future__ import annotations

import hashlib
import os
import threading
from dataclasses import dataclass
from pathlib import Path

from .result import CompileError


@dataclass(frozen=True)
class IncludeDir:
    path: Path               # resolved, absolute
    names: frozenset[str]    # relative POSIX names: "bpf/bpf_helpers.h"
    digest: str              # sha256 of every name and its content


_lock = threading.Lock()
_known: dict[Path, tuple[tuple, IncludeDir]] = {}


def default_include_dir() -> Path:
    """The bundled headers' directory."""
    try:
        from vm_service.headers import include_dir
    except ImportError as error:
        raise CompileError(f"the bundled headers (vm_service.headers) are not available: {error}; pass include_dir") from None
    return Path(include_dir())


def load_include_dir(path: Path | str | None = None) -> IncludeDir:
    """The include directory at ``path`` (default: the bundled headers), digest up to date."""
    root = Path(default_include_dir() if path is None else path).resolve()
    if not root.is_dir():
        raise CompileError(f"include directory {root} does not exist")
    files = _header_files(root)
    signature = tuple((name, st.st_size, st.st_mtime_ns, st.st_ino) for name, st in files)
    with _lock:
        known = _known.get(root)
        if known and known[0] == signature:
            return known[1]
    found = IncludeDir(root, frozenset(name for name, _ in files), _digest(root, [name for name, _ in files]))
    with _lock:
        _known[root] = (signature, found)
    return found


def _header_files(root: Path) -> list[tuple[str, os.stat_result]]:
    """(relative name, stat) of every header, sorted; symlinks count only if they stay inside."""
    found = []
    inside = str(root) + os.sep
    pending = [(str(root), "")]
    while pending:
        directory, prefix = pending.pop()
        with os.scandir(directory) as entries:
            for entry in entries:
                name = prefix + entry.name
                if entry.is_dir(follow_symlinks=False):
                    pending.append((entry.path, name + "/"))
                elif entry.is_symlink():
                    real = os.path.realpath(entry.path)
                    if real.startswith(inside) and os.path.isfile(real):
                        found.append((name, os.stat(real)))
                elif entry.is_file(follow_symlinks=False):
                    found.append((name, entry.stat(follow_symlinks=False)))
    return sorted(found, key=lambda pair: pair[0])


def _digest(root: Path, names: list[str]) -> str:
    digest = hashlib.sha256()
    for name in names:
        content = (root / name).read_bytes()
        digest.update(f"{name}\0{len(content)}\0".encode())
        digest.update(content)
    return digest.hexdigest()
