"""The compile stage: untrusted restricted C to a BPF object with zig's clang, sandboxed.

``compile_source(source, mcpu=..., flags=..., filename=..., include_dir=...)``
returns a ``CompileResult``; ``CompileService`` queues compiles fairly between
users. See ``compiler.py`` for the pipeline, ``prescan.py`` and ``sandbox.py``
for the two layers that keep the server's files out of reach.
"""

from .admission import CompileService
from .cache import CompileCache
from .compiler import compile_source
from .limits import DEFAULT_LIMITS, Limits
from .result import CompileError, CompileResult, ToolchainError

__all__ = [
    "CompileCache",
    "CompileError",
    "CompileResult",
    "CompileService",
    "DEFAULT_LIMITS",
    "Limits",
    "ToolchainError",
    "compile_source",
]
