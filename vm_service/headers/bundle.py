"""The header set: our static files plus the generated ones, by relative path.

Static headers live in ``include/`` next to this module. Three are generated
when the set is first built in a process, from the engine's own tables, so
they always describe the engine that will run the program:

========================  ==================================================
``bpf/bpf_helper_defs.h`` the helper table (``helpers.prototypes``)
``linux/bpf_func_id.h``   the kernel's helper ids (``helper_ids``)
``vmlinux.h``             the simulated kernel's types (``kernel_types``),
                          or the hand-made ``include/vmlinux.h`` without it
========================  ==================================================
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import importlib.util
from pathlib import Path
from typing import Callable, Mapping

from .helper_defs import render_func_ids, render_helper_defs

STATIC_ROOT = Path(__file__).with_name("include")
KERNEL_TYPES_MODULE = "vm_service.kernel_types"


def _vmlinux_h() -> str:
    """The simulated kernel's vmlinux.h when ``kernel_types`` exists, else our hand-made one."""
    if importlib.util.find_spec(KERNEL_TYPES_MODULE) is None:
        return (STATIC_ROOT / "vmlinux.h").read_text()
    return importlib.import_module(KERNEL_TYPES_MODULE).vmlinux_h()


GENERATED: dict[str, Callable[[], str]] = {
    "bpf/bpf_helper_defs.h": render_helper_defs,
    "linux/bpf_func_id.h": render_func_ids,
    "vmlinux.h": _vmlinux_h,
}


def static_files() -> dict[str, bytes]:
    """Every file under ``include/`` by its path relative to it (``"linux/bpf.h"``)."""
    return {path.relative_to(STATIC_ROOT).as_posix(): path.read_bytes()
            for path in sorted(STATIC_ROOT.rglob("*.h")) if path.is_file()}


@functools.cache
def header_files() -> Mapping[str, bytes]:
    """The whole set, generated once per process: relative path -> contents."""
    files = static_files()
    files.update({name: render().encode() for name, render in GENERATED.items()})
    return dict(sorted(files.items()))


def digest(files: Mapping[str, bytes]) -> str:
    """A SHA-256 over every path and its contents: equal digests, equal header sets."""
    h = hashlib.sha256()
    for name in sorted(files):
        data = files[name]
        h.update(name.encode() + b"\0" + len(data).to_bytes(8, "little") + data)
    return h.hexdigest()
