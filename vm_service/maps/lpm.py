"""Longest-prefix-match tries: BPF_MAP_TYPE_LPM_TRIE (``kernel/bpf/lpm_trie.c``, modelled).

Keys are ``struct bpf_lpm_trie_key``: a u32 ``prefixlen`` (host order, little
endian here) then ``key_size - 4`` data bytes, read big-endian bit by bit (an
IPv4 address as it appears on the wire). Lookups return the value of the
longest stored prefix that covers the key; update and delete want the exact
prefix. The kernel requires BPF_F_NO_PREALLOC.

The trie is the kernel's: a binary tree where each node holds a prefix, and
*intermediate* nodes (no value) exist only to split two subtrees, so every
intermediate node has exactly two children. Node data is stored as given,
including bits past the prefix, which ``get_next_key`` hands back as they were.
Iteration is postorder: more specific prefixes before the ones that cover them.

Updating an existing prefix installs a new node (the old one is freed after an
RCU grace period), so the value gets a new bytearray and a program's old
pointer keeps the old bytes. Deleting a node with two children only turns it
into an intermediate node.

A trie can be as deep as its keys have bits (2048), deeper than ``deepcopy``
can recurse, so the map copies its nodes itself, without recursion.
"""

from __future__ import annotations

import copy
import struct

from .base import (ACCESS_MASK, BPF_EXIST, BPF_NOEXIST, EEXIST, EINVAL, ENOENT, ENOSPC,
                   KMALLOC_MAX_SIZE, BpfMap, MapError, MapFlag, MapSpec, access_ok)

DATA_SIZE_MIN = 1
DATA_SIZE_MAX = 256
NODE_HEADER = 24      # sizeof(struct lpm_trie_node) before its data
VALUE_SIZE_MAX = KMALLOC_MAX_SIZE - DATA_SIZE_MAX - NODE_HEADER
LPM_FLAGS = int(MapFlag.NO_PREALLOC | MapFlag.NUMA_NODE | ACCESS_MASK)
PREFIXLEN = struct.Struct("<I")


def check_lpm_spec(spec: MapSpec) -> None:
    """``trie_alloc``'s checks (the trie has no separate alloc_check)."""
    flags = spec.map_flags
    problem = None
    if spec.max_entries == 0:
        problem = "max_entries must be at least 1"
    elif not flags & MapFlag.NO_PREALLOC:
        problem = "LPM tries must be created with BPF_F_NO_PREALLOC"
    elif flags & ~LPM_FLAGS or not access_ok(flags):
        problem = f"map_flags 0x{flags:x} are not valid for lpm_trie maps"
    elif not 4 + DATA_SIZE_MIN <= spec.key_size <= 4 + DATA_SIZE_MAX:
        problem = (f"LPM keys are a u32 prefixlen plus 1..{DATA_SIZE_MAX} data bytes: "
                   f"key_size must be 5..{4 + DATA_SIZE_MAX}")
    elif not 1 <= spec.value_size <= VALUE_SIZE_MAX:
        problem = f"value_size must be 1..{VALUE_SIZE_MAX}"
    if problem:
        raise MapError(EINVAL, problem)


def lpm_key(prefixlen: int, data: bytes) -> bytes:
    """Build a ``struct bpf_lpm_trie_key`` (e.g. ``lpm_key(24, bytes([10, 0, 0, 0]))``)."""
    return PREFIXLEN.pack(prefixlen) + bytes(data)


class Node:
    """``struct lpm_trie_node``; ``im`` marks an intermediate node (it has no value)."""

    __slots__ = ("prefixlen", "data", "value", "child", "im")

    def __init__(self, prefixlen: int, data: bytes, value: bytearray | None, im: bool = False):
        self.prefixlen = prefixlen
        self.data = data
        self.value = value
        self.child: list[Node | None] = [None, None]
        self.im = im


def _bit(data: bytes, index: int) -> int:
    return (data[index // 8] >> (7 - index % 8)) & 1


class LpmTrieMap(BpfMap):
    def __init__(self, spec: MapSpec, ncpus: int = 2, id: int = 0):
        super().__init__(spec, ncpus, id)
        self.data_size = spec.key_size - 4
        self.max_prefixlen = self.data_size * 8
        self.root: Node | None = None
        self.n_entries = 0

    def __deepcopy__(self, memo: dict) -> "LpmTrieMap":
        clone = type(self).__new__(type(self))
        memo[id(self)] = clone
        for name, value in vars(self).items():
            if name != "root":
                setattr(clone, name, copy.deepcopy(value, memo))
        clone.root = _copy_trie(self.root, memo)
        return clone

    # -- program side ---------------------------------------------------------------

    def lookup(self, key: bytes, cpu: int = 0) -> bytearray | None:
        """The live value of the longest stored prefix matching ``key``."""
        node = self._longest_match(*self._split(self._key(key)))
        return None if node is None else node.value

    def update(self, key: bytes, value: bytes, flags: int = 0, cpu: int = 0) -> int:
        """``trie_update_elem``: exact prefix; a new node (new storage) each time."""
        prefixlen, data = self._split(self._key(key))
        value = self._value(value)
        if flags > BPF_EXIST or prefixlen > self.max_prefixlen:
            return -EINVAL
        new = Node(prefixlen, data, bytearray(value))
        parent, side, node, matchlen = self._descend(prefixlen, data)
        if node is None:
            error = self._count_new(flags)
            if not error:
                self._set(parent, side, new)
            return error
        if node.prefixlen == matchlen:        # the same prefix: replace the node
            error = -EEXIST if not node.im and flags == BPF_NOEXIST else 0
            if node.im:
                error = self._count_new(flags)
            if not error:
                new.child = list(node.child)
                self._set(parent, side, new)
            return error
        error = self._count_new(flags)
        if error:
            return error
        if matchlen == prefixlen:             # the new prefix covers the node: above it
            new.child[_bit(node.data, matchlen)] = node
            self._set(parent, side, new)
            return 0
        split = Node(matchlen, node.data, None, im=True)
        split.child = [node, new] if _bit(data, matchlen) else [new, node]
        self._set(parent, side, split)
        return 0

    def delete(self, key: bytes, cpu: int = 0) -> int:
        """``trie_delete_elem``: exact prefix; intermediate nodes are tidied away."""
        prefixlen, data = self._split(self._key(key))
        if prefixlen > self.max_prefixlen:
            return -EINVAL
        grand, grand_side, parent = None, 0, None
        slot_parent, slot_side = None, 0
        node, matchlen = self.root, 0
        while node is not None:
            matchlen = self._match(node, prefixlen, data)
            if node.prefixlen != matchlen or node.prefixlen == prefixlen:
                break
            grand, grand_side = slot_parent, slot_side
            parent = node
            slot_parent, slot_side = node, _bit(data, node.prefixlen)
            node = node.child[slot_side]
        if (node is None or node.prefixlen != prefixlen or node.prefixlen != matchlen
                or node.im):
            return -ENOENT
        self.n_entries -= 1
        if node.child[0] is not None and node.child[1] is not None:
            node.im = True
            return 0
        if parent is not None and parent.im and node.child == [None, None]:
            other = parent.child[1] if parent.child[0] is node else parent.child[0]
            self._set(grand, grand_side, other)
            return 0
        self._set(slot_parent, slot_side, node.child[0] or node.child[1])
        return 0

    # -- syscall side ---------------------------------------------------------------

    def _user_lookup(self, key: bytes) -> bytes | None:
        node = self._longest_match(*self._split(key))
        return None if node is None else bytes(node.value)

    def _user_update(self, key: bytes, value, flags: int) -> int:
        return self.update(key, value, flags)

    def _user_delete(self, key: bytes) -> int:
        return self.delete(key)

    def _get_next_key(self, key: bytes | None) -> bytes | None:
        """``trie_get_next_key``: postorder; a key not stored restarts at the first."""
        if self.root is None:
            return None
        if key is None:
            return self._key_of(_leftmost(self.root))
        prefixlen, data = self._split(key)
        if prefixlen > self.max_prefixlen:
            return self._key_of(_leftmost(self.root))
        stack: list[Node] = []
        node, matchlen = self.root, 0
        while node is not None:
            stack.append(node)
            matchlen = self._match(node, prefixlen, data)
            if node.prefixlen != matchlen or node.prefixlen == prefixlen:
                break
            node = node.child[_bit(data, node.prefixlen)]
        if node is None or node.prefixlen != matchlen or node.im:
            return self._key_of(_leftmost(self.root))
        while len(stack) > 1:
            node, parent = stack.pop(), stack[-1]
            if parent.child[0] is node and parent.child[1] is not None:
                return self._key_of(_leftmost(parent.child[1]))
            if not parent.im:
                return self._key_of(parent)
        return None

    def items(self) -> list[tuple[bytes, bytes]]:
        self._check_readable()
        return [(self._key_of(node), bytes(node.value)) for node in self._postorder()]

    # -- helpers --------------------------------------------------------------------

    def _split(self, key: bytes) -> tuple[int, bytes]:
        return PREFIXLEN.unpack_from(key)[0], key[4:]

    def _key_of(self, node: Node) -> bytes:
        return PREFIXLEN.pack(node.prefixlen) + node.data

    def _match(self, node: Node, prefixlen: int, data: bytes) -> int:
        """How many leading bits of ``node`` and the key agree, up to the shorter prefix."""
        limit = min(node.prefixlen, prefixlen)
        diff = int.from_bytes(node.data, "big") ^ int.from_bytes(data, "big")
        return min(limit, self.max_prefixlen - diff.bit_length())

    def _longest_match(self, prefixlen: int, data: bytes) -> Node | None:
        if prefixlen > self.max_prefixlen:
            return None
        found, node = None, self.root
        while node is not None:
            matchlen = self._match(node, prefixlen, data)
            if matchlen == self.max_prefixlen:
                return node
            if matchlen < node.prefixlen:
                break
            if not node.im:
                found = node
            node = node.child[_bit(data, node.prefixlen)]
        return found

    def _descend(self, prefixlen: int, data: bytes):
        """Walk down as far as the key's bits allow: (parent, side, node there, matchlen)."""
        parent, side, node, matchlen = None, 0, self.root, 0
        while node is not None:
            matchlen = self._match(node, prefixlen, data)
            if node.prefixlen != matchlen or node.prefixlen == prefixlen:
                break
            parent, side = node, _bit(data, node.prefixlen)
            node = node.child[side]
        return parent, side, node, matchlen

    def _count_new(self, flags: int) -> int:
        """``trie_check_add_elem``."""
        if flags == BPF_EXIST:
            return -ENOENT
        if self.n_entries == self.max_entries:
            return -ENOSPC
        self.n_entries += 1
        return 0

    def _set(self, parent: Node | None, side: int, node: Node | None) -> None:
        if parent is None:
            self.root = node
        else:
            parent.child[side] = node

    def _postorder(self) -> list[Node]:
        out: list[Node] = []
        stack: list[tuple[Node, bool]] = [(self.root, False)] if self.root else []
        while stack:
            node, expanded = stack.pop()
            if expanded:
                if not node.im:
                    out.append(node)
                continue
            stack.append((node, True))
            for child in (node.child[1], node.child[0]):
                if child is not None:
                    stack.append((child, False))
        return out


def _leftmost(node: Node | None) -> Node:
    """The first node in postorder below ``node`` (intermediate nodes always have two children)."""
    found = None
    while node is not None:
        if node.im:
            node = node.child[0]
        else:
            found = node
            node = node.child[0] if node.child[0] is not None else node.child[1]
    return found


def _copy_trie(root: Node | None, memo: dict) -> Node | None:
    """Copy a trie breadth-first; values go through ``memo`` so regions stay aliased."""
    if root is None:
        return None

    def clone(node: Node) -> Node:
        new = Node(node.prefixlen, node.data, copy.deepcopy(node.value, memo), node.im)
        memo[id(node)] = new
        return new

    new_root = clone(root)
    pending = [(root, new_root)]
    while pending:
        old, new = pending.pop()
        for side, child in enumerate(old.child):
            if child is not None:
                new.child[side] = clone(child)
                pending.append((child, new.child[side]))
    return new_root
