"""The map model against the live kernel's maps: same spec, same operations, same answers.

Every test creates a real map with bpf(2) ``BPF_MAP_CREATE`` and a model map
from the same ``MapSpec``, applies one sequence of operations to both and
compares each answer (0 or -errno, the value or its absence, the next key)
and, at the end, every element in iteration order. Hash maps are created with
BPF_F_ZERO_SEED where the order is compared exactly; without it the kernel
seeds its hash at random and only the key sets are compared.

Program-side operations go through a small socket filter run with
``BPF_PROG_TEST_RUN`` (it looks up, updates or deletes the key its packet
carries), because only programs set LRU reference bits and per-CPU values of
one CPU. The ring-buffer test runs a BPF_PROG_TYPE_SYSCALL program instead. Tests that care which CPU runs pin this process to one CPU.

Each compared answer counts once with the ``kernel_comparisons`` fixture. Not
compared here: perf event output (it needs perf_event_open and a reader) and
program arrays holding programs (the model keeps handles, not fds).
"""

from __future__ import annotations

import contextlib
import mmap
import os
import random
import struct

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vm_service import kernel
from vm_service.maps import (BPF_ANY, BPF_EXIST, BPF_NOEXIST, MapError, MapFlag, MapSpec,
                             MapType, create_map, lpm_key)
from vm_service.maps.ringbuf import BPF_RINGBUF_BUSY_BIT, BPF_RINGBUF_DISCARD_BIT

pytestmark = pytest.mark.kernel

AVAILABLE, WHY = kernel.available()
NCPUS = kernel.possible_cpus() if AVAILABLE else 2
SETTINGS = settings(max_examples=int(os.environ.get("MAP_EXAMPLES", 30)), deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])
FLAGS = st.sampled_from([BPF_ANY, BPF_ANY, BPF_NOEXIST, BPF_EXIST, 3, 4])


@pytest.fixture(autouse=True)
def bpf_works():
    if not AVAILABLE:
        pytest.skip(f"the kernel cannot serve as the oracle: {WHY}")


def u32(n: int) -> bytes:
    return struct.pack("<I", n)


@contextlib.contextmanager
def pinned(cpu: int):
    """Run on exactly ``cpu`` (bpf(2) calls and test runs use the caller's CPU)."""
    before = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {cpu})
    try:
        yield cpu
    finally:
        os.sched_setaffinity(0, before)


def fd_open(fd: int) -> bool:
    try:
        os.fstat(fd)
    except OSError:
        return False
    return True


def usable_cpus() -> list[int]:
    return sorted(c for c in os.sched_getaffinity(0) if c < NCPUS)


# -- a tiny assembler for the helper programs ------------------------------------------------

def insn(op: int, dst: int = 0, src: int = 0, off: int = 0, imm: int = 0) -> bytes:
    return struct.pack("<BBhi", op, (src << 4) | dst, off, imm)


def ld_map(dst: int, fd: int, pseudo: int = 1, offset: int = 0) -> bytes:
    """ld_imm64 of a map fd (BPF_PSEUDO_MAP_FD) or a map value (BPF_PSEUDO_MAP_VALUE, 2)."""
    return insn(0x18, dst, pseudo, 0, fd) + insn(0, 0, 0, 0, offset)


MOV_IMM, MOV_REG, ADD_IMM, LDX_DW, STX_DW, ST_DW, ST_B = 0xB7, 0xBF, 0x07, 0x79, 0x7B, 0x7A, 0x72
JEQ_IMM, CALL, EXIT = 0x15, 0x85, 0x95
LOOKUP, UPDATE, DELETE, SKB_LOAD_BYTES = 1, 2, 3, 26
RINGBUF_OUTPUT, RINGBUF_RESERVE, RINGBUF_SUBMIT, RINGBUF_DISCARD, RINGBUF_QUERY = range(130, 135)


def element_program(fd: int) -> kernel.LoadResult:
    """A socket filter whose packet (after the Ethernet header) is
    {u64 op, u64 flags, u8 key[8], u8 value[16]}:
    op 0 looks the key up (r0 = found), 1 updates, 2 deletes (r0 = the helper's answer)."""
    code = b"".join([
        insn(MOV_REG, 6, 1),
        insn(MOV_REG, 1, 6), insn(MOV_IMM, 2, imm=0), insn(MOV_REG, 3, 10),
        insn(ADD_IMM, 3, imm=-64), insn(MOV_IMM, 4, imm=40),
        insn(CALL, imm=SKB_LOAD_BYTES),                      # the packet to fp-64
        insn(LDX_DW, 8, 10, -64),
        ld_map(1, fd),
        insn(MOV_REG, 2, 10), insn(ADD_IMM, 2, imm=-48),     # the key
        insn(JEQ_IMM, 8, off=5, imm=1),                      # -> update
        insn(JEQ_IMM, 8, off=9, imm=2),                      # -> delete
        insn(CALL, imm=LOOKUP), insn(JEQ_IMM, 0, off=1, imm=0), insn(MOV_IMM, 0, imm=1),
        insn(EXIT),
        insn(MOV_REG, 3, 10), insn(ADD_IMM, 3, imm=-40), insn(LDX_DW, 4, 10, -56),
        insn(CALL, imm=UPDATE), insn(EXIT),
        insn(CALL, imm=DELETE), insn(EXIT),
    ])
    loaded = kernel.prog_load(code, kernel.ProgType.SOCKET_FILTER)
    loaded.check()
    return loaded


def signed32(n: int) -> int:
    return n - (1 << 32) if n & (1 << 31) else n


# -- the two sides ---------------------------------------------------------------------------------

def errno_of(call, *args):
    """The model's answer with a refusal turned into -errno, as the kernel side reports it."""
    try:
        return call(*args)
    except MapError as error:
        return -error.errno


class KernelMap:
    """A real map driven like a model map: answers are values, None, 0 or -errno."""

    def __init__(self, spec: MapSpec, inner_fd: int = 0):
        self.spec = spec
        self.fd = kernel.map_create(spec.type, spec.key_size, spec.value_size, spec.max_entries,
                                    spec.map_flags, spec.name, inner_map_fd=inner_fd)
        self.program: kernel.LoadResult | None = None
        info = kernel.map_info(self.fd)
        self.value_size = (((info.value_size + 7) // 8 * 8) * NCPUS
                           if spec.type in kernel.PERCPU_MAP_TYPES else info.value_size)

    def close(self) -> None:
        if self.program is not None:
            self.program.close()
        kernel.close(self.fd)

    @staticmethod
    def _call(fn, *args):
        try:
            result = fn(*args)
        except kernel.KernelError as error:
            return -error.errno
        return 0 if result is None and fn in (kernel.map_update, kernel.map_delete) else result

    def update(self, key, value, flags=BPF_ANY):
        return self._call(kernel.map_update, self.fd, key, value, flags)

    def delete(self, key):
        return self._call(kernel.map_delete, self.fd, key)

    def lookup(self, key):
        return self._call(kernel.map_lookup, self.fd, key, self.value_size)

    def lookup_and_delete(self, key):
        return self._call(kernel.map_lookup_and_delete, self.fd, key, self.value_size)

    def next_key(self, key):
        return self._call(kernel.map_get_next_key, self.fd, key, self.spec.key_size)

    def keys(self) -> list[bytes]:
        return kernel.map_keys(self.fd, self.spec.key_size)

    def items(self) -> list[tuple[bytes, bytes]]:
        return [(key, self.lookup(key)) for key in self.keys()]

    def run(self, op: int, key: bytes, value: bytes = b"", flags: int = 0) -> int:
        """A program's lookup (0), update (1) or delete (2), on the calling CPU."""
        if self.program is None:
            self.program = element_program(self.fd)
        packet = struct.pack("<QQ", op, flags) + key.ljust(8, b"\0") + value.ljust(16, b"\0")
        # a socket filter's skb starts after the Ethernet header
        frame = bytes(kernel.ETH_HLEN) + packet
        return signed32(kernel.test_run(self.program.fd, frame).retval)


@contextlib.contextmanager
def both(spec: MapSpec, cpu: int = 0):
    """A kernel map and a model map made from ``spec``; the model's syscalls run on ``cpu``."""
    real = KernelMap(spec)
    try:
        model = create_map(spec, NCPUS)
        model.syscall_cpu = cpu
        yield real, model
    finally:
        real.close()


def model_run(model, op: int, key: bytes, value: bytes, flags: int, cpu: int) -> int:
    if op == 0:
        return int(model.lookup(key, cpu) is not None)
    if op == 1:
        return model.update(key, value, flags, cpu)
    return model.delete(key, cpu)


def same(kernel_comparisons, mine, theirs, what: str) -> None:
    kernel_comparisons()
    assert mine == theirs, f"{what}: model {mine!r}, kernel {theirs!r}"


def same_contents(kernel_comparisons, real: KernelMap, model, exact_order: bool) -> None:
    theirs, mine = real.items(), model.items()
    if not exact_order:
        theirs, mine = sorted(theirs), sorted(mine)
    same(kernel_comparisons, mine, theirs, "contents")


# -- creation -----------------------------------------------------------------------------------

SHAPES = [
    (MapType.ARRAY, 4, 8, 4), (MapType.ARRAY, 8, 8, 4), (MapType.ARRAY, 4, 0, 4),
    (MapType.ARRAY, 4, 8, 0), (MapType.PERCPU_ARRAY, 4, 32768, 2),
    (MapType.PERCPU_ARRAY, 4, 32769, 2), (MapType.HASH, 4, 8, 4), (MapType.HASH, 0, 8, 4),
    (MapType.HASH, 4, 8, 0), (MapType.HASH, 4, 8, (1 << 27) + 1),
    (MapType.HASH, 4, (1 << 22) - 52, 1), (MapType.HASH, 4, (1 << 22) - 53, 1),
    (MapType.PERCPU_HASH, 4, 32769, 1), (MapType.LRU_HASH, 4, 8, 3),
    (MapType.LRU_PERCPU_HASH, 4, 8, 3), (MapType.LPM_TRIE, 8, 8, 4), (MapType.LPM_TRIE, 4, 8, 4),
    (MapType.LPM_TRIE, 261, 8, 4), (MapType.LPM_TRIE, 8, 0, 4), (MapType.PROG_ARRAY, 4, 4, 4),
    (MapType.PROG_ARRAY, 4, 8, 4), (MapType.PERF_EVENT_ARRAY, 4, 4, 4), (MapType.QUEUE, 0, 8, 4),
    (MapType.QUEUE, 4, 8, 4), (MapType.STACK, 0, 0, 4), (MapType.RINGBUF, 0, 0, 4096),
    (MapType.RINGBUF, 0, 0, 12288), (MapType.RINGBUF, 0, 4, 4096), (MapType.RINGBUF, 0, 0, 0),
]


def kernel_create(spec: MapSpec, inner_fd: int = 0) -> tuple[int, int | None]:
    try:
        real = KernelMap(spec, inner_fd)
    except kernel.KernelError as error:
        return -error.errno, None
    max_entries = kernel.map_info(real.fd).max_entries
    real.close()
    return 0, max_entries


def model_create(spec: MapSpec) -> tuple[int, int | None]:
    try:
        return 0, create_map(spec, NCPUS).max_entries
    except MapError as error:
        return -error.errno, None


@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: f"{s[0].name}-{s[1]}-{s[2]}-{s[3]}")
def test_creation_answers_as_the_kernel_does_for_every_flag(kernel_comparisons, shape):
    type_, key_size, value_size, max_entries = shape
    # BPF_F_TOKEN_FD makes the kernel read a token from fd 0 (the spec's token_fd):
    # EINVAL when fd 0 is open and not a token, the model's answer; EBADF if closed
    bits = [bit for bit in range(20) if bit != 16 or fd_open(0)]
    for base in (0, MapFlag.NO_PREALLOC):
        for bit in [None, *bits]:
            flags = base | (0 if bit is None else 1 << bit)
            spec = MapSpec(type_, key_size, value_size, max_entries, flags)
            same(kernel_comparisons, model_create(spec), kernel_create(spec), f"create {spec}")


@pytest.mark.parametrize("name", ["ok_name", "a.b", "a-b", "x" * 15, "é", ""])
def test_map_names_are_checked_as_the_kernel_does(kernel_comparisons, name):
    spec = MapSpec(MapType.ARRAY, 4, 4, 1, name=name)
    same(kernel_comparisons, model_create(spec), kernel_create(spec), f"name {name!r}")


def test_a_name_of_sixteen_characters_is_refused_by_both(kernel_comparisons):
    # the kernel wrapper cuts str names to 15 bytes; bytes go in whole, with no NUL
    try:
        kernel.close(kernel.map_create(MapType.ARRAY, 4, 4, 1, 0, b"x" * 16))
        theirs = 0
    except kernel.KernelError as error:
        theirs = -error.errno
    mine = model_create(MapSpec(MapType.ARRAY, 4, 4, 1, name="x" * 16))[0]
    same(kernel_comparisons, mine, theirs, "16-character name")


# -- maps of maps -------------------------------------------------------------------------------

TEMPLATES = [
    MapSpec(MapType.ARRAY, 4, 8, 4), MapSpec(MapType.ARRAY, 4, 8, 4, MapFlag.INNER_MAP),
    MapSpec(MapType.HASH, 4, 8, 4), MapSpec(MapType.LRU_HASH, 4, 8, 4),
    MapSpec(MapType.PROG_ARRAY, 4, 4, 4), MapSpec(MapType.QUEUE, 0, 8, 4),
    MapSpec(MapType.RINGBUF, 0, 0, 4096),
    MapSpec(MapType.LPM_TRIE, 8, 8, 4, MapFlag.NO_PREALLOC),
]
CANDIDATES = [
    MapSpec(MapType.ARRAY, 4, 8, 4), MapSpec(MapType.ARRAY, 4, 8, 5),
    MapSpec(MapType.ARRAY, 4, 8, 5, MapFlag.INNER_MAP), MapSpec(MapType.HASH, 4, 8, 9),
    MapSpec(MapType.HASH, 4, 8, 4, MapFlag.NO_PREALLOC), MapSpec(MapType.LRU_HASH, 4, 8, 4),
    MapSpec(MapType.QUEUE, 0, 8, 9), MapSpec(MapType.RINGBUF, 0, 0, 8192),
    MapSpec(MapType.LPM_TRIE, 8, 8, 4, MapFlag.NO_PREALLOC),
]


@pytest.mark.parametrize("outer_type", [MapType.ARRAY_OF_MAPS, MapType.HASH_OF_MAPS])
@pytest.mark.parametrize("template", TEMPLATES, ids=lambda s: f"{s.type.name}-{s.map_flags}")
def test_maps_of_maps_take_the_inner_maps_the_kernel_takes(kernel_comparisons, outer_type,
                                                             template):
    template_fd = kernel.map_create(template.type, template.key_size, template.value_size,
                                    template.max_entries, template.map_flags)
    outer_spec = MapSpec(outer_type, 4, 4, 2, inner=template)
    real = None
    inners: list[tuple[int, object]] = []
    try:
        try:
            real = KernelMap(outer_spec, template_fd)
            theirs = 0
        except kernel.KernelError as error:
            theirs = -error.errno
        same(kernel_comparisons, model_create(outer_spec)[0], theirs, "create outer")
        if real is None:
            return
        model = create_map(outer_spec, NCPUS)
        for index, candidate in enumerate(CANDIDATES):
            fd = kernel.map_create(candidate.type, candidate.key_size, candidate.value_size,
                                   candidate.max_entries, candidate.map_flags)
            inner = create_map(candidate, NCPUS)
            inners.append((fd, inner))
            key = u32(index % 3)                       # index 2 is out of an array's range
            same(kernel_comparisons, model.user_update(key, inner),
                 real.update(key, u32(fd)), f"store {candidate}")
        for index in range(3):
            theirs = real.lookup(u32(index))
            mine = model.user_lookup(u32(index))
            owner = {kernel.map_info(fd).id: inner.id for fd, inner in inners}
            theirs = theirs if not isinstance(theirs, bytes) else u32(
                owner[struct.unpack("<I", theirs)[0]])
            same(kernel_comparisons, mine, theirs, f"lookup {index}")
            same(kernel_comparisons, model.user_delete(u32(index)), real.delete(u32(index)),
                 f"delete {index}")
    finally:
        for fd, _ in inners:
            kernel.close(fd)
        if real is not None:
            real.close()
        kernel.close(template_fd)


# -- arrays --------------------------------------------------------------------------------------

def array_ops(value_size: int, user_value_size: int):
    key = st.integers(0, 5).map(u32)
    return st.lists(st.one_of(
        st.tuples(st.just("update"), key, st.binary(min_size=user_value_size,
                                                    max_size=user_value_size), FLAGS),
        st.tuples(st.just("lookup"), key),
        st.tuples(st.just("delete"), key),
        st.tuples(st.just("next"), st.one_of(st.none(), key)),
        st.tuples(st.just("run"), key, st.binary(min_size=value_size, max_size=value_size),
                  FLAGS, st.sampled_from([0, 1, 2])),
    ), max_size=25)


def apply(kernel_comparisons, real: KernelMap, model, op: tuple, cpu: int,
          exact_order: bool = True) -> None:
    """One operation on both sides, its answers compared.

    Without ``exact_order`` (a hash map seeded at random) the order is the
    seed's: only a walk's start is compared (from no key or a missing key, both
    name some key of the map, or both say there is none); after a present key
    each side just has to answer one of its own keys or the end.
    """
    name, key = op[0], op[1]
    if name == "update":
        same(kernel_comparisons, model.user_update(key, op[2], op[3]),
             real.update(key, op[2], op[3]), f"update {op}")
    elif name == "lookup":
        same(kernel_comparisons, errno_of(model.user_lookup, key), real.lookup(key),
             f"lookup {key.hex()}")
    elif name == "delete":
        same(kernel_comparisons, model.user_delete(key), real.delete(key), f"delete {op}")
    elif name == "next":
        mine, theirs = errno_of(model.get_next_key, key), real.next_key(key)
        if exact_order:
            same(kernel_comparisons, mine, theirs, f"next key after {key}")
        elif key is None or key not in model.keys():
            same(kernel_comparisons, mine in model.keys(), theirs in real.keys(),
                 f"first key (after {key})")
        else:
            assert mine is None or mine in model.keys()
            assert theirs is None or theirs in real.keys()
    elif name == "pop":
        same(kernel_comparisons, errno_of(model.user_lookup_and_delete, key),
             real.lookup_and_delete(key), f"lookup and delete {op}")
    elif name == "run":
        value, flags, what = op[2], op[3], op[4]
        same(kernel_comparisons, model_run(model, what, key, value, flags, cpu),
             real.run(what, key, value, flags), f"program {('lookup', 'update', 'delete')[what]}"
                                                f" {op}")


@pytest.mark.parametrize("type_", [MapType.ARRAY, MapType.PERCPU_ARRAY])
@SETTINGS
@given(data=st.data())
def test_array_sequences_match_the_kernel(kernel_comparisons, type_, data):
    value_size = data.draw(st.sampled_from([1, 5, 8, 12]))
    spec = MapSpec(type_, 4, value_size, 4)
    cpu = usable_cpus()[-1]
    with pinned(cpu), both(spec, cpu) as (real, model):
        for op in data.draw(array_ops(value_size, model.user_value_size)):
            apply(kernel_comparisons, real, model, op, cpu)
        same_contents(kernel_comparisons, real, model, exact_order=True)


# -- hash maps -----------------------------------------------------------------------------------

def hash_ops(key_size: int, value_size: int, user_value_size: int, keys: int = 12):
    key = st.integers(0, keys - 1).map(lambda k: (k * 0x9E3779B1).to_bytes(8, "little")[:key_size])
    return st.lists(st.one_of(
        st.tuples(st.just("update"), key, st.binary(min_size=user_value_size,
                                                    max_size=user_value_size), FLAGS),
        st.tuples(st.just("lookup"), key),
        st.tuples(st.just("delete"), key),
        st.tuples(st.just("pop"), key),
        st.tuples(st.just("next"), st.one_of(st.none(), key)),
        st.tuples(st.just("run"), key, st.binary(min_size=value_size, max_size=value_size),
                  FLAGS, st.sampled_from([0, 1, 2])),
    ), max_size=30)


HASH_SPECS = [
    MapSpec(MapType.HASH, 4, 8, 6, MapFlag.ZERO_SEED),
    MapSpec(MapType.HASH, 3, 5, 6, MapFlag.ZERO_SEED | MapFlag.NO_PREALLOC),
    MapSpec(MapType.HASH, 8, 8, 6),
    MapSpec(MapType.PERCPU_HASH, 4, 5, 6, MapFlag.ZERO_SEED),
    MapSpec(MapType.PERCPU_HASH, 4, 8, 6, MapFlag.ZERO_SEED | MapFlag.NO_PREALLOC),
    MapSpec(MapType.LRU_HASH, 4, 8, 6, MapFlag.ZERO_SEED),
    MapSpec(MapType.LRU_HASH, 4, 8, 7, MapFlag.ZERO_SEED | MapFlag.NO_COMMON_LRU),
    MapSpec(MapType.LRU_PERCPU_HASH, 4, 4, 6, MapFlag.ZERO_SEED),
    MapSpec(MapType.LRU_PERCPU_HASH, 4, 4, 8, MapFlag.ZERO_SEED | MapFlag.NO_COMMON_LRU),
]


@pytest.mark.parametrize("spec", HASH_SPECS, ids=lambda s: f"{s.type.name}-{s.map_flags}")
@SETTINGS
@given(data=st.data())
def test_hash_sequences_match_the_kernel(kernel_comparisons, spec, data):
    cpu = usable_cpus()[-1]
    with pinned(cpu), both(spec, cpu) as (real, model):
        ops = data.draw(hash_ops(spec.key_size, spec.value_size, model.user_value_size))
        exact = bool(spec.map_flags & MapFlag.ZERO_SEED)
        for op in ops:
            apply(kernel_comparisons, real, model, op, cpu, exact)
        same_contents(kernel_comparisons, real, model, exact)


def test_a_full_hash_map_answers_e2big_and_iteration_restarts(kernel_comparisons):
    spec = MapSpec(MapType.HASH, 4, 4, 3, MapFlag.ZERO_SEED)
    with both(spec) as (real, model):
        for k in range(5):
            same(kernel_comparisons, model.user_update(u32(k), b"vvvv"),
                 real.update(u32(k), b"vvvv"), f"update {k}")
        same(kernel_comparisons, model.user_update(u32(9), b"vvvv", BPF_EXIST),
             real.update(u32(9), b"vvvv", BPF_EXIST), "BPF_EXIST on a full map")
        for key in (None, u32(77), *model.keys()):
            same(kernel_comparisons, model.get_next_key(key), real.next_key(key),
                 f"next after {key}")


# -- LRU: which keys survive -------------------------------------------------------------------------

LRU_SPECS = [MapSpec(t, 4, 8, n, MapFlag.ZERO_SEED | extra)
             for t in (MapType.LRU_HASH, MapType.LRU_PERCPU_HASH)
             for extra in (0, MapFlag.NO_COMMON_LRU)
             for n in (8, 16, 37, 300)]


@pytest.mark.parametrize("spec", LRU_SPECS, ids=lambda s: f"{s.type.name}-{s.map_flags}-"
                                                          f"{s.max_entries}")
@pytest.mark.parametrize("seed", range(3))
def test_lru_survivors_match_the_kernel_on_one_cpu(kernel_comparisons, spec, seed):
    """Updates, program lookups (which set ref bits) and deletes, from one CPU.

    After every step the surviving keys, in iteration order, must be the kernel's.
    """
    rnd = random.Random(seed)
    keys = rnd.choice([30, 60, 600])
    cpu = usable_cpus()[-1]
    with pinned(cpu), both(spec, cpu) as (real, model):
        for step in range(300):
            key = u32(rnd.randrange(keys))
            what = rnd.choice("uuuuullllld")
            if what == "u":
                flags = rnd.choice([BPF_ANY, BPF_ANY, BPF_ANY, BPF_NOEXIST, BPF_EXIST])
                value = bytes(model.user_value_size)
                same(kernel_comparisons, model.user_update(key, value, flags),
                     real.update(key, value, flags), f"step {step}: update")
            elif what == "l":
                same(kernel_comparisons, model_run(model, 0, key, b"", 0, cpu), real.run(0, key),
                     f"step {step}: program lookup")
            else:
                same(kernel_comparisons, model.user_delete(key), real.delete(key),
                     f"step {step}: delete")
            same(kernel_comparisons, model.keys(), real.keys(), f"step {step}: survivors")


@pytest.mark.parametrize("spec", LRU_SPECS[:3] + LRU_SPECS[4:7],
                         ids=lambda s: f"{s.type.name}-{s.map_flags}-{s.max_entries}")
def test_lru_survivors_match_the_kernel_when_cpus_take_turns(kernel_comparisons, spec):
    """Each step on a randomly chosen CPU: local lists, stealing and per-CPU lists in play.

    (With a single usable CPU this degenerates into the one-CPU test.)"""
    rnd = random.Random(7)
    cpus = usable_cpus()
    before = os.sched_getaffinity(0)
    try:
        with both(spec) as (real, model):
            for step in range(200):
                cpu = rnd.choice(cpus)
                os.sched_setaffinity(0, {cpu})
                model.syscall_cpu = cpu
                key = u32(rnd.randrange(40))
                if rnd.random() < 0.6:
                    same(kernel_comparisons, model.user_update(key, bytes(model.user_value_size)),
                         real.update(key, bytes(model.user_value_size)), f"step {step}: update")
                else:
                    same(kernel_comparisons, model_run(model, 0, key, b"", 0, cpu),
                         real.run(0, key), f"step {step}: program lookup")
                same(kernel_comparisons, model.keys(), real.keys(), f"step {step}: survivors")
    finally:
        os.sched_setaffinity(0, before)


def test_lru_evicts_a_batch_from_the_inactive_tail(kernel_comparisons):
    cpu = usable_cpus()[-1]
    spec = MapSpec(MapType.LRU_HASH, 4, 4, 4 * NCPUS, MapFlag.ZERO_SEED)
    with pinned(cpu), both(spec, cpu) as (real, model):
        for k in range(4 * NCPUS + 1):
            same(kernel_comparisons, model.user_update(u32(k), b"...."),
                 real.update(u32(k), b"...."), f"update {k}")
        same(kernel_comparisons, model.keys(), real.keys(), "survivors")
        assert len(model.keys()) < 4 * NCPUS       # a batch went, not just one key


# -- LPM tries -------------------------------------------------------------------------------------

def lpm_keys(data_size: int):
    return st.builds(lambda plen, data: lpm_key(plen, data),
                     st.integers(0, data_size * 8 + 1),
                     st.binary(min_size=data_size, max_size=data_size).map(
                         lambda b: bytes(x & 0xF0 for x in b)))


@SETTINGS
@given(data=st.data())
def test_lpm_sequences_match_the_kernel(kernel_comparisons, data):
    data_size = data.draw(st.sampled_from([1, 2, 4]))
    spec = MapSpec(MapType.LPM_TRIE, 4 + data_size, 4, 6, MapFlag.NO_PREALLOC)
    key = lpm_keys(data_size)
    ops = data.draw(st.lists(st.one_of(
        st.tuples(st.just("update"), key, st.binary(min_size=4, max_size=4), FLAGS),
        st.tuples(st.just("lookup"), key),
        st.tuples(st.just("delete"), key),
        st.tuples(st.just("next"), st.one_of(st.none(), key)),
        st.tuples(st.just("run"), key, st.binary(min_size=4, max_size=4), FLAGS,
                  st.sampled_from([0, 1, 2])),
    ), max_size=40))
    with both(spec) as (real, model):
        for op in ops:
            apply(kernel_comparisons, real, model, op, 0)
        same(kernel_comparisons, model.keys(), real.keys(), "postorder walk")
        same_contents(kernel_comparisons, real, model, exact_order=True)
        for k in model.keys() + [lpm_key(0, bytes(data_size))]:
            same(kernel_comparisons, model.get_next_key(k), real.next_key(k), f"next after {k}")


def test_lpm_walks_the_kernels_documented_example_in_its_order(kernel_comparisons):
    spec = MapSpec(MapType.LPM_TRIE, 8, 4, 8, MapFlag.NO_PREALLOC)
    with both(spec) as (real, model):
        for key in (lpm_key(16, bytes([192, 168, 0, 0])), lpm_key(24, bytes([192, 168, 0, 0])),
                    lpm_key(24, bytes([192, 168, 128, 0])), lpm_key(24, bytes([192, 168, 1, 0]))):
            same(kernel_comparisons, model.user_update(key, b"...."), real.update(key, b"...."),
                 "update")
        same(kernel_comparisons, model.keys(), real.keys(), "walk")


# -- queues and stacks -----------------------------------------------------------------------------

@pytest.mark.parametrize("type_", [MapType.QUEUE, MapType.STACK])
@SETTINGS
@given(data=st.data())
def test_queue_and_stack_sequences_match_the_kernel(kernel_comparisons, type_, data):
    max_entries = data.draw(st.integers(1, 4))
    spec = MapSpec(type_, 0, 3, max_entries)
    ops = data.draw(st.lists(st.one_of(
        st.tuples(st.just("update"), st.just(None), st.binary(min_size=3, max_size=3),
                  st.sampled_from([BPF_ANY, BPF_ANY, BPF_EXIST, BPF_NOEXIST, 3, 4, 8])),
        st.tuples(st.just("lookup"), st.just(None)),
        st.tuples(st.just("pop"), st.just(None)),
        st.tuples(st.just("delete"), st.just(None)),
        st.tuples(st.just("next"), st.just(None)),
    ), max_size=30))
    with both(spec) as (real, model):
        for op in ops:
            mine = (op[0], b"", *op[2:])
            name = op[0]
            if name == "update":
                same(kernel_comparisons, model.user_update(b"", op[2], op[3]),
                     real.update(None, op[2], op[3]), f"push {op}")
            elif name == "lookup":
                same(kernel_comparisons, model.user_lookup(b""), real.lookup(None), "peek")
            elif name == "pop":
                same(kernel_comparisons, model.user_lookup_and_delete(b""),
                     real.lookup_and_delete(None), "pop")
            elif name == "delete":
                same(kernel_comparisons, model.user_delete(b""), real.delete(None), "delete")
            else:
                same(kernel_comparisons, errno_of(model.get_next_key, None),
                     real.next_key(None), f"next {mine}")
        drained = []
        while (value := real.lookup_and_delete(None)) is not None:
            drained.append(value)
        expect = [v for _, v in model.items()]
        same(kernel_comparisons, expect if type_ is MapType.QUEUE else expect[::-1], drained,
             "what is left, in pop order")


# -- ring buffers ------------------------------------------------------------------------------------

PAGE = 4096
STACK_BUF = b"".join(struct.pack("<q", 0x01010101 * (j + 1)) for j in range(32))


def ringbuf_program(rb_fd: int, results_fd: int, ops: list[tuple]):
    """One program doing ``ops`` in order; each stores a u64 result in the results map.

    ("output", size): bpf_ringbuf_output from a 256-byte stack buffer -> 0 / -errno;
    ("reserve", size, submit): reserve, fill, submit or discard -> 1 if reserved;
    ("query", flag): bpf_ringbuf_query. Returns (bytecode, what each record holds).
    """
    code = [ld_map(6, results_fd, pseudo=2)]
    code += [insn(ST_DW, 10, 0, -256 + 8 * j, 0x01010101 * (j + 1)) for j in range(32)]
    contents = []
    for i, op in enumerate(ops):
        if op[0] == "output":
            code += [ld_map(1, rb_fd), insn(MOV_REG, 2, 10), insn(ADD_IMM, 2, imm=-256),
                     insn(MOV_IMM, 3, imm=op[1]), insn(MOV_IMM, 4, imm=0),
                     insn(CALL, imm=RINGBUF_OUTPUT), insn(STX_DW, 6, 0, 8 * i)]
            contents.append(STACK_BUF[:op[1]])
        elif op[0] == "query":
            code += [ld_map(1, rb_fd), insn(MOV_IMM, 2, imm=op[1]), insn(CALL, imm=RINGBUF_QUERY),
                     insn(STX_DW, 6, 0, 8 * i)]
            contents.append(None)
        else:
            size, submit = op[1], op[2]
            fill, body = [], b""
            for off in range(0, size - size % 8, 8):
                fill.append(insn(ST_DW, 7, 0, off, 0x0A0B0C00 + 16 * i + off))
                body += struct.pack("<q", 0x0A0B0C00 + 16 * i + off)
            for off in range(size - size % 8, size):
                fill.append(insn(ST_B, 7, 0, off, (i + off) & 0xFF))
                body += bytes([(i + off) & 0xFF])
            commit = [insn(MOV_REG, 1, 7), insn(MOV_IMM, 2, imm=0),
                      insn(CALL, imm=RINGBUF_SUBMIT if submit else RINGBUF_DISCARD),
                      insn(MOV_IMM, 8, imm=1)]
            code += [ld_map(1, rb_fd), insn(MOV_IMM, 2, imm=size), insn(MOV_IMM, 3, imm=0),
                     insn(CALL, imm=RINGBUF_RESERVE), insn(MOV_REG, 7, 0), insn(MOV_IMM, 8, imm=0),
                     insn(JEQ_IMM, 7, off=len(fill) + len(commit), imm=0),
                     *fill, *commit, insn(STX_DW, 6, 8, 8 * i)]
            contents.append(body)
    code += [insn(MOV_IMM, 0, imm=0), insn(EXIT)]
    return b"".join(code), contents


def ring_consume(fd: int, size: int) -> list[bytes]:
    """What a user-space consumer reads, through the ring's two mappings."""
    with mmap.mmap(fd, PAGE, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE) as consumer, \
            mmap.mmap(fd, PAGE + 2 * size, mmap.MAP_SHARED, mmap.PROT_READ,
                      offset=PAGE) as producer:
        cons = struct.unpack_from("<Q", consumer)[0]
        prod = struct.unpack_from("<Q", producer)[0]
        out = []
        while cons < prod:
            at = PAGE + (cons & (size - 1))
            header = struct.unpack_from("<I", producer, at)[0]
            if header & BPF_RINGBUF_BUSY_BIT:
                break
            length = header & ~(BPF_RINGBUF_BUSY_BIT | BPF_RINGBUF_DISCARD_BIT)
            if not header & BPF_RINGBUF_DISCARD_BIT:
                out.append(bytes(producer[at + 8:at + 8 + length]))
            cons += (length + 8 + 7) & ~7
        struct.pack_into("<Q", consumer, 0, cons)
    return out


RING_OPS = st.lists(st.one_of(
    st.tuples(st.just("output"), st.integers(0, 256)),
    st.tuples(st.just("reserve"), st.integers(0, 64), st.booleans()),
    st.tuples(st.just("query"), st.integers(0, 4)),
), min_size=1, max_size=24)


@SETTINGS
@given(rounds=st.lists(RING_OPS, min_size=1, max_size=3))
def test_ringbuf_records_and_positions_match_the_kernel(kernel_comparisons, rounds):
    size = PAGE
    rb_fd = kernel.map_create(MapType.RINGBUF, 0, 0, size)
    results_fd = kernel.map_create(MapType.ARRAY, 4, 8 * 24, 1)
    model = create_map(MapSpec(MapType.RINGBUF, 0, 0, size), NCPUS)
    try:
        for ops in rounds:
            code, contents = ringbuf_program(rb_fd, results_fd, ops)
            with kernel.prog_load(code, kernel.ProgType.SYSCALL, prog_flags=1 << 4) as loaded:
                loaded.check()
                kernel.run_syscall_prog(loaded.fd, b"")
            raw = kernel.map_lookup(results_fd, u32(0))
            theirs = [struct.unpack_from("<q", raw, 8 * i)[0] for i in range(len(ops))]
            mine = []
            for op, body in zip(ops, contents):
                if op[0] == "output":
                    mine.append(model.output(body))
                elif op[0] == "query":
                    mine.append(model.query(op[1]))
                else:
                    record = model.reserve(op[1])
                    if record is not None:
                        record[:] = body
                        (model.submit if op[2] else model.discard)(record)
                    mine.append(int(record is not None))
            same(kernel_comparisons, mine, theirs, f"results of {ops}")
            same(kernel_comparisons, model.consume(), ring_consume(rb_fd, size), "records")
    finally:
        kernel.close(rb_fd)
        kernel.close(results_fd)


# -- the other syscall answers ------------------------------------------------------------------------

@pytest.mark.parametrize("type_", [MapType.PROG_ARRAY, MapType.PERF_EVENT_ARRAY])
def test_fd_array_refusals_match_the_kernel(kernel_comparisons, type_):
    spec = MapSpec(type_, 4, 4, 2)
    with both(spec) as (real, model):
        checks = [
            ("lookup empty", lambda m: errno_of(m.user_lookup, u32(0)), lambda: real.lookup(u32(0))),
            ("lookup past the end", lambda m: errno_of(m.user_lookup, u32(5)),
             lambda: real.lookup(u32(5))),
            ("update with BPF_NOEXIST", lambda m: m.user_update(u32(0), u32(0), BPF_NOEXIST),
             lambda: real.update(u32(0), u32(0), BPF_NOEXIST)),
            ("update past the end", lambda m: m.user_update(u32(5), u32(0)),
             lambda: real.update(u32(5), u32(0))),
            ("delete empty", lambda m: m.user_delete(u32(0)), lambda: real.delete(u32(0))),
            ("delete past the end", lambda m: m.user_delete(u32(5)), lambda: real.delete(u32(5))),
            ("next key", lambda m: m.get_next_key(u32(1)), lambda: real.next_key(u32(1))),
            ("lookup and delete", lambda m: errno_of(m.user_lookup_and_delete, u32(0)),
             lambda: real.lookup_and_delete(u32(0))),
        ]
        for what, mine, theirs in checks:
            same(kernel_comparisons, mine(model), theirs(), what)


@pytest.mark.parametrize("flags", [0, MapFlag.RDONLY, MapFlag.WRONLY])
def test_permissions_and_freezing_match_the_kernel(kernel_comparisons, flags):
    spec = MapSpec(MapType.HASH, 4, 4, 4, flags)
    with both(spec) as (real, model):
        for _ in range(2):
            same(kernel_comparisons, model.user_update(u32(1), b"abcd"),
                 real.update(u32(1), b"abcd"), "update")
            same(kernel_comparisons, errno_of(model.user_lookup, u32(1)), real.lookup(u32(1)),
                 "lookup")
            same(kernel_comparisons, errno_of(model.get_next_key, None), real.next_key(None),
                 "next key")
            same(kernel_comparisons, model.user_delete(u32(7)), real.delete(u32(7)), "delete")
            frozen = KernelMap._call(kernel.map_freeze, real.fd)
            same(kernel_comparisons, model.freeze(), frozen if frozen else 0, "freeze")


def test_ringbuf_and_lpm_refuse_element_calls_as_the_kernel_does(kernel_comparisons):
    with both(MapSpec(MapType.RINGBUF, 0, 0, PAGE)) as (real, model):
        same(kernel_comparisons, errno_of(model.user_lookup, b""), real.lookup(None), "lookup")
        same(kernel_comparisons, model.user_update(b"", b""), real.update(None, b""), "update")
        same(kernel_comparisons, model.user_delete(b""), real.delete(None), "delete")
        same(kernel_comparisons, errno_of(model.get_next_key, None), real.next_key(None), "next")
    with both(MapSpec(MapType.LPM_TRIE, 8, 4, 4, MapFlag.NO_PREALLOC)) as (real, model):
        key = lpm_key(8, b"\x0a\0\0\0")
        same(kernel_comparisons, errno_of(model.user_lookup_and_delete, key),
             real.lookup_and_delete(key), "lookup and delete")
