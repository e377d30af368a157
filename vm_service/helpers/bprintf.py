"""The kernel's two-pass formatting of bpf_trace_printk and bpf_snprintf, byte for byte.

The kernel formats in two passes, and so does this module:

1. ``prepare`` (the kernel's bpf_bprintf_prepare) checks the format and packs
   the arguments into a 512-byte binary buffer (MAX_BPRINTF_BIN_ARGS): integers
   as 4 or 8 bytes (4-aligned), ``%c`` as one byte, and what must be read from
   memory *now* (``%s`` strings, ``%pI4``-style addresses, ``%pB``) already as
   NUL-terminated text. Its rules, which decide every -EINVAL:

   * every ASCII character is printable or whitespace (bytes from 0x80 up,
     UTF-8 for instance, pass as they are: Linux 6.18 no longer refuses them);
   * ``%%`` is a percent sign; any other ``%`` consumes an argument, and a
     format asking for more arguments than given is refused;
   * flags ``0 + - space`` then a width, no precision, then one of
     ``d i u x X`` (with ``l``/``ll``), ``c``, ``s``, ``pks``/``pus``, or
     ``p`` followed by ``K x s S B``, ``i4 I4 i6 I6``, or a non-alphanumeric;
   * ``%s`` must be followed by a non-alphanumeric; a non-alphanumeric after
     ``%p`` is taken as part of it, except ``%`` (in 6.18 ``%p%d`` is two
     conversions);
   * running out of the 512 bytes is -ENOSPC (a long ``%s`` is cut instead).

2. ``bstr_printf`` (lib/vsprintf.c) renders the format against that buffer
   into a buffer of ``size`` bytes and returns the length of the whole text.
   Text past ``size - 1`` is counted but dropped; the result is NUL-terminated.

Where the two passes read a format differently the kernel's output follows the
second: ``%pI4abc`` prints the address and swallows ``abc`` (alphanumerics after
a ``%p`` extension are skipped), and once the output is full, a pre-rendered
``%pI4``/``%pB``/``%pks`` is neither counted nor consumed.

Pointers print as the kernel prints them, except that the playground has no
kernel symbols (``%pS`` of anything is ``0x<address>``, as for an unknown
address) and no secret hash key: ``%p`` and ``%pK`` (as with kptr_restrict=0)
print a fixed 32-bit hash of the address, NULL and error pointers in full.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import Sequence

from ..memory import Memory
from . import access
from .linux import EINVAL, ENOSPC, TASK_SIZE_MAX

MAX_BPRINTF_BIN_ARGS = 512   # the binary argument buffer
FIELD_WIDTH_MAX = (1 << 23) - 1

# -- the kernel's ctype (lib/ctype.c): Latin-1 --------------------------------------

_U, _L, _D, _C, _P, _S, _X, _SP = 0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80


def _ctype_table() -> bytes:
    table = bytearray(256)
    for c in range(256):
        if c < 32 or c == 127:
            table[c] = _C | (_S if 9 <= c <= 13 else 0)
        elif c == 32:
            table[c] = _S | _SP
        elif chr(c).isdigit() and c < 128:
            table[c] = _D
        elif 65 <= c <= 90:
            table[c] = _U | (_X if c <= 70 else 0)
        elif 97 <= c <= 122:
            table[c] = _L | (_X if c <= 102 else 0)
        elif c < 127:
            table[c] = _P
        elif c < 160:
            table[c] = 0
        elif c == 160:
            table[c] = _S | _SP
        elif c < 192 or c in (215, 247):
            table[c] = _P
        elif c < 223:
            table[c] = _U
        else:
            table[c] = _L
    return bytes(table)


CTYPE = _ctype_table()


def isprint(c: int) -> bool:
    return bool(CTYPE[c] & (_P | _U | _L | _D | _SP))


def isspace(c: int) -> bool:
    return bool(CTYPE[c] & _S)


def ispunct(c: int) -> bool:
    return bool(CTYPE[c] & _P)


def isalnum(c: int) -> bool:
    return bool(CTYPE[c] & (_U | _L | _D))


def isdigit(c: int) -> bool:
    return 48 <= c <= 57


# -- pass 1: bpf_bprintf_prepare ------------------------------------------------------

class _Refused(Exception):
    def __init__(self, errno: int):
        self.errno = errno


def symbol_text(addr: int) -> str:
    """What %pS/%ps/%pB print for an address with no symbol: the kernel's "0x%lx"."""
    return f"0x{addr:x}"


def ip_text(kind: str, version: str, raw: bytes) -> str:
    """%pI4 1.2.3.4, %pi4 001.002.003.004, %pI6 0001:0db8:..., %pi6 00010db8..."""
    if version == "4":
        return ".".join(f"{b:03d}" if kind == "i" else str(b) for b in raw)
    groups = [raw[i:i + 2].hex() for i in range(0, 16, 2)]
    return ":".join(groups) if kind == "I" else "".join(groups)


@dataclass
class BinArgs:
    """The binary argument buffer: its bytes, and where the kernel's tmp_buf points."""

    data: bytearray = field(default_factory=lambda: bytearray(MAX_BPRINTF_BIN_ARGS))
    pos: int = 0

    @property
    def room(self) -> int:
        return MAX_BPRINTF_BIN_ARGS - self.pos

    def put(self, raw: bytes) -> None:
        """Write what fits at pos (the rest is lost); pos moves past all of it."""
        fit = raw[:max(0, self.room)]
        self.data[self.pos:self.pos + len(fit)] = fit
        self.pos += len(raw)

    def put_text(self, text: str) -> None:
        """snprintf(tmp_buf, room, ...): the text cut to room - 1 bytes plus NUL; pos moves past all."""
        raw = text.encode("latin-1")
        if self.room > 0:
            cut = raw[:self.room - 1] + b"\0"
            self.data[self.pos:self.pos + len(cut)] = cut
        self.pos += len(raw) + 1

    def align4(self) -> None:
        self.pos = (self.pos + 3) & ~3


class _Preparer:
    """One run of bpf_bprintf_prepare over ``fmt`` (the bytes before its NUL)."""

    def __init__(self, fmt: bytes, raw_args: Sequence[int], memory: Memory | None):
        self.fmt = fmt
        self.raw_args = raw_args
        self.memory = memory
        self.out = BinArgs() if raw_args and memory is not None else None
        self.num_spec = 0

    def at(self, i: int) -> int:
        return self.fmt[i] if i < len(self.fmt) else 0

    def run(self) -> BinArgs | None:
        i, n = 0, len(self.fmt)
        while i < n:
            c = self.fmt[i]
            if c < 0x80 and not isprint(c) and not isspace(c):
                raise _Refused(EINVAL)
            if c == ord("%"):
                if self.at(i + 1) == ord("%"):
                    i += 1
                else:
                    i = self.conversion(i)
            i += 1
        return self.out

    def conversion(self, i: int) -> int:
        """One conversion starting at fmt[i] == '%'; returns the index of its last character."""
        if self.num_spec >= len(self.raw_args):
            raise _Refused(EINVAL)
        arg = self.raw_args[self.num_spec]
        i += 1
        while self.at(i) in b"0+- ":
            i += 1
        if ord("1") <= self.at(i) <= ord("9"):
            i += 1
            while isdigit(self.at(i)):
                i += 1
        c, nxt = self.at(i), self.at(i + 1)
        if c == ord("p"):
            if nxt in b"ku" and self.at(i + 2) == ord("s"):
                return self.string(i + 2, chr(nxt), arg)
            if nxt == 0 or isspace(nxt) or ispunct(nxt) or nxt in b"KxsS":
                self.number(arg, 8)
                return i if nxt == ord("%") else i + 1  # 6.18 no longer skips a '%' here
            if nxt == ord("B"):
                if self.out is not None:
                    self.out.put_text(symbol_text(arg))
                self.num_spec += 1
                return i + 1
            if nxt not in b"iI" or self.at(i + 2) not in b"46":
                raise _Refused(EINVAL)
            self.ip(chr(nxt), chr(self.at(i + 2)), arg)
            return i + 2
        if c == ord("s"):
            return self.string(i, "s", arg)
        if c == ord("c"):
            if self.out is not None:
                if self.out.room <= 0:
                    raise _Refused(ENOSPC)
                self.out.put(bytes([arg & 0xFF]))
            self.num_spec += 1
            return i
        size = 4
        for _ in range(2):
            if self.at(i) == ord("l"):
                size = 8
                i += 1
        if self.at(i) not in b"iduxX":
            raise _Refused(EINVAL)
        self.number(arg, size)
        return i

    def number(self, value: int, size: int) -> None:
        if self.out is not None:
            self.out.align4()
            if self.out.room < size:
                raise _Refused(ENOSPC)
            self.out.put(struct.pack("<Q" if size == 8 else "<I", value & ((1 << 8 * size) - 1)))
        self.num_spec += 1

    def string(self, i: int, ptype: str, ptr: int) -> int:
        """%s, %pks, %pus: fmt[i] is the 's'. The string is copied now (a bad pointer prints "")."""
        nxt = self.at(i + 1)
        if nxt != 0 and not isspace(nxt) and not ispunct(nxt):
            raise _Refused(EINVAL)
        if self.out is not None:
            if self.out.room <= 0:
                raise _Refused(ENOSPC)
            user = ptype == "u" or (ptype == "s" and ptr < TASK_SIZE_MAX)
            copy = access.strncpy_from_user if user else access.strncpy_from_kernel
            text = copy(self.memory, ptr, self.out.room)
            self.out.put(b"\0" if isinstance(text, int) else text)
        self.num_spec += 1
        return i

    def ip(self, kind: str, version: str, ptr: int) -> None:
        if self.out is not None:
            size = 4 if version == "4" else 16
            if self.out.room < size:
                raise _Refused(ENOSPC)
            raw = access.copy_from_kernel(self.memory, ptr, size)
            self.out.put_text(ip_text(kind, version, bytes(size) if isinstance(raw, int) else raw))
        self.num_spec += 1


def prepare(fmt: bytes, raw_args: Sequence[int], memory: Memory | None) -> bytes | int:
    """bpf_bprintf_prepare: the binary arguments for ``bstr_printf``, or a negative errno.

    Without ``memory`` it only checks the format, as the verifier does for
    bpf_snprintf's constant format (no argument buffer, so never -ENOSPC).
    """
    try:
        out = _Preparer(fmt, raw_args, memory).run()
    except _Refused as refused:
        return -refused.errno
    return bytes(out.data) if out is not None else b""


# -- pass 2: bstr_printf ----------------------------------------------------------------

LEFT, PLUS, SPACE, SPECIAL, ZEROPAD, SMALL, SIGN = 2, 4, 8, 64, 16, 32, 1


@dataclass
class Spec:
    """struct printf_spec: what format_decode read."""

    kind: str = "none"        # none, char, str, ptr, percent, invalid, int
    flags: int = 0
    width: int = -1
    base: int = 10
    size: int = 4             # an integer's argument size
    signed: bool = False


def format_decode(fmt: bytes, start: int, spec: Spec) -> int:
    """Decode one piece of ``fmt`` at ``start`` into ``spec``; returns the bytes read."""
    n = len(fmt)
    spec.kind = "none"
    i = start
    while i < n and fmt[i] != ord("%"):
        i += 1
    if i != start or i >= n:
        return i - start
    spec.flags = 0
    while True:
        i += 1
        c = fmt[i] if i < n else 0
        flag = {ord("-"): LEFT, ord("+"): PLUS, ord(" "): SPACE, ord("#"): SPECIAL,
                ord("0"): ZEROPAD}.get(c)
        if flag is None:
            break
        spec.flags |= flag

    def at(j: int) -> int:
        return fmt[j] if j < n else 0

    spec.width = -1
    if isdigit(at(i)):
        width = 0
        while isdigit(at(i)):
            width = width * 10 + at(i) - 48
            i += 1
        spec.width = min(width, FIELD_WIDTH_MAX)
    qualifier = ""
    if at(i) in b"hlLzZt":
        qualifier = chr(at(i))
        i += 1
        if qualifier in "lh" and at(i) == ord(qualifier):
            qualifier = qualifier.upper() if qualifier == "h" else "L"
            i += 1
    spec.base = 10
    c = at(i)
    simple = {ord("c"): "char", ord("s"): "str", ord("p"): "ptr", ord("%"): "percent"}
    if c in simple:
        spec.kind = simple[c]
        return i + 1 - start
    if c == ord("o"):
        spec.base = 8
    elif c == ord("x"):
        spec.flags |= SMALL
        spec.base = 16
    elif c == ord("X"):
        spec.base = 16
    elif c in b"di":
        spec.flags |= SIGN
    elif c != ord("u"):
        spec.kind = "invalid"
        return i - start
    spec.kind = "int"
    spec.signed = bool(spec.flags & SIGN)
    spec.size = {"L": 8, "l": 8, "z": 8, "Z": 8, "t": 8, "H": 1, "h": 2}.get(qualifier, 4)
    return i + 1 - start


class Sink:
    """The output: a buffer of ``size`` bytes; ``pos`` counts everything, kept or not."""

    def __init__(self, size: int):
        self.size = size
        self.buf = bytearray(size)
        self.pos = 0

    def put(self, c: int) -> None:
        if self.pos < self.size:
            self.buf[self.pos] = c
        self.pos += 1

    def put_bytes(self, raw: bytes) -> None:
        room = self.size - self.pos
        if room > 0:
            chunk = raw[:room]
            self.buf[self.pos:self.pos + len(chunk)] = chunk
        self.pos += len(raw)

    def fill(self, c: int, count: int) -> None:
        if count > 0:
            room = min(count, max(0, self.size - self.pos))
            self.buf[self.pos:self.pos + room] = bytes([c]) * room
            self.pos += count


def number(out: Sink, num: int, spec: Spec) -> None:
    """lib/vsprintf.c number(): sign, "0x" prefix, padding and digits (no precision: bpf has none)."""
    flags, width = spec.flags, spec.width
    need_prefix = bool(flags & SPECIAL) and spec.base != 10
    if flags & LEFT:
        flags &= ~ZEROPAD
    sign = 0
    num &= (1 << 64) - 1
    if flags & SIGN:
        if num >> 63:
            sign, num = ord("-"), (1 << 64) - num
            width -= 1
        elif flags & PLUS:
            sign = ord("+")
            width -= 1
        elif flags & SPACE:
            sign = ord(" ")
            width -= 1
    if need_prefix:
        width -= 2 if spec.base == 16 else (1 if num else 0)
    if spec.base == 10:
        digits = str(num)
    elif spec.base == 16:
        digits = f"{num:x}" if flags & SMALL else f"{num:X}"
    else:
        digits = f"{num:o}"
    width -= len(digits)
    if not flags & (ZEROPAD | LEFT):
        out.fill(ord(" "), width)
        width = 0
    if sign:
        out.put(sign)
    if need_prefix:
        if spec.base == 16 or num:
            out.put(ord("0"))
        if spec.base == 16:
            out.put(ord("x") if flags & SMALL else ord("X"))
    if not flags & LEFT:
        out.fill(ord("0") if flags & ZEROPAD else ord(" "), width)
        width = 0
    out.put_bytes(digits.encode())
    out.fill(ord(" "), width)


def string(out: Sink, text: bytes, spec: Spec) -> None:
    """string_nocheck() + widen_string(): the text, padded with spaces to the field width."""
    pad = spec.width - len(text)
    if pad > 0 and not spec.flags & LEFT:
        out.fill(ord(" "), pad)
    out.put_bytes(text)
    if pad > 0 and spec.flags & LEFT:
        out.fill(ord(" "), pad)


def pointer_string(out: Sink, ptr: int, spec: Spec) -> None:
    """%px: the address in lowercase hex, by default zero-padded to 16 digits."""
    spec = Spec(kind="ptr", flags=spec.flags | SMALL, width=spec.width, base=16)
    if spec.width == -1:
        spec.width = 16
        spec.flags |= ZEROPAD
    number(out, ptr, spec)


def pointer_hash(ptr: int) -> int:
    """The playground's stand-in for the kernel's siphash of a %p pointer: 32 bits, deterministic."""
    z = (ptr + 0x9E3779B97F4A7C15) & ((1 << 64) - 1)
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & ((1 << 64) - 1)
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & ((1 << 64) - 1)
    return (z ^ (z >> 31)) & 0xFFFF_FFFF


def pointer(out: Sink, ext: int, ptr: int, spec: Spec) -> None:
    """lib/vsprintf.c pointer() for the extensions bpf lets through."""
    if ext in b"Ss":
        string(out, symbol_text(ptr).encode(), spec)
    elif ext == ord("x"):
        pointer_string(out, ptr, spec)
    elif ptr == 0 or ptr >= (1 << 64) - 4095:  # IS_ERR_OR_NULL: printed as they are
        pointer_string(out, ptr, spec)
    else:  # %p, %pK: hashed
        pointer_string(out, pointer_hash(ptr), spec)


def bstr_printf(fmt: bytes, args: bytes, size: int) -> tuple[bytes, int]:
    """Render ``fmt`` with the binary arguments into ``size`` bytes.

    Returns (the bytes written, NUL included, at most ``size``; the length of the
    whole text). With size 0 nothing is written.
    """
    out = Sink(size)
    spec = Spec()
    at = 0  # read position in args

    def get(nbytes: int, align: int, signed: bool = False) -> int:
        nonlocal at
        at = (at + align - 1) & ~(align - 1)
        raw = args[at:at + nbytes].ljust(nbytes, b"\0")
        at += nbytes
        return int.from_bytes(raw, "little", signed=signed)

    i, n = 0, len(fmt)
    while i < n:
        read = format_decode(fmt, i, spec)
        piece, i = fmt[i:i + read], i + read
        kind = spec.kind
        if kind == "none":
            out.put_bytes(piece)
        elif kind == "char":
            if not spec.flags & LEFT:
                out.fill(ord(" "), spec.width - 1)
            out.put(get(1, 1))
            if spec.flags & LEFT:
                out.fill(ord(" "), spec.width - 1)
        elif kind == "str":
            end = args.find(b"\0", at)
            end = len(args) if end < 0 else end
            text, at = args[at:end], end + 1
            string(out, text, spec)
        elif kind == "ptr":
            ext = fmt[i] if i < n else 0
            if ext in b"SsFfxK" or not isalnum(ext):
                pointer(out, ext, get(8, 4), spec)
            elif out.pos < size:  # pre-rendered by prepare: copied, unless the output is full
                end = args.find(b"\0", at)
                end = len(args) if end < 0 else end
                out.put_bytes(args[at:end])
                at = end + 1
            while i < n and isalnum(fmt[i]):
                i += 1
        elif kind == "percent":
            out.put(ord("%"))
        elif kind == "invalid":
            break
        else:
            size_ = spec.size
            value = get(size_, min(size_, 4), signed=spec.signed)
            number(out, value, spec)
    length = out.pos
    if size > 0:
        if out.pos < size:
            out.buf[out.pos] = 0
            return bytes(out.buf[:out.pos + 1]), length
        out.buf[size - 1] = 0
    return bytes(out.buf), length
