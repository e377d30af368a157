"""The map model on its own: each type's semantics, flags, errnos, user-space view, snapshots.

What the live kernel can confirm is confirmed in ``test_maps_kernel.py``; the
tests here pin the behaviour down without it, including what the kernel
shows only to programs (live value pointers, storage reuse, ref bits).
"""

from __future__ import annotations

import copy
import struct

import pytest

from vm_service import btf
from vm_service.maps import (BPF_ANY, BPF_EXIST, BPF_F_LOCK, BPF_NOEXIST, BPF_RB_AVAIL_DATA,
                             BPF_RB_CONS_POS, BPF_RB_FORCE_WAKEUP, BPF_RB_NO_WAKEUP,
                             BPF_RB_PROD_POS, BPF_RB_RING_SIZE, E2BIG, EAGAIN, EBADF, EEXIST,
                             EINVAL, ENOENT, ENOMEM, ENOSPC, ENOTSUPP, EOPNOTSUPP, EPERM,
                             MapChange, MapError, MapFlag, MapSpec, MapType, Record, create_map,
                             diff, lpm_key)
from vm_service.maps.jhash import jhash


def u32(n: int) -> bytes:
    return struct.pack("<I", n)


def u64(n: int) -> bytes:
    return struct.pack("<Q", n)


def make(type_: MapType, key_size: int, value_size: int, max_entries: int, flags: int = 0,
         ncpus: int = 2, **kw):
    return create_map(MapSpec(type_, key_size, value_size, max_entries, flags, **kw), ncpus)


def refused(spec: MapSpec) -> int:
    with pytest.raises(MapError) as info:
        create_map(spec)
    return info.value.errno


# -- type numbers -------------------------------------------------------------------------

@pytest.fixture(scope="module")
def vmlinux():
    try:
        return btf.load(btf.VMLINUX)
    except OSError as error:
        pytest.skip(f"cannot read {btf.VMLINUX}: {error}")


def test_map_type_numbers_are_the_running_kernels(vmlinux):
    kernel_enum = vmlinux.enum("bpf_map_type")
    assert {t.name: t.value for t in MapType} == {
        t.name: kernel_enum["BPF_MAP_TYPE_" + t.name] for t in MapType}


def test_map_flag_values_are_the_running_kernels(vmlinux):
    flags = next(vmlinux.enumerators(t) for t in vmlinux.types
                 if t.kind in (btf.BtfKind.ENUM, btf.BtfKind.ENUM64) and not t.name
                 and "BPF_F_NO_PREALLOC" in vmlinux.enumerators(t))
    assert {f.name: f.value for f in MapFlag} == {
        f.name: flags["BPF_F_" + f.name] for f in MapFlag}


def test_jhash_is_lookup3():
    # the values lookup3.c's own driver prints for hashlittle()
    assert jhash(b"") == 0xDEADBEEF
    assert jhash(b"Four score and seven years ago") == 0x17770551
    assert jhash(b"Four score and seven years ago", 1) == 0xCD628161


# -- creation -----------------------------------------------------------------------------

@pytest.mark.parametrize("spec, errno", [
    (MapSpec(MapType.ARRAY, 8, 4, 1), EINVAL),                     # array keys are u32
    (MapSpec(MapType.ARRAY, 4, 0, 1), EINVAL),
    (MapSpec(MapType.ARRAY, 4, 4, 0), EINVAL),
    (MapSpec(MapType.PERCPU_ARRAY, 4, 32769, 1), E2BIG),           # PCPU_MIN_UNIT_SIZE
    (MapSpec(MapType.PERCPU_ARRAY, 4, 8, 1, MapFlag.MMAPABLE), EINVAL),
    (MapSpec(MapType.HASH, 0, 4, 1), EINVAL),
    (MapSpec(MapType.HASH, 4, 4, (1 << 27) + 1), E2BIG),           # the bucket array's limit
    (MapSpec(MapType.HASH, 4, (1 << 22) - 52, 1), E2BIG),          # KMALLOC_MAX_SIZE
    (MapSpec(MapType.HASH, 4, 4, 1, MapFlag.NO_COMMON_LRU), EINVAL),
    (MapSpec(MapType.LRU_HASH, 4, 4, 1, MapFlag.NO_PREALLOC), ENOTSUPP),
    (MapSpec(MapType.LPM_TRIE, 8, 4, 1), EINVAL),                   # needs NO_PREALLOC
    (MapSpec(MapType.LPM_TRIE, 4, 4, 1, MapFlag.NO_PREALLOC), EINVAL),
    (MapSpec(MapType.QUEUE, 4, 4, 1), EINVAL),                      # keyless
    (MapSpec(MapType.RINGBUF, 0, 0, 12288), EINVAL),                # not a power of two
    (MapSpec(MapType.RINGBUF, 0, 0, 2048), EINVAL),                 # not page aligned
    (MapSpec(MapType.PROG_ARRAY, 4, 8, 1), EINVAL),                 # values are fds
    (MapSpec(MapType.ARRAY, 4, 4, 1, MapFlag.RDONLY | MapFlag.WRONLY), EINVAL),
    (MapSpec(MapType.ARRAY, 4, 4, 1, 1 << 19), EINVAL),             # a flag no type knows
    (MapSpec(MapType.ARRAY, 4, 4, 1, MapFlag.TOKEN_FD), EINVAL),
    (MapSpec(MapType.ARRAY, 4, 4, 1, name="has-dash"), EINVAL),
    (MapSpec(MapType.ARRAY, 4, 4, 1, name="x" * 16), EINVAL),
    (MapSpec(MapType.ARRAY_OF_MAPS, 4, 4, 1), EBADF),               # no inner template
    (MapSpec(MapType.ARRAY_OF_MAPS, 4, 4, 1, inner=MapSpec(MapType.PROG_ARRAY, 4, 4, 1)),
     ENOTSUPP),
    (MapSpec(MapType.HASH_OF_MAPS, 4, 4, 1, inner=MapSpec(
        MapType.ARRAY_OF_MAPS, 4, 4, 1, inner=MapSpec(MapType.ARRAY, 4, 4, 1))), EINVAL),
    (MapSpec(MapType.HASH, 4, 8, 1, spin_lock_off=6), EINVAL),
    (MapSpec(MapType.LRU_HASH, 4, 8, 1, spin_lock_off=0), EOPNOTSUPP),
])
def test_it_refuses_specs_the_kernel_refuses(spec, errno):
    assert refused(spec) == errno


def test_the_first_failing_check_decides_the_errno():
    # alloc_check's EINVAL (bad flag) comes before alloc's E2BIG (too many buckets)
    assert refused(MapSpec(MapType.HASH, 4, 4, (1 << 27) + 1, 1 << 19)) == EINVAL


def test_a_per_cpu_lru_gets_a_multiple_of_the_cpu_count():
    assert make(MapType.LRU_HASH, 4, 4, 3, MapFlag.NO_COMMON_LRU, ncpus=2).max_entries == 4
    assert make(MapType.LRU_HASH, 4, 4, 3, ncpus=2).max_entries == 3


def test_a_map_beyond_the_playgrounds_memory_is_enomem():
    assert refused(MapSpec(MapType.ARRAY, 4, 1 << 20, 1 << 12)) == ENOMEM


def test_maps_are_numbered():
    a, b = make(MapType.ARRAY, 4, 4, 1), make(MapType.ARRAY, 4, 4, 1)
    assert a.id > 0 and b.id > a.id


# -- arrays ---------------------------------------------------------------------------------

def test_array_updates_overwrite_the_same_storage():
    m = make(MapType.ARRAY, 4, 8, 4)
    live = m.lookup(u32(1))
    assert live == bytes(8)
    assert m.update(u32(1), b"abcdefgh", BPF_ANY) == 0
    assert m.lookup(u32(1)) is live and live == b"abcdefgh"
    live[0:1] = b"X"                       # a program's store lands in the map
    assert m.user_lookup(u32(1)) == b"Xbcdefgh"


def test_array_flags_and_bounds():
    m = make(MapType.ARRAY, 4, 4, 4)
    assert m.update(u32(0), b"abcd", BPF_NOEXIST) == -EEXIST
    assert m.update(u32(0), b"abcd", BPF_EXIST) == 0
    assert m.update(u32(4), b"abcd", BPF_ANY) == -E2BIG
    assert m.update(u32(0), b"abcd", 3) == -EINVAL
    assert m.update(u32(0), b"abcd", BPF_F_LOCK) == -EINVAL      # no spin lock in the value
    assert m.lookup(u32(4)) is None and m.user_lookup(u32(4)) is None
    assert m.delete(u32(0)) == -EINVAL and m.user_delete(u32(0)) == -EINVAL


def test_array_iteration_restarts_at_zero_for_a_key_past_the_end():
    m = make(MapType.ARRAY, 4, 4, 3)
    assert m.get_next_key(None) == u32(0)
    assert m.get_next_key(u32(1)) == u32(2)
    assert m.get_next_key(u32(2)) is None
    assert m.get_next_key(u32(99)) == u32(0)
    assert m.keys() == [u32(0), u32(1), u32(2)]


def test_per_cpu_array_programs_see_their_cpu_and_user_space_sees_all():
    m = make(MapType.PERCPU_ARRAY, 4, 5, 2, ncpus=3)
    assert m.update(u32(0), b"ABCDE", BPF_ANY, cpu=1) == 0
    assert m.lookup(u32(0), cpu=1) == b"ABCDE" and m.lookup(u32(0), cpu=0) == bytes(5)
    assert m.lookup(u32(0), cpu=3) is None
    assert m.user_lookup(u32(0)) == bytes(8) + b"ABCDE\0\0\0" + bytes(8)


def test_per_cpu_array_keeps_the_padding_user_space_wrote():
    m = make(MapType.PERCPU_ARRAY, 4, 5, 1, ncpus=2)
    value = bytes(range(1, 17))
    assert m.user_update(u32(0), value) == 0
    assert m.user_lookup(u32(0)) == value
    assert m.lookup(u32(0), cpu=1) == bytes(range(9, 14))       # programs see value_size bytes
    assert m.user_update(u32(0), value, BPF_NOEXIST) == -EEXIST


def test_spin_locked_array_updates_skip_the_lock():
    m = make(MapType.ARRAY, 4, 8, 1, spin_lock_off=4)
    live = m.lookup(u32(0))
    live[4:8] = b"\1\0\0\0"                # held
    assert m.update(u32(0), b"abcdefgh", BPF_F_LOCK) == 0
    assert live == b"abcd\1\0\0\0"
    assert m.user_lookup(u32(0)) == b"abcd\0\0\0\0"             # user copies read the lock as 0


# -- hash maps ------------------------------------------------------------------------------

def test_hash_flags_and_full_map():
    m = make(MapType.HASH, 4, 4, 2)
    assert m.update(u32(1), b"aaaa", BPF_EXIST) == -ENOENT
    assert m.update(u32(1), b"aaaa", BPF_NOEXIST) == 0
    assert m.update(u32(1), b"bbbb", BPF_NOEXIST) == -EEXIST
    assert m.update(u32(2), b"cccc", BPF_ANY) == 0
    assert m.update(u32(3), b"dddd", BPF_ANY) == -E2BIG
    assert m.update(u32(3), b"dddd", BPF_EXIST) == -ENOENT        # flags before fullness
    assert m.update(u32(1), b"eeee", BPF_ANY) == 0                # replacing is fine when full
    assert m.update(u32(1), b"eeee", 3) == -EINVAL
    assert m.delete(u32(9)) == -ENOENT
    assert m.user_lookup(u32(1)) == b"eeee"


def test_hash_update_gives_the_key_new_storage_and_old_pointers_keep_old_bytes():
    m = make(MapType.HASH, 4, 4, 4, MapFlag.NO_PREALLOC)
    old = m.lookup(u32(1)) if m.update(u32(1), b"old!", BPF_ANY) == 0 else None
    assert m.update(u32(1), b"new!", BPF_ANY) == 0
    assert m.lookup(u32(1)) is not old
    assert old == b"old!" and m.lookup(u32(1)) == b"new!"


def test_preallocated_hash_recycles_the_replaced_element_on_the_next_replace():
    m = make(MapType.HASH, 4, 4, 4)
    m.update(u32(1), b"v1..", BPF_ANY, cpu=0)
    first = m.lookup(u32(1))
    m.update(u32(1), b"v2..", BPF_ANY, cpu=0)          # first becomes cpu 0's spare
    assert first == b"v1.."
    m.update(u32(2), b"x...", BPF_ANY, cpu=0)
    m.update(u32(2), b"y...", BPF_ANY, cpu=0)          # the spare takes key 2's new value
    assert m.lookup(u32(2)) is first and first == b"y..."


def test_preallocated_hash_reuses_deleted_storage_for_the_next_insert():
    m = make(MapType.HASH, 4, 4, 4)
    m.update(u32(1), b"gone", BPF_ANY)
    stale = m.lookup(u32(1))
    m.delete(u32(1))
    m.update(u32(7), b"next", BPF_ANY)
    assert m.lookup(u32(7)) is stale and stale == b"next"


def test_spin_locked_hash_updates_in_place():
    m = make(MapType.HASH, 4, 8, 4, spin_lock_off=0)
    assert m.update(u32(1), b"\0\0\0\0abcd", BPF_ANY) == 0
    live = m.lookup(u32(1))
    assert m.update(u32(1), b"\0\0\0\0wxyz", BPF_F_LOCK) == 0
    assert m.lookup(u32(1)) is live and live[4:] == b"wxyz"
    assert m.update(u32(2), b"\0" * 8, BPF_F_LOCK | BPF_EXIST) == -ENOENT


def test_hash_iteration_follows_buckets_and_restarts_for_a_missing_key():
    m = make(MapType.HASH, 4, 4, 8, MapFlag.ZERO_SEED)
    for k in range(8):
        m.update(u32(k), b"....", BPF_ANY)
    order = m.keys()
    assert sorted(order) == sorted(u32(k) for k in range(8))
    buckets = [jhash(key) & 7 for key in order]
    assert buckets == sorted(buckets)
    assert m.get_next_key(u32(100)) == order[0]
    assert m.get_next_key(order[-1]) is None


def test_per_cpu_hash_program_insert_zeroes_the_other_cpus():
    m = make(MapType.PERCPU_HASH, 4, 4, 4, ncpus=2)
    assert m.user_update(u32(1), b"AAAA\0\0\0\0BBBB\0\0\0\0") == 0
    assert m.update(u32(2), b"CCCC", BPF_ANY, cpu=1) == 0
    assert m.user_lookup(u32(2)) == bytes(8) + b"CCCC" + bytes(4)
    live = m.lookup(u32(1), cpu=0)
    assert m.update(u32(1), b"DDDD", BPF_ANY, cpu=0) == 0       # in place, that CPU only
    assert live == b"DDDD" and m.user_lookup(u32(1)) == b"DDDD\0\0\0\0BBBB\0\0\0\0"
    assert m.update(u32(1), b"DDDD", BPF_F_LOCK) == -EINVAL


def test_user_lookup_and_delete_takes_a_hash_element():
    m = make(MapType.HASH, 4, 4, 4)
    m.user_update(u32(1), b"abcd")
    assert m.user_lookup_and_delete(u32(1)) == b"abcd"
    assert m.user_lookup(u32(1)) is None
    with pytest.raises(MapError) as info:
        make(MapType.ARRAY, 4, 4, 1).user_lookup_and_delete(u32(0))
    assert info.value.errno == ENOTSUPP


# -- LRU hash maps -----------------------------------------------------------------------------

def test_lru_evicts_instead_of_failing():
    m = make(MapType.LRU_HASH, 4, 4, 8, ncpus=1)
    for k in range(20):
        assert m.update(u32(k), b"....", BPF_ANY) == 0
    assert 0 < len(m.keys()) <= 8
    assert u32(19) in m.keys()


def test_lru_evicts_in_batches_from_the_inactive_tail():
    # one CPU, 8 nodes: the local batch is 4 nodes; the first refill after the
    # free list runs dry flushes keys 4..7 as inactive and evicts the 4 oldest inactive
    m = make(MapType.LRU_HASH, 4, 4, 8, ncpus=1)
    for k in range(8):
        m.update(u32(k), b"....", BPF_ANY)
    m.update(u32(8), b"....", BPF_ANY)
    assert sorted(struct.unpack("<I", k)[0] for k in m.keys()) == [4, 5, 6, 7, 8]


def test_lru_program_lookups_protect_an_element():
    def survivors(touch: bool) -> set[int]:
        m = make(MapType.LRU_HASH, 4, 4, 8, ncpus=1)
        for k in range(8):
            m.update(u32(k), b"....", BPF_ANY)
        m.update(u32(8), b"....", BPF_ANY)             # keys 0..3 go, 4..7 stay inactive
        if touch:
            m.lookup(u32(4))                           # a program's lookup sets the ref bit
        for k in range(9, 13):
            m.update(u32(k), b"....", BPF_ANY)
        return {struct.unpack("<I", k)[0] for k in m.keys()}
    assert 4 not in survivors(touch=False)
    assert 4 in survivors(touch=True)


def test_lru_user_lookups_do_not_count_as_use():
    m = make(MapType.LRU_HASH, 4, 4, 8, ncpus=1)
    for k in range(9):
        m.update(u32(k), b"....", BPF_ANY)
    m.user_lookup(u32(4))
    for k in range(9, 13):
        m.update(u32(k), b"....", BPF_ANY)
    assert u32(4) not in m.keys()


def test_lru_replacing_a_key_takes_a_new_node():
    m = make(MapType.LRU_HASH, 4, 4, 8, ncpus=1)
    m.update(u32(1), b"old.", BPF_ANY)
    old = m.lookup(u32(1))
    m.update(u32(1), b"new.", BPF_ANY)
    assert m.lookup(u32(1)) is not old and old == b"old."
    assert m.update(u32(1), b"x...", BPF_F_LOCK) == -EINVAL


def test_lru_per_cpu_updates_existing_values_in_place():
    m = make(MapType.LRU_PERCPU_HASH, 4, 4, 8, ncpus=2)
    m.update(u32(1), b"aaaa", BPF_ANY, cpu=0)
    live = m.lookup(u32(1), cpu=0)
    assert m.update(u32(1), b"bbbb", BPF_EXIST, cpu=0) == 0
    assert live == b"bbbb"


# -- LPM tries --------------------------------------------------------------------------------

def ip(prefixlen: int, *octets: int) -> bytes:
    return lpm_key(prefixlen, bytes(octets))


def trie(max_entries: int = 16):
    return make(MapType.LPM_TRIE, 8, 4, max_entries, MapFlag.NO_PREALLOC)


def test_lpm_lookup_returns_the_longest_matching_prefix():
    m = trie()
    m.update(ip(16, 192, 168, 0, 0), b"/16.", BPF_ANY)
    m.update(ip(24, 192, 168, 1, 0), b"/24.", BPF_ANY)
    assert m.user_lookup(ip(32, 192, 168, 1, 7)) == b"/24."
    assert m.user_lookup(ip(32, 192, 168, 2, 7)) == b"/16."
    assert m.user_lookup(ip(32, 10, 0, 0, 1)) is None
    assert m.user_lookup(ip(20, 192, 168, 1, 7)) == b"/16."     # a shorter query prefix
    assert m.lookup(ip(33, 192, 168, 1, 7)) is None


def test_lpm_update_and_delete_want_the_exact_prefix():
    m = trie(max_entries=2)
    assert m.update(ip(24, 10, 0, 0, 0), b"a...", BPF_EXIST) == -ENOENT
    assert m.update(ip(24, 10, 0, 0, 0), b"a...", BPF_NOEXIST) == 0
    assert m.update(ip(24, 10, 0, 0, 0), b"b...", BPF_NOEXIST) == -EEXIST
    assert m.update(ip(8, 10, 0, 0, 0), b"c...", BPF_ANY) == 0
    assert m.update(ip(16, 10, 0, 0, 0), b"d...", BPF_ANY) == -ENOSPC
    assert m.update(ip(33, 10, 0, 0, 0), b"d...", BPF_ANY) == -EINVAL
    assert m.delete(ip(16, 10, 0, 0, 0)) == -ENOENT
    assert m.delete(ip(24, 10, 0, 0, 0)) == 0
    assert m.user_lookup(ip(32, 10, 0, 0, 1)) == b"c..."
    assert m.delete(ip(40, 10, 0, 0, 0)) == -EINVAL


def test_lpm_replacing_a_prefix_gives_it_new_storage():
    m = trie()
    m.update(ip(24, 10, 0, 0, 0), b"old.", BPF_ANY)
    old = m.lookup(ip(32, 10, 0, 0, 1))
    m.update(ip(24, 10, 0, 0, 0), b"new.", BPF_ANY)
    assert old == b"old." and m.lookup(ip(32, 10, 0, 0, 1)) == b"new."


def test_lpm_iterates_more_specific_prefixes_first():
    # the example in the kernel's lpm_trie.c
    m = trie()
    for key in (ip(16, 192, 168, 0, 0), ip(24, 192, 168, 0, 0), ip(24, 192, 168, 128, 0),
                ip(24, 192, 168, 1, 0)):
        m.update(key, b"....", BPF_ANY)
    expected = [ip(24, 192, 168, 0, 0), ip(24, 192, 168, 1, 0), ip(24, 192, 168, 128, 0),
                ip(16, 192, 168, 0, 0)]
    assert m.keys() == expected
    assert [k for k, _ in m.items()] == expected
    assert m.get_next_key(ip(24, 9, 9, 9, 9)) == expected[0]


def test_lpm_keeps_key_bits_past_the_prefix():
    m = trie()
    m.update(ip(8, 10, 1, 2, 3), b"....", BPF_ANY)
    assert m.keys() == [ip(8, 10, 1, 2, 3)]
    assert m.user_lookup(ip(32, 10, 9, 9, 9)) == b"...."


# -- queues and stacks -------------------------------------------------------------------------

def test_queue_is_fifo_and_stack_is_lifo():
    q, s = make(MapType.QUEUE, 0, 1, 3), make(MapType.STACK, 0, 1, 3)
    for m in (q, s):
        for v in b"abc":
            assert m.push(bytes([v]), BPF_ANY) == 0
    assert [q.pop() for _ in range(3)] == [b"a", b"b", b"c"]
    assert [s.pop() for _ in range(3)] == [b"c", b"b", b"a"]
    assert q.pop() == -ENOENT and s.peek() == -ENOENT


def test_a_full_queue_refuses_unless_bpf_exist_drops_the_oldest():
    for type_, after in ((MapType.QUEUE, b"b"), (MapType.STACK, b"d")):
        m = make(type_, 0, 1, 3)
        for v in b"abc":
            m.push(bytes([v]))
        assert m.push(b"d", BPF_ANY) == -E2BIG
        assert m.push(b"d", BPF_EXIST) == 0
        assert m.peek() == after
        assert [v for _, v in m.items()] == [b"b", b"c", b"d"]     # the oldest went, both kinds
        assert m.push(b"e", BPF_NOEXIST) == -EINVAL
        assert m.push(b"e", BPF_F_LOCK) == -EINVAL


def test_queue_from_user_space():
    m = make(MapType.QUEUE, 0, 2, 4)
    assert m.user_update(b"", b"hi") == 0
    assert m.user_lookup(b"") == b"hi"            # a peek
    assert m.user_lookup_and_delete(b"") == b"hi"  # a pop
    assert m.user_lookup(b"") is None
    assert m.user_delete(b"") == -EINVAL
    assert m.update(b"", b"hi") == -EINVAL and m.lookup(b"") is None
    with pytest.raises(MapError) as info:
        m.get_next_key(None)
    assert info.value.errno == EINVAL


# -- ring buffers --------------------------------------------------------------------------------

def ring(size: int = 4096):
    return make(MapType.RINGBUF, 0, 0, size)


def test_ringbuf_accounts_header_and_alignment():
    m = ring()
    assert m.output(b"12345", 0) == 0                 # 8 + 5 -> 16 bytes
    assert m.query(BPF_RB_PROD_POS) == 16 and m.query(BPF_RB_AVAIL_DATA) == 16
    rec = m.reserve(8)                                # 16 bytes, still busy
    assert m.query(BPF_RB_PROD_POS) == 32
    assert m.consume() == [b"12345"]                  # stops at the busy record
    assert m.query(BPF_RB_CONS_POS) == 16
    rec[:] = b"abcdefgh"
    m.submit(rec)
    assert m.consume() == [b"abcdefgh"]
    assert m.query(BPF_RB_AVAIL_DATA) == 0 and m.query(BPF_RB_RING_SIZE) == 4096
    assert m.query(99) == 0


def test_ringbuf_discarded_records_are_skipped_but_consume_space():
    m = ring()
    m.discard(m.reserve(3))
    m.output(b"kept", 0)
    assert m.consume() == [b"kept"]
    assert m.query(BPF_RB_CONS_POS) == 32


def test_ringbuf_refuses_when_the_producer_would_lap_the_consumer():
    m = ring()
    assert m.reserve(4096) is None                   # 8 + 4096 does not fit at all
    assert m.reserve(4096 - 16) is not None          # 4088 bytes: fits
    assert m.output(b"", 0) == -EAGAIN               # 8 more would be 4096 ahead
    assert m.output(b"x", 4) == -EINVAL


def test_ringbuf_counts_wakeups():
    m = ring()
    m.output(b"a", 0)                                # the consumer waits at this record
    m.output(b"b", 0)                                # not at the consumer: no wake-up
    m.output(b"c", BPF_RB_FORCE_WAKEUP)
    m.consume()
    m.output(b"d", BPF_RB_NO_WAKEUP)
    assert m.wakeups == 2


def test_ringbuf_has_no_elements_for_user_space():
    m = ring()
    assert m.user_update(b"", b"") == -ENOTSUPP and m.user_delete(b"") == -ENOTSUPP
    with pytest.raises(MapError):
        m.user_lookup(b"")
    with pytest.raises(MapError):
        m.get_next_key(None)


def test_ringbuf_commit_of_a_foreign_record_is_a_caller_bug():
    m = ring()
    with pytest.raises(ValueError):
        m.submit(bytearray(4))


# -- perf event arrays ---------------------------------------------------------------------------

def test_perf_output_needs_an_event_on_that_cpu():
    m = make(MapType.PERF_EVENT_ARRAY, 4, 4, 2, ncpus=2)
    assert m.output(0, b"x", cpu=0) == -ENOENT
    m.attach_all()
    assert m.output(2, b"x", cpu=0) == -E2BIG
    assert m.output(1, b"x", cpu=0) == -EOPNOTSUPP
    assert m.output(0, b"hello", cpu=0) == 0
    assert m.output(1, b"", cpu=1) == 0
    assert m.consume() == [(0, b"hello" + bytes(7)), (1, bytes(4))]   # u32 size + data: 8-aligned
    assert m.consume() == []


def test_perf_buffer_overflow_loses_samples():
    m = make(MapType.PERF_EVENT_ARRAY, 4, 4, 1, ncpus=1)
    m.attach(0)
    m.buffer_size = 64
    assert m.output(0, bytes(20), cpu=0) == 0        # 8 + 24 = 32 bytes
    assert m.output(0, bytes(20), cpu=0) == 0
    assert m.output(0, bytes(20), cpu=0) == -ENOSPC
    assert m.snapshot().counters == (("lost[0]", 1),)


def test_perf_from_user_space():
    m = make(MapType.PERF_EVENT_ARRAY, 4, 4, 2)
    with pytest.raises(MapError) as info:
        m.user_lookup(u32(0))
    assert info.value.errno == ENOTSUPP
    assert m.user_update(u32(0), u32(3), BPF_NOEXIST) == -EINVAL
    assert m.user_update(u32(5), u32(3)) == -E2BIG
    assert m.user_update(u32(0), u32(3)) == -EBADF
    assert m.user_delete(u32(0)) == -ENOENT
    m.attach(0)
    assert m.user_delete(u32(0)) == 0


# -- program arrays and maps of maps -----------------------------------------------------------

def test_prog_array_slots_hold_program_handles():
    m = make(MapType.PROG_ARRAY, 4, 4, 4)
    assert m.get(1) is None
    assert m.set(1, 7) == 0 and m.get(1) == 7
    assert m.user_lookup(u32(1)) == u32(7)
    assert m.user_update(u32(2), u32(9), BPF_NOEXIST) == -EINVAL
    assert m.user_update(u32(4), u32(9)) == -E2BIG
    assert m.user_update(u32(2), u32(9)) == 0 and m.get(2) == 9
    assert m.user_delete(u32(3)) == -ENOENT and m.user_delete(u32(2)) == 0
    assert m.items() == [(u32(1), u32(7))]


def test_array_of_maps_stores_matching_maps():
    template = MapSpec(MapType.ARRAY, 4, 8, 4)
    outer = create_map(MapSpec(MapType.ARRAY_OF_MAPS, 4, 4, 2, inner=template))
    inner = create_map(template)
    assert outer.user_update(u32(0), inner) == 0
    assert outer.lookup(u32(0)) is inner
    assert outer.user_lookup(u32(0)) == u32(inner.id)
    assert outer.user_update(u32(1), create_map(MapSpec(MapType.ARRAY, 4, 8, 5))) == -EINVAL
    assert outer.user_update(u32(1), u32(3)) == -EBADF
    assert outer.user_update(u32(2), inner) == -E2BIG
    assert outer.user_update(u32(1), inner, BPF_NOEXIST) == -EINVAL
    assert outer.user_delete(u32(1)) == -ENOENT and outer.user_delete(u32(0)) == 0


def test_inner_map_flag_lets_array_sizes_differ():
    template = MapSpec(MapType.ARRAY, 4, 8, 4, MapFlag.INNER_MAP)
    outer = create_map(MapSpec(MapType.ARRAY_OF_MAPS, 4, 4, 2, inner=template))
    other = create_map(MapSpec(MapType.ARRAY, 4, 8, 9, MapFlag.INNER_MAP))
    assert outer.user_update(u32(0), other) == 0


def test_hash_of_maps_replaces_in_place_and_fills_up():
    template = MapSpec(MapType.HASH, 4, 4, 8)
    outer = create_map(MapSpec(MapType.HASH_OF_MAPS, 4, 4, 1, inner=template))
    a, b = create_map(template), create_map(MapSpec(MapType.HASH, 4, 4, 99))
    assert outer.user_update(u32(1), a, BPF_EXIST) == -ENOENT
    assert outer.user_update(u32(1), a) == 0
    assert outer.user_update(u32(1), b, BPF_NOEXIST) == -EEXIST
    assert outer.user_update(u32(1), b) == 0                   # max_entries may differ
    assert outer.lookup(u32(1)) is b
    assert outer.user_update(u32(2), a) == -E2BIG
    assert outer.items() == [(u32(1), u32(b.id))]
    assert outer.update(u32(1), u32(0)) == -EINVAL             # programs only look up


# -- user-space permissions ---------------------------------------------------------------------

def test_read_only_write_only_and_frozen_maps():
    ro = make(MapType.ARRAY, 4, 4, 1, MapFlag.RDONLY)
    assert ro.user_update(u32(0), b"abcd") == -EPERM and ro.freeze() == -EPERM
    assert ro.update(u32(0), b"abcd") == 0                      # programs may still write
    wo = make(MapType.HASH, 4, 4, 1, MapFlag.WRONLY)
    assert wo.user_update(u32(0), b"abcd") == 0
    with pytest.raises(MapError) as info:
        wo.user_lookup(u32(0))
    assert info.value.errno == EPERM
    m = make(MapType.HASH, 4, 4, 1)
    assert m.freeze() == 0 and m.freeze() == -EPERM
    assert m.user_update(u32(0), b"abcd") == -EPERM and m.user_delete(u32(0)) == -EPERM
    assert m.update(u32(0), b"abcd") == 0


def test_wrong_sizes_are_caller_bugs():
    m = make(MapType.HASH, 4, 4, 1)
    with pytest.raises(ValueError):
        m.update(b"abc", b"abcd")
    with pytest.raises(ValueError):
        m.user_update(u32(0), b"abcdef")
    with pytest.raises(ValueError):
        m.update(u32(0), b"abcd", cpu=2)


# -- seeding, snapshots, diffs --------------------------------------------------------------------

def test_seed_then_items_round_trip():
    m = make(MapType.HASH, 4, 4, 8)
    entries = [(u32(k), u32(k * k)) for k in range(5)]
    m.seed(entries)
    assert sorted(m.items()) == entries
    full = make(MapType.HASH, 4, 4, 1)
    with pytest.raises(MapError) as info:
        full.seed(entries)
    assert info.value.errno == E2BIG


def test_diff_reports_added_removed_and_changed_elements():
    m = make(MapType.HASH, 4, 4, 8)
    m.seed([(u32(1), b"one."), (u32(2), b"two.")])
    before = m.snapshot()
    m.update(u32(1), b"ONE.")
    m.delete(u32(2))
    m.update(u32(3), b"thr.")
    changes = diff(before, m.snapshot())
    assert sorted(changes, key=lambda c: c.kind) == [
        MapChange("added", u32(3), None, b"thr."),
        MapChange("changed", u32(1), b"one.", b"ONE."),
        MapChange("removed", u32(2), b"two.", None),
    ]
    assert diff(before, before) == []


def test_snapshots_are_immutable_pictures():
    m = make(MapType.ARRAY, 4, 4, 2)
    snap = m.snapshot()
    m.lookup(u32(0))[:] = b"zzzz"
    assert snap.entries == ((u32(0), bytes(4)), (u32(1), bytes(4)))
    assert hash(snap) == hash(copy.deepcopy(snap))


def test_stream_maps_snapshot_their_records():
    q = make(MapType.QUEUE, 0, 1, 4)
    q.push(b"a")
    q.push(b"b")
    before = q.snapshot()
    q.pop()
    q.push(b"c")
    assert diff(before, q.snapshot()) == [MapChange("added", 3, None, b"c"),
                                          MapChange("removed", 1, b"a", None)]
    r = ring()
    rec = r.reserve(2)
    r.output(b"xy")
    snap = r.snapshot()
    assert snap.records == (Record(0, b"\0\0", "busy"), Record(16, b"xy", "submitted"))
    assert dict(snap.counters) == {"producer_pos": 32, "consumer_pos": 0}
    rec[:] = b"ab"
    r.submit(rec)
    assert diff(snap, r.snapshot()) == [MapChange("changed", 0, b"\0\0", b"ab")]


# -- time travel: deepcopy keeps value aliasing ---------------------------------------------------

@pytest.mark.parametrize("spec, key", [
    (MapSpec(MapType.ARRAY, 4, 4, 2), u32(1)),
    (MapSpec(MapType.PERCPU_ARRAY, 4, 4, 2), u32(1)),
    (MapSpec(MapType.HASH, 4, 4, 2), u32(1)),
    (MapSpec(MapType.PERCPU_HASH, 4, 4, 2), u32(1)),
    (MapSpec(MapType.LRU_HASH, 4, 4, 8), u32(1)),
    (MapSpec(MapType.LPM_TRIE, 5, 4, 2, MapFlag.NO_PREALLOC), lpm_key(8, b"\x0a")),
])
def test_deepcopy_with_the_regions_keeps_them_aliased(spec, key):
    m = create_map(spec)
    assert m.update(key, b"abcd") == 0
    region = m.lookup(key, 0)
    m_copy, region_copy = copy.deepcopy((m, region))      # one memo, as time travel does
    assert region_copy is m_copy.lookup(key, 0) and region_copy is not region
    region_copy[:] = b"wxyz"
    assert m_copy.lookup(key, 0) == b"wxyz" and m.lookup(key, 0) == b"abcd"


def test_deepcopy_copes_with_a_trie_deeper_than_the_recursion_limit():
    m = make(MapType.LPM_TRIE, 4 + 64, 4, 1024, MapFlag.NO_PREALLOC)
    for prefixlen in range(64 * 8 + 1):                    # a chain 513 nodes deep
        m.update(lpm_key(prefixlen, bytes(64)), u32(prefixlen))
    deepest = m.lookup(lpm_key(512, bytes(64)))
    m_copy, deepest_copy = copy.deepcopy((m, deepest))
    assert m_copy.lookup(lpm_key(512, bytes(64))) is deepest_copy == u32(512)
    assert m_copy.items() == m.items()


def test_deepcopy_restores_lru_and_ringbuf_state():
    m = make(MapType.LRU_HASH, 4, 4, 8, ncpus=1)
    for k in range(9):
        m.update(u32(k), b"....")
    saved = copy.deepcopy(m)
    for k in range(9, 30):
        m.update(u32(k), b"....")
    for k in range(9, 30):
        saved.update(u32(k), b"....")
    assert saved.keys() == m.keys()
    r = ring()
    rec = r.reserve(4)
    r2, rec2 = copy.deepcopy((r, rec))
    r2.submit(rec2)
    assert r2.consume() == [bytes(4)] and r.consume() == []
