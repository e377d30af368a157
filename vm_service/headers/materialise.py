"""Write a header set to a directory a compiler can search with ``-I``.

The directory is named by the set's digest, written completely under a
temporary name and renamed into place (so a compile never sees half a set,
and concurrent processes agree on one copy), then made read-only. A directory
that is already there is trusted only if it holds exactly the expected files
with the expected bytes and nothing else: no extra file, no symlink, since a
sandboxed compile may read anything in it.
"""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
import uuid
from pathlib import Path, PurePosixPath
from typing import Mapping

from .bundle import digest
from .errors import HeaderError

FILE_MODE = 0o444
DIR_MODE = 0o555
ROOT_ENV = "PLAYGROUND_HEADERS_ROOT"


def default_root() -> Path:
    """Where header directories live: ``$PLAYGROUND_HEADERS_ROOT``, else a per-user temp dir."""
    configured = os.environ.get(ROOT_ENV)
    if configured:
        return Path(configured)
    return Path(tempfile.gettempdir()) / f"ebpf-playground-headers-{os.geteuid()}"


def materialise(files: Mapping[str, bytes], root: Path) -> Path:
    """The directory under ``root`` holding exactly ``files``, creating it if needed."""
    for name in files:
        _relative(name)
    _ensure_root(root)
    target = root / f"headers-{digest(files)[:20]}"
    if os.path.lexists(target):  # only ever renamed in complete, so check it whole
        if _holds_exactly(target, files):
            return target
        _discard(target, root)  # tampered with: never reuse it
    building = Path(tempfile.mkdtemp(prefix=".building-", dir=root))
    try:
        _write(building, files)
        os.rename(building, target)
    except OSError:
        _remove_tree(building)
        if not _holds_exactly(target, files):  # lost a race to a process that wrote a bad copy
            raise HeaderError(f"could not put the headers in place at {target}") from None
    return target


def looks_intact(directory: Path, files: Mapping[str, bytes]) -> bool:
    """A quick check (no reading) that a materialised directory still has every file at its
    size, for callers that reuse one for a long time (temp-dir cleaners delete old files)."""
    base = str(directory)
    try:
        return all(stat.S_ISREG((info := os.lstat(os.path.join(base, name))).st_mode)
                   and info.st_size == len(data) for name, data in files.items())
    except OSError:
        return False


def _ensure_root(root: Path) -> None:
    """Create the root (readable by all, like the headers; writable by us only) or check it is ours."""
    try:
        root.mkdir(mode=0o755, parents=True, exist_ok=True)
        info = os.lstat(root)
    except OSError as error:
        raise HeaderError(f"cannot create the headers directory {root}: {error.strerror}") from None
    if not stat.S_ISDIR(info.st_mode):
        raise HeaderError(f"{root} is not a directory")
    if info.st_uid != os.geteuid():
        raise HeaderError(f"{root} belongs to another user; set {ROOT_ENV} to a directory of ours")


def _relative(name: str) -> PurePosixPath:
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or not path.parts:
        raise HeaderError(f"header name {name!r} is not a plain relative path")
    return path


def _write(directory: Path, files: Mapping[str, bytes]) -> None:
    for name, data in files.items():
        path = directory / _relative(name)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        path.chmod(FILE_MODE)
    for sub in sorted((p for p in directory.rglob("*") if p.is_dir()), reverse=True):
        sub.chmod(DIR_MODE)
    directory.chmod(DIR_MODE)


def _holds_exactly(directory: Path, files: Mapping[str, bytes]) -> bool:
    """Is ``directory`` ours, with exactly these regular files and these bytes?"""
    try:
        info = os.lstat(directory)
        if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.geteuid():
            return False
        found: dict[str, Path] = {}
        for dirpath, dirnames, filenames in os.walk(directory):
            for name in dirnames + filenames:
                path = Path(dirpath) / name
                mode = os.lstat(path).st_mode
                if stat.S_ISREG(mode):
                    found[path.relative_to(directory).as_posix()] = path
                elif not stat.S_ISDIR(mode):
                    return False  # a symlink, fifo or device has no place here
        if found.keys() != files.keys():
            return False
        return all(found[name].read_bytes() == data for name, data in files.items())
    except OSError:  # vanished while we looked (another process discarding it)
        return False


def _discard(path: Path, root: Path) -> None:
    """Move a bad copy out of the way first (atomic), then delete it."""
    aside = root / f".discarded-{uuid.uuid4().hex}"
    try:
        os.rename(path, aside)
    except FileNotFoundError:
        return  # another process moved it first
    _remove_tree(aside)


def _remove_tree(path: Path) -> None:
    if path.is_symlink() or not path.is_dir():
        path.unlink(missing_ok=True)
        return
    for dirpath, _dirnames, _filenames in os.walk(path):
        os.chmod(dirpath, 0o700)  # read-only directories cannot have entries removed
    shutil.rmtree(path, ignore_errors=True)
