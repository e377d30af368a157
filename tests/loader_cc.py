"""Compiling small BPF C programs for the loader's tests (clang from the ziglang wheel).

``compile_c(source)`` returns the object file's bytes, cached per session by
the source and any extra files (headers written beside it). Sources are
compiled as ``prog.c`` in a temporary directory, so line info names files
relatively, as a user's compile would. ``PRELUDE`` declares what libbpf's
headers would: SEC, the BTF map macros, a few helpers.
"""

from __future__ import annotations

import functools
import subprocess
import sys
import tempfile
from pathlib import Path

PRELUDE = r"""
#define SEC(n) __attribute__((section(n), used))
#define __uint(name, val) int (*name)[val]
#define __type(name, val) typeof(val) *name
#define __array(name, val) typeof(val) *name[]
#define __ulong(name, val) enum { __PASTE(__unique_value, __COUNTER__) = val } name
#define __PASTE2(a, b) a##b
#define __PASTE(a, b) __PASTE2(a, b)
typedef unsigned char __u8;
typedef unsigned short __u16;
typedef unsigned int __u32;
typedef unsigned long long __u64;
typedef signed char __s8;
typedef short __s16;
typedef int __s32;
typedef long long __s64;
static void *(*bpf_map_lookup_elem)(void *map, const void *key) = (void *) 1;
static long (*bpf_map_update_elem)(void *map, const void *key, const void *value,
                                   __u64 flags) = (void *) 2;
static long (*bpf_map_delete_elem)(void *map, const void *key) = (void *) 3;
static long (*bpf_probe_read_kernel)(void *dst, __u32 size, const void *src) = (void *) 113;
static long (*bpf_tail_call)(void *ctx, void *prog_array_map, __u32 index) = (void *) 12;
static long (*bpf_loop)(__u32 nr_loops, void *callback_fn, void *callback_ctx,
                        __u64 flags) = (void *) 181;
char LICENSE[] SEC("license") = "GPL";
"""


def compile_c(source: str, *, prelude: bool = True, files: dict[str, str] | None = None,
              flags: tuple[str, ...] = ()) -> bytes:
    """The object code of ``source`` (with ``PRELUDE`` first unless told otherwise)."""
    text = (PRELUDE if prelude else "") + source
    return _compile(text, tuple(sorted((files or {}).items())), tuple(flags))


@functools.cache
def _compile(text: str, files: tuple[tuple[str, str], ...], flags: tuple[str, ...]) -> bytes:
    with tempfile.TemporaryDirectory(prefix="loader-test-") as tmp:
        root = Path(tmp)
        (root / "prog.c").write_text(text)
        for name, content in files:
            (root / name).write_text(content)
        command = [sys.executable, "-m", "ziglang", "cc", "-target", "bpfel-freestanding-none",
                   "-O2", "-g", "-c", "prog.c", "-o", "prog.o", "-I", ".", *flags]
        result = subprocess.run(command, cwd=root, capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            raise RuntimeError(f"clang failed:\n{result.stderr}\n--- source ---\n{text}")
        return (root / "prog.o").read_bytes()


def compile_with_headers(source: str, *flags: str) -> bytes:
    """``source`` built as a libbpf project builds it, against the bundled headers only:
    ``clang -target bpfel -O2 -g -nostdinc -I <include_dir()> -c`` (cached like ``compile_c``)."""
    from vm_service.headers import include_dir

    return _compile_clang(source, str(include_dir()), tuple(flags))


@functools.cache
def _compile_clang(text: str, include: str, flags: tuple[str, ...]) -> bytes:
    with tempfile.TemporaryDirectory(prefix="loader-test-") as tmp:
        root = Path(tmp)
        (root / "prog.c").write_text(text)
        command = [sys.executable, "-m", "ziglang", "clang", "-target", "bpfel", "-O2", "-g",
                   "-nostdinc", "-I", include, *flags, "-c", "prog.c", "-o", "prog.o"]
        result = subprocess.run(command, cwd=root, capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            raise RuntimeError(f"clang failed:\n{result.stderr}\n--- source ---\n{text}")
        return (root / "prog.o").read_bytes()
