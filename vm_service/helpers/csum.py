"""Internet checksums: bpf_csum_diff, bpf_l3_csum_replace, bpf_l4_csum_replace.

The checksum of IP, TCP and UDP headers is a ones'-complement sum of 16-bit
words (RFC 1071). The kernel keeps partial sums as 32-bit ``__wsum`` values
and folds them to the 16-bit ``__sum16`` stored in a header. Ones'-complement
addition is end-around-carry addition; it does not depend on byte order, so
the arithmetic here takes words as the x86-64 kernel does, little-endian
loads of the bytes in memory, and the values a program passes (``from``,
``to``) as those same loads would give them.

An end-around-carry sum is zero only when every term is zero; that is why
the kernel's answers can differ between 0x0000 and 0xffff (both are "zero"
in ones' complement) and why the functions below add term by term exactly
as the kernel's do (``csum_add``, ``csum_sub``, ``csum_fold``,
``csum_from32to16``, ``csum_partial``).

In BPF_PROG_TEST_RUN an skb's ``ip_summed`` is CHECKSUM_NONE, so no
``skb->csum`` is kept up to date and the BPF_F_PSEUDO_HDR, BPF_F_IPV6 and
BPF_F_RECOMPUTE_CSUM flags change nothing but what they are allowed to be.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .linux import EFAULT, EINVAL
from .skb import packet_context

if TYPE_CHECKING:
    from ..machine import Machine

M32, M16 = 0xFFFF_FFFF, 0xFFFF
CSUM_MANGLED_0 = 0xFFFF

# bpf_l3/l4_csum_replace flags (include/uapi/linux/bpf.h)
BPF_F_HDR_FIELD_MASK = 0xF
BPF_F_PSEUDO_HDR = 1 << 4
BPF_F_MARK_MANGLED_0 = 1 << 5
BPF_F_MARK_ENFORCE = 1 << 6
BPF_F_IPV6 = 1 << 7
L4_FLAGS = BPF_F_HDR_FIELD_MASK | BPF_F_PSEUDO_HDR | BPF_F_MARK_MANGLED_0 | \
    BPF_F_MARK_ENFORCE | BPF_F_IPV6


# -- the kernel's checksum arithmetic ------------------------------------------------------

def csum_add(a: int, b: int) -> int:
    """32-bit end-around-carry addition."""
    total = (a & M32) + (b & M32)
    return (total & M32) + (total >> 32)


def csum_sub(a: int, b: int) -> int:
    return csum_add(a, ~b & M32)


def csum_fold(csum: int) -> int:
    """A 32-bit partial sum folded to 16 bits and complemented: the header's value."""
    csum &= M32
    total = (csum + (((csum >> 16) | (csum << 16)) & M32)) & M32
    return ~(total >> 16) & M16


def csum_from32to16(csum: int) -> int:
    """A 32-bit partial sum folded to 16 bits, not complemented."""
    csum &= M32
    total = (csum + (((csum >> 16) | (csum << 16)) & M32)) & M32
    return total >> 16


def csum_partial(data: bytes, seed: int) -> int:
    """The 32-bit partial sum of ``data`` (little-endian 32-bit words) onto ``seed``."""
    total = seed & M32
    padded = bytes(data) + bytes(-len(data) % 4)
    for i in range(0, len(padded), 4):
        total = csum_add(total, int.from_bytes(padded[i:i + 4], "little"))
    return total


def csum16_add(csum: int, addend: int) -> int:
    total = (csum & M16) + (addend & M16)
    return (total & M16) + (total >> 16)


def csum_replace4(sum16: int, old: int, new: int) -> int:
    return csum_fold(csum_add(csum_sub(~sum16 & M32, old), new))


def csum_replace2(sum16: int, old: int, new: int) -> int:
    return ~csum16_add(csum16_add(~sum16 & M16, ~old & M16), new) & M16


def csum_replace_by_diff(sum16: int, diff: int) -> int:
    return csum_fold(csum_add(diff, ~sum16 & M32))


# -- the helpers ---------------------------------------------------------------------------

def csum_diff(m: "Machine", src: int, src_size: int, dst: int, dst_size: int, seed: int) -> int:
    """bpf_csum_diff(from, from_size, to, to_size, seed): the checksum difference of two
    buffers, added to ``seed`` and folded to 16 bits (not complemented).

    Either buffer may be empty: to_size alone sums ``to`` onto the seed,
    from_size alone subtracts ``from`` from it; with neither, the seed folds.
    Linux 6.18 takes any sizes (older kernels wanted whole 32-bit words); a
    trailing part word counts zero-padded, as csum_partial() reads it.
    """
    src_size &= M32
    dst_size &= M32
    seed &= M32
    old = m.memory.read_bytes(src, src_size) if src_size else b""
    new = m.memory.read_bytes(dst, dst_size) if dst_size else b""
    if src_size and dst_size:
        return csum_from32to16(csum_sub(csum_partial(new, seed), csum_partial(old, 0)))
    if dst_size:
        return csum_from32to16(csum_partial(new, seed))
    if src_size:
        return csum_from32to16(~csum_partial(old, ~seed & M32) & M32)
    return csum_from32to16(seed)


def _checksum_field(m: "Machine", offset: int) -> tuple[object, int] | int:
    """The packet offset of the 16-bit checksum at ``offset`` from skb->data, or -EFAULT."""
    context = packet_context(m)
    packet = context.packet
    offset &= M32
    if offset > 0xFFFF or offset & 1 or offset + 2 > packet.length:
        return -EFAULT
    return context, packet.data + offset


def l3_csum_replace(m: "Machine", ctx: int, offset: int, old: int, new: int,
                    flags: int) -> int:
    """bpf_l3_csum_replace(skb, offset, from, to, size): update an IP header checksum
    for a field that changed from ``from`` to ``to``; size 2 or 4, or 0 with ``to``
    a checksum difference (bpf_csum_diff's) and ``from`` 0."""
    if flags & ~BPF_F_HDR_FIELD_MASK:
        return -EINVAL
    found = _checksum_field(m, offset)
    if isinstance(found, int):
        return found
    context, at = found
    size = flags & BPF_F_HDR_FIELD_MASK
    if size == 0 and old:
        return -EINVAL
    if size not in (0, 2, 4):
        return -EINVAL
    packet = context.packet
    packet.pull()
    current = int.from_bytes(packet.read(at, 2), "little")
    if size == 0:
        value = csum_replace_by_diff(current, new)
    elif size == 2:
        value = csum_replace2(current, old, new)
    else:
        value = csum_replace4(current, old & M32, new & M32)
    packet.write(at, value.to_bytes(2, "little"))
    context.packet_changed()
    return 0


def l4_csum_replace(m: "Machine", ctx: int, offset: int, old: int, new: int,
                    flags: int) -> int:
    """bpf_l4_csum_replace(skb, offset, from, to, flags): the same for a TCP/UDP checksum.

    BPF_F_MARK_MANGLED_0 leaves a zero checksum alone (UDP's "no checksum";
    BPF_F_MARK_ENFORCE updates it anyway) and writes a result of zero as 0xffff.
    """
    if flags & ~L4_FLAGS:
        return -EINVAL
    found = _checksum_field(m, offset)
    if isinstance(found, int):
        return found
    context, at = found
    packet = context.packet
    packet.pull()
    current = int.from_bytes(packet.read(at, 2), "little")
    mangled_zero = bool(flags & BPF_F_MARK_MANGLED_0)
    if mangled_zero and not flags & BPF_F_MARK_ENFORCE and current == 0:
        return 0
    size = flags & BPF_F_HDR_FIELD_MASK
    if size == 0:
        if old:
            return -EINVAL
        value = csum_replace_by_diff(current, new)
    elif size in (2, 4):
        # inet_proto_csum_replace4: the sum of { ~from, to } (2-byte values widened to
        # 32 bits first) onto the complemented checksum.
        width = M16 if size == 2 else M32
        words = (~(old & width) & M32).to_bytes(4, "little") + (new & width).to_bytes(4, "little")
        value = csum_fold(csum_partial(words, ~current & M32))
    else:
        return -EINVAL
    if mangled_zero and value == 0:
        value = CSUM_MANGLED_0
    packet.write(at, value.to_bytes(2, "little"))
    context.packet_changed()
    return 0
