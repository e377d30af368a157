"""bpf_trace_printk, bpf_trace_vprintk and bpf_snprintf: format with ``bprintf`` (the kernel's rules), then deliver.

trace_printk's text goes to ``machine.output`` as a ``trace_printk`` record
(``{"kind", "text", "pc", "step"}``); snprintf's goes into the program's buffer.
"""

from __future__ import annotations

import struct
from typing import TYPE_CHECKING, Sequence

from ..machine import MachineFault
from .bprintf import bstr_printf, prepare
from .linux import EINVAL

if TYPE_CHECKING:
    from ..machine import Machine

MAX_BPRINTF_BUF = 1024       # trace_printk's output buffer
MAX_BPRINTF_VARARGS = 12     # snprintf's most arguments
MAX_TRACE_PRINTK_VARARGS = 3


def _format(m: "Machine", fmt_ptr: int, fmt_size: int | None, raw_args: Sequence[int],
            size: int) -> tuple[bytes, int] | int:
    """Read the format, prepare, render: (bytes, length) or a negative errno."""
    if fmt_size is None:  # a constant string, checked NUL-terminated by the prototype
        region, offset = m.memory.find(fmt_ptr, 1, "read")
        fmt = bytes(region.data[offset:region.data.index(0, offset)])
    else:
        raw = m.memory.read_bytes(fmt_ptr, fmt_size)
        nul = raw.find(0)
        if nul < 0:
            return -EINVAL
        fmt = raw[:nul]
    args = prepare(fmt, raw_args, m.memory)
    if isinstance(args, int):
        return args
    return bstr_printf(fmt, args, size)


def trace_printk(m: "Machine", fmt: int, fmt_size: int, arg1: int, arg2: int, arg3: int) -> int:
    """Format up to three arguments into the trace output; returns the text's length.

    The text (cut to MAX_BPRINTF_BUF - 1 bytes, as the kernel's buffer holds) is
    appended to ``machine.output`` as a ``trace_printk`` record.
    """
    args = (arg1, arg2, arg3)[:MAX_TRACE_PRINTK_VARARGS]
    return _print(m, fmt, fmt_size, args)


def _print(m: "Machine", fmt: int, fmt_size: int, args: Sequence[int]) -> int:
    """Format into the trace output (a ``trace_printk`` record); the length, or -errno."""
    result = _format(m, fmt, fmt_size, args, MAX_BPRINTF_BUF)
    if isinstance(result, int):
        return result
    written, length = result
    m.output.append({"kind": "trace_printk", "text": written[:-1].decode("utf-8", "replace"),
                     "pc": m.pc, "step": m.instructions})
    return length


def trace_vprintk(m: "Machine", fmt: int, fmt_size: int, data: int, data_len: int,
                  *_args: int) -> int:
    """trace_printk with the arguments in a u64 array (libbpf's bpf_printk beyond 3).

    A data_len that is no multiple of 8, more than 12 arguments, or a length
    without data is -EINVAL, as ``bpf_trace_vprintk`` answers.
    """
    if data_len % 8 or data_len > MAX_BPRINTF_VARARGS * 8 or (data_len and not data):
        return -EINVAL
    raw_args = struct.unpack(f"<{data_len // 8}Q", m.memory.read_bytes(data, data_len))
    return _print(m, fmt, fmt_size, raw_args)


def snprintf(m: "Machine", out: int, out_size: int, fmt: int, data: int, data_len: int) -> int:
    """Format into out[0:out_size] from a u64 array; returns the full length plus one (the NUL).

    The format is a constant, so the verifier checks it at load time
    (check_bpf_snprintf_call): a data_len that is no multiple of 8, or a format
    bpf_bprintf_prepare refuses, rejects the program. Here they fault, with the
    verifier's message. At run time, more than 12 arguments is -EINVAL.
    """
    if data_len % 8:
        raise MachineFault(f"bpf_snprintf: R5 (data_len) is {data_len}, not a multiple of 8: "
                           f"the verifier refuses the program")
    region, offset = m.memory.find(fmt, 1, "read")
    checked = prepare(bytes(region.data[offset:region.data.index(0, offset)]),
                      [0] * (data_len // 8), None)
    if isinstance(checked, int):
        raise MachineFault("Invalid format string")
    if data_len > MAX_BPRINTF_VARARGS * 8 or (data_len and not data):
        return -EINVAL
    raw_args = struct.unpack(f"<{data_len // 8}Q", m.memory.read_bytes(data, data_len))
    result = _format(m, fmt, None, raw_args, out_size)
    if isinstance(result, int):
        return result
    written, length = result
    m.memory.write_bytes(out, written)
    return length + 1
