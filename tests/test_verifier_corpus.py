"""The verifier's differential corpus: its manifest, the log reading, and the kernel's answers."""

from __future__ import annotations

import importlib.util
import json
import math
import multiprocessing
import subprocess
import sys
from dataclasses import replace
from importlib.machinery import SourceFileLoader
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vm_service import verifier_corpus as corpus
from vm_service.asm import assemble
from vm_service.gallery.catalog import EXAMPLES
from vm_service.verifier_corpus_gen import MISTAKES, corpus_programs, generate

from .support import require_bpf

ROOT = Path(__file__).resolve().parent.parent
ENTRIES = corpus.read_manifest()
KERNEL_SAMPLE_SIZE = 36
KERNEL_TIMEOUT_SECONDS = 60


def recorded_answers():
    return [(entry, entry.expected) for entry in ENTRIES]


# -- normalisation --------------------------------------------------------------------

def test_it_replaces_ids_pointers_and_fds_with_placeholders():
    assert corpus.normalise("Unreleased reference id=3 alloc_insn=5") == \
        "Unreleased reference id=<id> alloc_insn=5"
    assert corpus.normalise("invalid access to packet, off=12 size=1, R1(id=0,off=12,r=0)") == \
        "invalid access to packet, off=12 size=1, R1(id=<id>,off=12,r=0)"
    assert corpus.normalise("R1 ref_obj_id=7 map_id=12") == "R1 ref_obj_id=<id> map_id=<id>"
    assert corpus.normalise("fd 5 is not pointing to valid bpf_map") == \
        "fd <fd> is not pointing to valid bpf_map"
    assert corpus.normalise("bad pointer 0xffff8880047a3c00 here") == "bad pointer 0x<addr> here"


def test_it_keeps_offsets_sizes_and_instruction_numbers():
    line = "invalid write to stack R10 off=-520 size=8"
    assert corpus.normalise(line) == line
    assert corpus.normalise("infinite loop detected at insn 12") == \
        "infinite loop detected at insn 12"
    assert corpus.normalise("R0=0x7a11e") == "R0=0x7a11e"


@given(st.text(alphabet="abcdefx0123456789=() ,id_fdrefmap", max_size=60))
def test_normalising_twice_changes_nothing(line):
    once = corpus.normalise(line)
    assert corpus.normalise(once) == once


# -- reading the log ------------------------------------------------------------------

NULL_LOG = """func#0 @0
0: R1=ctx() R10=fp0
0: (b7) r1 = 0                        ; R1=0
1: (63) *(u32 *)(r10 -4) = r1         ; R1=0 R10=fp0 fp-8=0000????
2: (85) call bpf_map_lookup_elem#1    ; R0=map_value_or_null(id=1,map=counts,ks=4,vs=8)
3: (79) r1 = *(u64 *)(r0 +0)
R0 invalid mem access 'map_value_or_null'
processed 4 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0
"""


def test_it_names_the_last_instruction_line_and_the_error_after_it():
    answer = corpus.kernel_answer(False, NULL_LOG)
    assert answer == corpus.KernelAnswer(False, "R0 invalid mem access 'map_value_or_null'", 3,
                                         ("R0 invalid mem access 'map_value_or_null'",))


def test_it_keeps_every_error_line_and_normalises_only_the_first():
    log = ("0: (b7) r0 = 0\n1: (95) exit\nUnreleased reference id=2 alloc_insn=0\n"
           "cur state: R0=0\nprocessed 2 insns (limit 1000000)\n")
    answer = corpus.kernel_answer(False, log)
    assert answer.error == "Unreleased reference id=<id> alloc_insn=0"
    assert answer.error_lines == ("Unreleased reference id=2 alloc_insn=0", "cur state: R0=0")
    assert answer.error_insn == 1


def test_it_answers_no_slot_when_the_verifier_stopped_before_any_instruction():
    answer = corpus.kernel_answer(False, "jump out of range from insn 1 to 12\n"
                                  "processed 0 insns (limit 1000000) max_states_per_insn 0\n")
    assert answer.error_insn is None
    assert answer.error == "jump out of range from insn 1 to 12"


def test_it_cuts_statistics_glued_to_a_message_without_newline():
    log = ("3: (85) call bpf_tail_call#12\nexpected prog array map for tail call"
           "processed 3 insns (limit 1000000) max_states_per_insn 0\n")
    assert corpus.kernel_answer(False, log).error_lines == \
        ("expected prog array map for tail call",)


def test_it_separates_an_error_run_on_after_a_jump_line():
    log = ("17: (ad) if r3 < r2 goto pc-8 10: R0=scalar() R10=fp0\n10: (bf) r4 = r3\n"
           "17: (ad) if r3 < r2 goto pc-8 BPF program is too large. Processed 1000001 insn\n"
           "processed 1000001 insns (limit 1000000)\n")
    answer = corpus.kernel_answer(False, log)
    assert answer.error_insn == 17
    assert answer.error == "BPF program is too large. Processed 1000001 insn"


def test_it_answers_nothing_more_for_an_accepted_program():
    assert corpus.kernel_answer(True, NULL_LOG) == corpus.KernelAnswer(True)


# -- the manifest ---------------------------------------------------------------------

def test_every_entry_names_an_existing_file_once():
    names = [entry.name for entry in ENTRIES]
    assert len(names) == len(set(names))
    for entry in ENTRIES:
        assert corpus.source_path(entry).is_file(), entry.name
        assert entry.mistake.strip(), entry.name
        assert entry.expected is not None, f"{entry.name}: no recorded kernel answer"


def test_every_stratum_and_first_program_type_is_present():
    assert {entry.stratum for entry in ENTRIES} == set(corpus.STRATA)
    learner_types = {entry.prog_type for entry in ENTRIES if entry.stratum == "learner"}
    assert {"xdp", "socket_filter", "sched_cls", "kprobe", "tracepoint"} <= learner_types


def test_the_corpus_meets_the_issue_goals_on_the_recorded_answers():
    total = corpus.figures(recorded_answers())["all"]
    assert total.accepted_percent >= 40.0
    assert len(total.errors) >= 25


def test_every_learner_file_is_in_the_manifest():
    listed = {entry.file for entry in ENTRIES if entry.stratum == "learner"}
    on_disk = {f"learner/{path.name}" for path in (corpus.CORPUS_DIR / "learner").iterdir()}
    assert listed == on_disk


def test_every_learner_mistake_is_its_files_first_comment_line():
    for entry in ENTRIES:
        if entry.stratum == "learner":
            first = corpus.source_path(entry).read_text().splitlines()[0]
            assert first == f"// {entry.mistake}", entry.name


def test_the_gallery_stratum_is_the_catalog_with_its_verdicts():
    gallery = {entry.name: entry for entry in ENTRIES if entry.stratum == "gallery"}
    assert set(gallery) == {example.slug for example in EXAMPLES}
    for example in EXAMPLES:
        entry = gallery[example.slug]
        assert entry.program == example.program
        assert entry.expected.accepted == (example.verdict == "accepted"), example.slug
        if example.rejection:
            assert any(example.rejection in line for line in entry.expected.error_lines)


def test_the_manifest_round_trips_through_its_dictionaries():
    for entry in ENTRIES:
        assert corpus.Entry.from_dict(json.loads(json.dumps(entry.to_dict()))) == entry


def test_it_rejects_an_entry_of_an_unknown_stratum_or_type():
    data = ENTRIES[0].to_dict()
    with pytest.raises(corpus.CorpusError, match="unknown stratum"):
        corpus.Entry.from_dict({**data, "stratum": "folklore"})
    with pytest.raises(corpus.CorpusError, match="unknown program type"):
        corpus.Entry.from_dict({**data, "prog_type": "xdp_turbo"})
    with pytest.raises(corpus.CorpusError, match="missing or bad field"):
        corpus.Entry.from_dict({key: value for key, value in data.items() if key != "file"})


def test_it_rejects_a_manifest_it_cannot_read(tmp_path):
    with pytest.raises(corpus.CorpusError, match="cannot read"):
        corpus.read_manifest(tmp_path)
    (tmp_path / corpus.MANIFEST).write_text("{not json")
    with pytest.raises(corpus.CorpusError, match="cannot read"):
        corpus.read_manifest(tmp_path)
    (tmp_path / corpus.MANIFEST).write_text('{"entries": []}')
    with pytest.raises(corpus.CorpusError, match="programs"):
        corpus.read_manifest(tmp_path)


def test_it_rejects_a_program_file_that_is_neither_c_nor_assembly(tmp_path):
    (tmp_path / "prog.txt").write_text("r0 = 0\nexit\n")
    entry = replace(ENTRIES[-1], stratum="learner", file="prog.txt")
    with pytest.raises(corpus.CorpusError, match="neither C"):
        corpus.ask_kernel(entry, tmp_path)


# -- the generated stratum ------------------------------------------------------------

def test_the_committed_generated_programs_are_the_generators_output():
    generated = [entry for entry in ENTRIES if entry.stratum == "generated"]
    for program, entry in zip(corpus_programs(len(generated)), generated, strict=True):
        assert entry.name == program.name
        assert corpus.source_path(entry).read_text() == program.text
        assert entry.prog_type == program.prog_type
        assert entry.maps == program.maps


def test_every_valid_generated_program_was_accepted_and_every_mistake_rejected():
    for entry in ENTRIES:
        if entry.stratum == "generated":
            meant_valid = entry.mistake == "a random program built to be valid"
            assert entry.expected.accepted == meant_valid, entry.name


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=0, max_value=10**9))
def test_any_seed_gives_a_program_that_assembles(seed):
    program = generate(seed)
    assert program.mistake in (None, *MISTAKES)
    instructions = assemble(program.text).instructions
    assert instructions
    if program.mistake != "no_exit":
        assert program.text.rstrip().endswith("exit")
    assert generate(seed) == program


# -- agreement ------------------------------------------------------------------------

def test_agreement_needs_the_same_verdict_slot_and_normalised_line():
    kernel_side = corpus.KernelAnswer(False, "Unreleased reference id=<id> alloc_insn=5", 16,
                                      ("Unreleased reference id=2 alloc_insn=5",))
    same = corpus.KernelAnswer(False, "Unreleased reference id=9 alloc_insn=5", 16, ())
    assert corpus.compare(kernel_side, same) == corpus.Agreement(True, True, True)
    other_slot = replace(same, error_insn=15)
    assert corpus.compare(kernel_side, other_slot) == corpus.Agreement(True, False, True)
    accepted = corpus.KernelAnswer(True)
    assert corpus.compare(kernel_side, accepted) == corpus.Agreement(False, False, False)
    assert corpus.compare(accepted, accepted) == corpus.Agreement(True, True, True)


class FakeResult:
    def __init__(self, accepted, error_lines, error_insn):
        self.accepted, self.error_lines, self.error_insn = accepted, error_lines, error_insn


def test_our_answer_hands_the_verifier_the_bytecode_and_type():
    entry = next(e for e in ENTRIES if e.name == "asm_div_by_zero")
    seen = {}

    def verify(code, prog_type, *, license, spec, maps=None):
        seen.update(code=code, prog_type=prog_type, license=license, spec=spec)
        return FakeResult(False, ["div by zero"], 1)

    answer = corpus.our_answer(entry, verify)
    assert seen["prog_type"] == "tracepoint" and seen["spec"] is None
    assert len(seen["code"]) == 8 * 3
    assert corpus.compare(entry.expected, answer) == corpus.Agreement(True, True, True)


def test_the_script_prints_the_figures_from_the_recorded_answers():
    out = subprocess.run([sys.executable, str(ROOT / "scripts" / "verifier-agreement"),
                          "--recorded"], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "accepted overall:" in out.stdout and "(goal >= 40%: met)" in out.stdout
    assert "distinct first error lines:" in out.stdout and "(goal >= 25: met)" in out.stdout
    for stratum in corpus.STRATA:
        assert f"\n{stratum} " in out.stdout
    if corpus.our_verifier() is None:
        assert "our verifier: not there yet" in out.stdout


# -- the live kernel ------------------------------------------------------------------

def kernel_sample() -> list[corpus.Entry]:
    """A fixed, capped sample spread over the whole manifest (every stratum, both verdicts)."""
    stride = math.ceil(len(ENTRIES) / KERNEL_SAMPLE_SIZE)
    return ENTRIES[::stride]


def test_the_kernel_sample_covers_every_stratum_and_both_verdicts():
    sample = kernel_sample()
    assert len(sample) <= KERNEL_SAMPLE_SIZE
    for stratum in corpus.STRATA:
        verdicts = {e.expected.accepted for e in sample if e.stratum == stratum}
        assert verdicts == {True, False}, stratum


@pytest.mark.kernel
@pytest.mark.parametrize("entry", kernel_sample(), ids=lambda entry: entry.name)
def test_the_kernel_still_answers_what_the_manifest_recorded(entry, kernel_comparisons):
    require_bpf()
    with multiprocessing.get_context("fork").Pool(1) as pool:
        pending = pool.apply_async(corpus.ask_kernel, (entry,))
        try:
            answer = pending.get(timeout=KERNEL_TIMEOUT_SECONDS)
        except multiprocessing.TimeoutError:
            pytest.fail(f"{entry.name}: no answer within {KERNEL_TIMEOUT_SECONDS}s")
    assert answer == entry.expected
    kernel_comparisons()


def load_script():
    loader = SourceFileLoader("verifier_agreement", str(ROOT / "scripts" / "verifier-agreement"))
    spec = importlib.util.spec_from_loader(loader.name, loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def test_the_script_measures_agreement_once_a_verifier_exists(monkeypatch, capsys):
    """An always-accepting stand-in agrees on the verdict exactly for the accepted programs."""
    script = load_script()
    sample = [entry for entry in ENTRIES if entry.file.endswith(".s")][::10]

    def always_accepts(code, prog_type, *, license, spec, maps=None):
        return FakeResult(True, [], None)

    monkeypatch.setattr(corpus, "read_manifest", lambda: sample)
    monkeypatch.setattr(corpus, "our_verifier", lambda: always_accepts)
    assert script.main(["--recorded"]) == 0
    agreement_table = capsys.readouterr().out.split("(% agreeing)", 1)[1]
    row = next(line for line in agreement_table.splitlines() if line.startswith("all "))
    assert row.split()[1] == str(len(sample))
    accepted = 100.0 * sum(entry.expected.accepted for entry in sample) / len(sample)
    assert float(row.split()[2]) == pytest.approx(accepted, abs=0.05)


def test_an_instruction_the_kernel_cannot_print_still_names_the_failing_slot():
    from vm_service.verifier_corpus import kernel_answer
    log = "func#0 @0\n0: (b7) r0 = 0\n1: BUG_db\nunknown opcode db\nprocessed 2 insns\n"
    answer = kernel_answer(False, log)
    assert answer.error_insn == 1 and answer.error == "unknown opcode db"
