"""The gallery: every example compiles cleanly, the kernel gives its verdict and results,
and the playground gives the same (return codes, packets out, map contents)."""

from __future__ import annotations

import functools

import pytest

from tests.support import require_bpf
from vm_service.formats import events_from_json
from vm_service.gallery import EXAMPLES, example
from vm_service.gallery.oracle import (compile_example, kernel_outcome, load_example,
                                       playground_outcome)

SLUGS = [e.slug for e in EXAMPLES]
PACKET_TYPES = {"xdp", "socket_filter", "sched_cls"}


@functools.cache
def spec_of(slug: str):
    found = example(slug)
    return load_example(found, compile_example(found))


@functools.cache
def kernel_of(slug: str):
    return kernel_outcome(example(slug), spec_of(slug))


def test_the_gallery_has_the_examples_the_issue_asks_for():
    assert len(EXAMPLES) >= 15
    assert len(set(SLUGS)) == len(SLUGS)
    kinds = {e.prog_type for e in EXAMPLES}
    assert {"xdp", "socket_filter", "sched_cls", "kprobe", "tracepoint"} <= kinds
    assert sum(e.verdict == "rejected" for e in EXAMPLES) >= 3
    for found in EXAMPLES:
        text = found.file.read_text()
        assert text.startswith("// "), f"{found.slug}: starts with its explanation"
        assert found.title and found.summary
        if found.verdict == "accepted":
            assert len(found.expected_r0) == len(found.events) > 0, found.slug
        else:
            assert found.rejection and not found.events


@pytest.mark.parametrize("slug", SLUGS)
def test_it_compiles_without_warnings_and_loads(slug):
    spec = spec_of(slug)
    assert example(slug).program in [p.name for p in spec.programs]
    assert spec.license == "GPL"


@pytest.mark.parametrize("slug", SLUGS)
def test_the_kernel_gives_the_recorded_verdict(slug, kernel_comparisons):
    require_bpf()
    found, outcome = example(slug), kernel_of(slug)
    kernel_comparisons()
    assert outcome.accepted == (found.verdict == "accepted"), outcome.log[-2000:]
    if not outcome.accepted:
        assert found.rejection in outcome.log


@pytest.mark.parametrize("slug", [e.slug for e in EXAMPLES
                                  if e.verdict == "accepted" and e.test_run])
def test_the_kernel_still_returns_the_recorded_results(slug, kernel_comparisons):
    require_bpf()
    outcome = kernel_of(slug)
    kernel_comparisons()
    assert [run["r0"] for run in outcome.runs] == example(slug).expected_r0


@pytest.mark.parametrize("slug", [e.slug for e in EXAMPLES if e.verdict == "accepted"])
def test_the_playground_gives_the_recorded_results(slug):
    outcome = playground_outcome(example(slug), spec_of(slug))
    assert [run["r0"] for run in outcome.runs] == example(slug).expected_r0


@pytest.mark.parametrize("slug", [e.slug for e in EXAMPLES
                                  if e.verdict == "accepted" and e.test_run])
def test_packets_out_and_maps_equal_the_kernels(slug, kernel_comparisons):
    require_bpf()
    found = example(slug)
    kernel, ours = kernel_of(slug), playground_outcome(found, spec_of(slug))
    for number, (theirs, mine) in enumerate(zip(kernel.runs, ours.runs), 1):
        kernel_comparisons()
        assert mine == theirs, f"event {number}"
    kernel_comparisons()
    assert ours.maps_after == kernel.maps_after


def test_the_packet_programs_the_issue_names_are_all_compared_with_the_kernel():
    compared = {e.prog_type for e in EXAMPLES if e.test_run and e.verdict == "accepted"}
    assert PACKET_TYPES <= compared


def test_tracing_examples_print_and_count_as_their_comments_say():
    opened = playground_outcome(example("kprobe_open"), spec_of("kprobe_open"))
    assert opened.runs == [{"r0": 0, "packet_out_hex": ""}]
    from vm_service.pipeline import from_object
    runnable = from_object(spec_of("execve_per_uid"), section="count_execve")
    instance = runnable.instance()
    for event in events_from_json(example("execve_per_uid").events):
        instance.run_event(event)
    counts = {int.from_bytes(k, "little"): int.from_bytes(v, "little")
              for k, v in runnable.maps[0].items()}
    assert counts == {1000: 2, 0: 1}
