"""Compile results cached by a hash of every input, in a bounded in-memory LRU.

The key covers the source, the accepted flags, the CPU version, the file
name, the include directory's content digest, the toolchain's identity
(name, version, binary fingerprint) and the isolation: any change misses.
Results that hit a resource limit are not cached (a busy machine may have
caused them).
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict

from .result import CompileResult


def cache_key(**inputs) -> str:
    """A hex digest of the inputs (JSON values), independent of their order."""
    return hashlib.sha256(json.dumps(inputs, sort_keys=True, ensure_ascii=True).encode()).hexdigest()


class CompileCache:
    """At most ``max_entries`` results holding at most ``max_bytes`` of objects; least recently used go first."""

    def __init__(self, max_entries: int = 512, max_bytes: int = 64 * 1024 * 1024):
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._entries: OrderedDict[str, CompileResult] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: str) -> CompileResult | None:
        with self._lock:
            result = self._entries.get(key)
            if result is not None:
                self._entries.move_to_end(key)
            return result

    def put(self, key: str, result: CompileResult) -> None:
        size = _size(result)
        if size > self.max_bytes:
            return
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._bytes -= _size(old)
            self._entries[key] = result
            self._bytes += size
            while len(self._entries) > self.max_entries or self._bytes > self.max_bytes:
                _, evicted = self._entries.popitem(last=False)
                self._bytes -= _size(evicted)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._bytes = 0


def _size(result: CompileResult) -> int:
    return len(result.object or b"") + len(result.raw)
