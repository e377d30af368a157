"""The C headers BPF programs compile against: our own libbpf/UAPI-compatible set.

Programs written the usual libbpf way (``#include <bpf/bpf_helpers.h>``,
``<linux/bpf.h>``, ``"vmlinux.h"``...) compile unchanged against this set. The
headers are written for the playground, API-compatible with libbpf's and the
kernel UAPI's (same names, same layouts, same meaning); the helper
declarations, the helper id enum and vmlinux.h are generated from the
engine's own tables (``bundle.py``).

The compile stage passes ``-I include_dir()`` (with ``-nostdinc``, so these
are the only headers a program sees); ``header_names()`` is the list the
editor completes from and the sandbox allows; ``content_hash()`` keys
compile caches::

    cc -target bpf -nostdinc -I <include_dir()> -O2 -g -c prog.c
"""

from __future__ import annotations

import threading
from pathlib import Path

from .bundle import digest, header_files
from .errors import HeaderError
from .materialise import default_root, looks_intact, materialise

__all__ = ["HeaderError", "content_hash", "header_files", "header_names", "include_dir",
           "materialise"]

_lock = threading.Lock()
_materialised: Path | None = None


def include_dir() -> Path:
    """A read-only directory holding every header, materialised once per process."""
    global _materialised
    with _lock:
        if _materialised is None or not looks_intact(_materialised, header_files()):
            _materialised = materialise(header_files(), default_root())
        return _materialised


def header_names() -> list[str]:
    """Every header's path relative to ``include_dir()`` (``"bpf/bpf_helpers.h"``), sorted."""
    return sorted(header_files())


def content_hash() -> str:
    """A hex SHA-256 of the whole set (paths and contents): changes whenever any header does."""
    return digest(header_files())
