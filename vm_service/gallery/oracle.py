"""Run a gallery example in the live kernel and in the playground, in the same shape.

The kernel is the oracle: ``kernel_outcome`` loads the whole object with the
``bpf()`` syscall (maps created and seeded, program arrays filled, as libbpf
does), takes the verifier's verdict and, for types BPF_PROG_TEST_RUN can run,
runs every packet in order on the same maps. ``playground_outcome`` does the
same with the playground's loader and engine. Both answer an ``Outcome``:
per event the return value and the packet out, then the maps' contents.

Maps are compared as user space reads them. Per-CPU values are summed over the
CPUs: the kernel runs a test on whichever CPU the syscall happens to use.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .. import kernel
from ..formats import events_from_json, maps_from_json
from ..loader import load_object
from ..loader.kernel_load import kernel_load_object
from ..loader.spec import ObjectSpec
from ..maps.base import PERCPU_TYPES, MapType
from .catalog import Example, source_of

# Map types whose contents user space cannot list (or lists as ids that differ per run).
UNLISTED = frozenset({"ringbuf", "prog_array", "perf_event_array", "array_of_maps",
                      "hash_of_maps", "queue", "stack"})


class ExampleError(Exception):
    """The example itself is broken (it does not compile): not a difference to report."""


@dataclass
class Outcome:
    """What one side did: its verdict, each event's r0 and packet out, and the maps after."""

    accepted: bool
    log: str = ""
    runs: list[dict] = field(default_factory=list)        # {"r0": int, "packet_out_hex": str}
    maps_after: dict[str, dict[str, str]] = field(default_factory=dict)


def compile_example(example: Example) -> bytes:
    """The example's object, compiled as the playground compiles user code."""
    from ..toolchain import compile_source
    result = compile_source(source_of(example), filename=f"{example.slug}.c")
    if not result.ok:
        raise ExampleError(f"{example.slug} does not compile:\n{result.raw}")
    warnings = [d for d in result.diagnostics if d["severity"] == "warning"]
    if warnings:
        raise ExampleError(f"{example.slug} compiles with warnings: {warnings}")
    return result.object


def load_example(example: Example, obj: bytes) -> ObjectSpec:
    return load_object(obj, name=example.slug)


def kernel_outcome(example: Example, spec: ObjectSpec) -> Outcome:
    """The live kernel's verdict and, where it can test-run the type, its results."""
    try:
        loaded = kernel_load_object(spec, log_level=kernel.LogLevel.BRANCHES)
    except kernel.KernelError as error:
        return Outcome(False, error.log or str(error))
    with loaded:
        for seed in example.maps:
            fd = loaded.map_fd(seed["name"])
            for entry in seed.get("entries", []):
                kernel.map_update(fd, bytes.fromhex(entry["key_hex"]),
                                  bytes.fromhex(entry["value_hex"]))
        outcome = Outcome(True)
        if not example.test_run:
            return outcome
        prog_fd = loaded.prog_fds[example.program]
        for event in events_from_json(example.events):
            result = kernel.test_run(prog_fd, event.packet)
            outcome.runs.append({"r0": result.retval, "packet_out_hex": result.data_out.hex()})
        for index, map_def in enumerate(spec.maps):
            if map_def.type not in UNLISTED:
                items = loaded.map_items(index)
                outcome.maps_after[map_def.name] = _listing(map_def.type, items,
                                                            map_def.value_size)
        return outcome


def playground_outcome(example: Example, spec: ObjectSpec) -> Outcome:
    """The playground's results for the same events and maps."""
    from ..pipeline import from_object
    config = maps_from_json({"maps": example.maps}) if example.maps else None
    runnable = from_object(spec, section=example.program, maps_config=config)
    instance = runnable.instance()
    outcome = Outcome(True)
    for event in events_from_json(example.events):
        result = instance.run_event(event)
        if result.exit["kind"] != "exit":
            raise AssertionError(f"{example.slug}: {result.exit}")
        outcome.runs.append({"r0": result.r0, "packet_out_hex": (result.packet_out or b"").hex()})
    for map_def, live in zip(spec.maps, runnable.maps):
        if map_def.type not in UNLISTED:
            outcome.maps_after[map_def.name] = _listing(map_def.type, live.items(),
                                                        map_def.value_size)
    return outcome


def _listing(map_type: str, items, value_size: int) -> dict[str, str]:
    """key hex -> value hex; per-CPU values summed over CPUs, u64 by u64."""
    percpu = MapType[map_type.upper()] in PERCPU_TYPES
    listing = {}
    for key, value in items:
        if percpu:
            value = _sum_cpus(bytes(value), value_size)
        listing[bytes(key).hex()] = bytes(value).hex()
    return listing


def _sum_cpus(value: bytes, value_size: int) -> bytes:
    stride = (value_size + 7) // 8 * 8
    total = [0] * (stride // 8)
    for start in range(0, len(value), stride):
        for word in range(stride // 8):
            chunk = value[start + 8 * word:start + 8 * word + 8]
            total[word] = (total[word] + int.from_bytes(chunk, "little")) & (2**64 - 1)
    return b"".join(word.to_bytes(8, "little") for word in total)[:value_size]
