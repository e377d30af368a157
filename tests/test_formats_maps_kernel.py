"""MAPS.json against the live kernel: libbpf's sequence replayed with bpf(2) gives the same maps.

For each map of a MAPS.json document the kernel side does what libbpf does
for a map it creates and fills: BPF_MAP_CREATE (``freeze`` adds
BPF_F_RDONLY_PROG, as for .rodata), BPF_MAP_UPDATE_ELEM of ``init_hex`` at
key 0 and of each entry, then BPF_MAP_FREEZE. ``create_maps`` must give the
same flags and contents, refuse what the kernel refuses with the same
errno, and leave frozen maps as read-only: to user space (EPERM) and to
programs (the verifier refuses a store, the machine faults on one).
"""

from __future__ import annotations

import contextlib
import errno
import json
import struct

import pytest

from vm_service import kernel
from vm_service.formats import create_maps, parse_maps
from vm_service.inputs import InputError
from vm_service.machine import Machine
from vm_service.maps import MapFlag, MapType
from vm_service.maps.base import round8
from vm_service.program import Program

pytestmark = pytest.mark.kernel

AVAILABLE, WHY = kernel.available()
NCPUS = kernel.possible_cpus() if AVAILABLE else 2
BPF_PSEUDO_MAP_VALUE = 2


@pytest.fixture(autouse=True)
def bpf_works():
    if not AVAILABLE:
        pytest.skip(f"the kernel cannot serve as the oracle: {WHY}")


DOCUMENT = {"maps": [
    {"name": "rodata", "type": "array", "key_size": 4, "value_size": 8, "max_entries": 1,
     "init_hex": "2a", "freeze": True},
    {"name": "counts", "type": "hash", "key_size": 4, "value_size": 8, "max_entries": 8,
     "entries": [{"key_hex": "01000000", "value_hex": "0500000000000000"},
                 {"key_hex": "02000000", "value_hex": "0600000000000000"},
                 {"key_hex": "01000000", "value_hex": "0700000000000000"}]},
    {"name": "percpu", "type": "percpu_array", "key_size": 4, "value_size": 4, "max_entries": 2,
     "init_hex": "09000000", "entries": [{"key_hex": "01000000", "value_hex": "03000000"}]},
    {"name": "routes", "type": "lpm_trie", "key_size": 8, "value_size": 4, "max_entries": 4,
     "map_flags": 1, "entries": [{"key_hex": "10000000 0a000000", "value_hex": "01000000"},
                                 {"key_hex": "18000000 0a000100", "value_hex": "02000000"}]},
    {"name": "jobs", "type": "queue", "key_size": 0, "value_size": 2, "max_entries": 4,
     "entries": [{"value_hex": "0100"}, {"value_hex": "0200"}], "freeze": False},
]}


def kernel_value(map_type: MapType, value: bytes, value_size: int) -> bytes:
    """What libbpf passes to BPF_MAP_UPDATE_ELEM: per-CPU maps take every CPU's value."""
    if map_type not in kernel.PERCPU_MAP_TYPES:
        return value
    return (value + bytes(round8(value_size) - value_size)) * NCPUS


@contextlib.contextmanager
def kernel_maps(document: dict):
    """The document's maps made with bpf(2), in libbpf's order; their fds."""
    fds: list[int] = []
    try:
        for m in document["maps"]:
            map_type = MapType[m["type"].upper()]
            flags = m.get("map_flags", 0) | (MapFlag.RDONLY_PROG if m.get("freeze") else 0)
            fd = kernel.map_create(map_type, m["key_size"], m["value_size"], m["max_entries"],
                                   int(flags), m.get("name", ""))
            fds.append(fd)
            keyless = m["key_size"] == 0
            if "init_hex" in m:
                init = bytes.fromhex(m["init_hex"]).ljust(m["value_size"], b"\0")
                kernel.map_update(fd, bytes(m["key_size"]),
                                  kernel_value(map_type, init, m["value_size"]))
            for entry in m.get("entries", []):
                key = None if keyless else bytes.fromhex(entry["key_hex"])
                value = bytes.fromhex(entry["value_hex"].replace(" ", ""))
                kernel.map_update(fd, key, kernel_value(map_type, value, m["value_size"]))
            if m.get("freeze"):
                kernel.map_freeze(fd)
        yield fds
    finally:
        for fd in fds:
            kernel.close(fd)


def contents(fd: int, bpf_map) -> tuple[list, list]:
    """Both sides' elements, sorted (queues: popped in order)."""
    if bpf_map.type is MapType.QUEUE:
        ours, theirs = [], []
        while (value := bpf_map.user_lookup_and_delete(b"")) is not None:
            ours.append(value)
        while (value := kernel.map_lookup_and_delete(fd, None)) is not None:
            theirs.append(value)
        return ours, theirs
    theirs = sorted((key, kernel.map_lookup(fd, key)) for key in kernel.map_keys(fd))
    return sorted(bpf_map.items()), theirs


def test_created_maps_have_the_kernels_flags_and_contents(kernel_comparisons):
    maps = create_maps(parse_maps(json.dumps(DOCUMENT)), ncpus=NCPUS)
    with kernel_maps(DOCUMENT) as fds:
        for fd, bpf_map in zip(fds, maps):
            info = kernel.map_info(fd)
            assert (info.type, info.key_size, info.value_size, info.max_entries, info.flags) == \
                (bpf_map.type, bpf_map.key_size, bpf_map.value_size, bpf_map.max_entries,
                 bpf_map.flags), bpf_map
            ours, theirs = contents(fd, bpf_map)
            assert ours == theirs, bpf_map
            kernel_comparisons(2)


def update_errno(fd: int, key: bytes, value: bytes) -> int:
    try:
        kernel.map_update(fd, key, value)
    except kernel.KernelError as error:
        return error.errno
    return 0


def test_a_frozen_map_refuses_user_space_writes_as_the_kernel_does(kernel_comparisons):
    maps = create_maps(parse_maps(json.dumps(DOCUMENT)), ncpus=NCPUS)
    with kernel_maps(DOCUMENT) as fds:
        for fd, bpf_map in zip(fds[:2], maps[:2]):      # frozen "rodata", unfrozen "counts"
            key, value = bytes(4), bytes(8)
            assert -bpf_map.user_update(key, value) == update_errno(fd, key, value)
            kernel_comparisons()
        assert update_errno(fds[0], bytes(4), bytes(8)) == errno.EPERM


def value_program(imm: int, store: bool) -> bytes:
    """r1 = &map[imm][0]; r0 = *(u32 *)r1; [*(u32 *)r1 = r0;] exit"""
    code = struct.pack("<BBhi", 0x18, BPF_PSEUDO_MAP_VALUE << 4 | 1, 0, imm)
    code += struct.pack("<BBhi", 0, 0, 0, 0)
    code += struct.pack("<BBhi", 0x61, 1 << 4 | 0, 0, 0)            # r0 = *(u32 *)(r1 + 0)
    if store:
        code += struct.pack("<BBhi", 0x63, 0 << 4 | 1, 0, 0)        # *(u32 *)(r1 + 0) = r0
    return code + struct.pack("<BBhi", 0x95, 0, 0, 0)


@pytest.mark.parametrize("store", [False, True], ids=["read", "write"])
def test_programs_may_read_a_frozen_map_but_not_write_it(kernel_comparisons, store):
    document = {"maps": [DOCUMENT["maps"][0]]}
    maps = create_maps(parse_maps(json.dumps(document)), ncpus=NCPUS)
    machine = Machine(Program.from_bytes(value_program(0, store)), maps=maps)
    event = machine.run()
    with kernel_maps(document) as [fd]:
        with kernel.prog_load(value_program(fd, store), kernel.ProgType.SOCKET_FILTER) as loaded:
            assert loaded.ok == (event.kind == "exit"), (event, loaded.log)
            if loaded.ok:
                assert kernel.test_run(loaded.fd, bytes(64)).retval == machine.regs[0] == 42
            else:
                assert "write into map forbidden" in loaded.log
    kernel_comparisons()


@pytest.mark.parametrize("map_document", [
    {"type": "lpm_trie", "key_size": 8, "value_size": 4, "max_entries": 4},
    {"type": "array", "key_size": 8, "value_size": 4, "max_entries": 4},
    {"type": "prog_array", "key_size": 4, "value_size": 4, "max_entries": 4, "freeze": True},
    {"type": "queue", "key_size": 4, "value_size": 4, "max_entries": 4},
    {"type": "hash", "key_size": 4, "value_size": 4, "max_entries": 4, "name": "bad-name"},
], ids=["lpm-without-no-prealloc", "array-u64-key", "frozen-prog-array", "queue-with-key",
        "bad-name"])
def test_it_refuses_what_the_kernel_refuses_with_its_errno(kernel_comparisons, map_document):
    document = {"maps": [map_document]}
    with pytest.raises(kernel.KernelError) as refused:
        with kernel_maps(document):
            pass
    with pytest.raises(InputError) as caught:
        create_maps(parse_maps(json.dumps(document)), ncpus=NCPUS)
    assert f": {errno.errorcode[refused.value.errno]}: " in caught.value.problem
    kernel_comparisons()
