"""The verifier's differential corpus: its programs, and what the live kernel says of each.

The corpus lives in ``tests/verifier_corpus/`` as data: C and assembly files and
``manifest.json``, one entry per program with the kernel's answer recorded on
the project's machine (Linux 6.18, as root). This module is the code that
reads it, builds each program with the playground's own pipeline and asks the
kernel again. It lives in ``vm_service`` (not under ``tests/``) because
``scripts/verifier-agreement`` and, later, the verifier's own CLI need the same
log reading (``kernel_answer``) and normalisation (``normalise``).

A program is built as the playground builds user code: C through
``toolchain.compile_source`` and ``loader.load_object``, then the one-program
kernel load (its object's maps created, the program loaded under its
section's type); assembly through ``asm.assemble`` and ``kernel.prog_load``,
with ``r1 = map[id:N]`` naming the entry's N-th map, created for the load.

The kernel's answer, read from its level-1 log:

- ``error_insn``: the slot of the last instruction line (``12: (79) r1 = ...``)
  before the error, or None when the verifier stopped before walking any;
- ``error_lines``: the lines after that instruction line, without the
  statistics (``processed N insns ...``) and state dumps;
- ``error``: the first of them, normalised (``normalise``).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

from . import kernel
from .asm import assemble
from .errors import VmError
from .gallery.catalog import EXAMPLES
from .loader import load_object
from .loader.kernel_enums import PROG_TYPES as PROG_TYPE_NUMBERS
from .loader.kernel_load import kernel_load
from .loader.spec import ObjectSpec
from .toolchain import compile_source
from .verifier_corpus_gen import corpus_programs

CORPUS_DIR = Path(__file__).resolve().parent.parent / "tests" / "verifier_corpus"
MANIFEST = "manifest.json"
STRATA = ("gallery", "learner", "generated")
PROG_TYPES = ("socket_filter", "kprobe", "sched_cls", "tracepoint", "xdp", "cgroup_skb")
MAP_TYPES = {"hash": 1, "array": 2, "prog_array": 3, "ringbuf": 27}

# "12: (b7) r0 = 1", or "12: BUG_db" for an instruction the kernel's printer has no text for.
INSN_LINE = re.compile(r"^(\d+): (?:\([0-9a-f]{2}\) |BUG_[0-9a-f]{2}$)")
STATE_LINE = re.compile(r"^(\d+: )?(R\d+|fp-?\d+)(_\w+)?=")
# Some messages lack their newline (``expected prog array map for tail call``), so the
# statistics line is glued to them: it is cut off as a line of its own.
GLUED_STATISTICS = re.compile(r"(?<=\S)(?=processed \d+ insns \(limit)")
# At level 1 a jump's line runs on with the state at its target (``17: (ad) if r3 < r2
# goto pc-8 10: R0=...``) or with an error (``... goto pc-8 BPF program is too large``).
JUMP_RUN_ON = re.compile(r"^(\d+: \([0-9a-f]{2}\) .*?goto pc[+-]\d+) (\S.*)$")
NOT_ERROR = re.compile(r"^(processed \d+ insns|verification time|stack depth|func#\d+ @\d+|;|"
                       r"from \d+ to \d+:|mark_precise|Validating |Func#\d+ )")

# What differs between two loads of the same program: ids, pointers, fds. One table.
NORMALISATIONS: tuple[tuple[re.Pattern, str], ...] = (
    (re.compile(r"\b0xffff[0-9a-f]{12}\b"), "0x<addr>"),   # a kernel pointer
    (re.compile(r"\b((?:ref_obj_|map_|btf_|prog_)?id)=\d+"), r"\1=<id>"),
    (re.compile(r"\bfd \d+\b"), "fd <fd>"),
    (re.compile(r"\bfd=\d+\b"), "fd=<fd>"),
)


class CorpusError(VmError):
    """The corpus or one of its entries cannot be read or built."""


@dataclass(frozen=True)
class KernelAnswer:
    """What the kernel's verifier answered for one program."""

    accepted: bool
    error: str | None = None          # the first error line, normalised
    error_insn: int | None = None     # the slot of the last instruction line before it
    error_lines: tuple[str, ...] = () # every error line, as the kernel wrote them

    def to_dict(self) -> dict:
        return {"accepted": self.accepted, "error": self.error, "error_insn": self.error_insn,
                "error_lines": list(self.error_lines)}

    @classmethod
    def from_dict(cls, data: dict) -> KernelAnswer:
        return cls(bool(data["accepted"]), data.get("error"), data.get("error_insn"),
                   tuple(data.get("error_lines", ())))


@dataclass(frozen=True)
class Entry:
    """One program of the corpus, with the answer the kernel gave when it was recorded."""

    name: str
    stratum: str
    file: str                         # relative to the corpus directory (gallery: to the repo)
    program: str                      # the C function, or the assembly file's stem
    prog_type: str
    mistake: str                      # one sentence: what it shows
    expected: KernelAnswer | None     # None until the kernel's answer is recorded
    license: str = "GPL"
    maps: tuple[dict, ...] = ()       # assembly only: type, key_size, value_size, max_entries

    def to_dict(self) -> dict:
        data = {"name": self.name, "stratum": self.stratum, "file": self.file,
                "program": self.program, "prog_type": self.prog_type, "mistake": self.mistake}
        if self.license != "GPL":
            data["license"] = self.license
        if self.maps:
            data["maps"] = list(self.maps)
        if self.expected is not None:
            data["kernel"] = self.expected.to_dict()
        return data

    @classmethod
    def from_dict(cls, data: dict) -> Entry:
        try:
            entry = cls(data["name"], data["stratum"], data["file"], data["program"],
                        data["prog_type"], data["mistake"],
                        KernelAnswer.from_dict(data["kernel"]) if "kernel" in data else None,
                        data.get("license", "GPL"), tuple(data.get("maps", ())))
        except (KeyError, TypeError) as error:
            raise CorpusError(f"manifest entry {data.get('name', '?')!r}: missing or bad "
                              f"field {error}") from None
        if entry.stratum not in STRATA:
            raise CorpusError(f"{entry.name}: unknown stratum {entry.stratum!r}")
        if entry.prog_type not in PROG_TYPES:
            raise CorpusError(f"{entry.name}: unknown program type {entry.prog_type!r}")
        return entry


# -- reading the kernel's log ---------------------------------------------------------

def normalise(line: str) -> str:
    """An error line with what changes between loads (ids, pointers, fds) as placeholders."""
    for pattern, replacement in NORMALISATIONS:
        line = pattern.sub(replacement, line)
    return line.strip()


def kernel_answer(accepted: bool, log: str) -> KernelAnswer:
    """The verdict, failing slot and error lines of a level-1 verifier log."""
    if accepted:
        return KernelAnswer(True)
    lines = [part for line in GLUED_STATISTICS.sub("\n", log).splitlines()
             for part in _split_jump_line(line)]
    last_insn, start = None, 0
    for index, line in enumerate(lines):
        if match := INSN_LINE.match(line):
            last_insn, start = int(match.group(1)), index + 1
    errors = tuple(line.rstrip() for line in lines[start:]
                   if line.strip() and not NOT_ERROR.match(line) and not STATE_LINE.match(line))
    return KernelAnswer(False, normalise(errors[0]) if errors else None, last_insn, errors)


def _split_jump_line(line: str) -> list[str]:
    """A jump's instruction line, and what ran on after it as a line of its own."""
    match = JUMP_RUN_ON.match(line)
    return [match.group(1), match.group(2)] if match else [line]


# -- building and loading -------------------------------------------------------------

def read_manifest(corpus_dir: Path = CORPUS_DIR) -> list[Entry]:
    path = Path(corpus_dir) / MANIFEST
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as error:
        raise CorpusError(f"cannot read {path}: {error}") from None
    if not isinstance(data, dict) or not isinstance(data.get("programs"), list):
        raise CorpusError(f"{path}: expected an object with a \"programs\" list")
    return [Entry.from_dict(item) for item in data["programs"]]


def write_manifest(entries: list[Entry], corpus_dir: Path = CORPUS_DIR) -> None:
    text = json.dumps({"programs": [entry.to_dict() for entry in entries]}, indent=1)
    (Path(corpus_dir) / MANIFEST).write_text(text + "\n")


def source_path(entry: Entry, corpus_dir: Path = CORPUS_DIR) -> Path:
    """Where an entry's file is: gallery files are named from the repository's root."""
    if entry.stratum == "gallery":
        return Path(__file__).resolve().parent.parent / entry.file
    return Path(corpus_dir) / entry.file


def ask_kernel(entry: Entry, corpus_dir: Path = CORPUS_DIR) -> KernelAnswer:
    """Build the entry's program and load it in the live kernel; its answer."""
    path = source_path(entry, corpus_dir)
    try:
        text = path.read_text()
    except OSError as error:
        raise CorpusError(f"{entry.name}: cannot read {path}: {error}") from None
    if path.suffix == ".c":
        return _ask_c(entry, text)
    if path.suffix == ".s":
        return _ask_asm(entry, text)
    raise CorpusError(f"{entry.name}: {path.name} is neither C (.c) nor assembly (.s)")


def build_object(entry: Entry, source: str) -> ObjectSpec:
    """A C entry's object, compiled and loaded as the playground does user code."""
    result = compile_source(source, filename=f"{entry.name}.c")
    if not result.ok:
        raise CorpusError(f"{entry.name} does not compile:\n{result.raw}")
    spec = load_object(result.object, name=entry.name)
    section_type = spec.program(entry.program).prog_type
    if section_type != entry.prog_type:
        raise CorpusError(f"{entry.name}: the manifest says {entry.prog_type}, the section "
                          f"says {section_type}")
    return spec


def _ask_c(entry: Entry, source: str) -> KernelAnswer:
    spec = build_object(entry, source)
    try:
        prog_fd, map_fds = kernel_load(spec, entry.program, log_level=kernel.LogLevel.BRANCHES)
    except kernel.KernelError as error:
        if not error.log:
            raise CorpusError(f"{entry.name}: the kernel refused it without a log: "
                              f"{error}") from None
        return kernel_answer(False, error.log)
    for fd in [prog_fd, *map_fds]:
        kernel.close(fd)
    return KernelAnswer(True)


def _ask_asm(entry: Entry, text: str) -> KernelAnswer:
    instructions = assemble(text).instructions
    map_fds = [kernel.map_create(_map_type(entry, m), m["key_size"], m["value_size"],
                                 m["max_entries"], 0, f"m{i}") for i, m in enumerate(entry.maps)]
    try:
        code = b"".join(_with_map_fd(insn, map_fds, entry).encode() for insn in instructions)
        loaded = kernel.prog_load(code, PROG_TYPE_NUMBERS[entry.prog_type], entry.license,
                                  log_level=kernel.LogLevel.BRANCHES)
        with loaded:
            return kernel_answer(loaded.ok, loaded.log)
    finally:
        for fd in map_fds:
            kernel.close(fd)


def _map_type(entry: Entry, map_def: dict) -> int:
    try:
        return MAP_TYPES[map_def["type"]]
    except KeyError:
        raise CorpusError(f"{entry.name}: map type {map_def.get('type')!r} is not one of "
                          f"{', '.join(MAP_TYPES)}") from None


def _with_map_fd(insn, map_fds: list[int], entry: Entry):
    """``r1 = map[id:N]`` (src 1) names the entry's N-th map: the kernel wants its fd."""
    if insn.spec.opcode != 0x18 or insn.src != 1:
        return insn
    if not 0 <= insn.imm < len(map_fds):
        raise CorpusError(f"{entry.name}: map[id:{insn.imm}] but the entry has "
                          f"{len(map_fds)} maps")
    return replace(insn, imm=map_fds[insn.imm])


# -- figures --------------------------------------------------------------------------

@dataclass
class StratumFigures:
    """How many programs a stratum has, how many the kernel accepts, which errors appear."""

    programs: int = 0
    accepted: int = 0
    errors: set[str] = field(default_factory=set)

    @property
    def accepted_percent(self) -> float:
        return 100.0 * self.accepted / self.programs if self.programs else 0.0


def figures(answers: list[tuple[Entry, KernelAnswer]]) -> dict[str, StratumFigures]:
    """Per stratum and ``"all"``: programs, accepted, distinct normalised first error lines."""
    table = {stratum: StratumFigures() for stratum in (*STRATA, "all")}
    for entry, answer in answers:
        for key in (entry.stratum, "all"):
            table[key].programs += 1
            table[key].accepted += answer.accepted
            if answer.error:
                table[key].errors.add(answer.error)
    return table


# -- recording --------------------------------------------------------------------------

def gallery_entries() -> list[Entry]:
    """One entry per gallery example, its program named by the catalog (not copied)."""
    root = Path(__file__).resolve().parent.parent
    return [Entry(example.slug, "gallery", str(example.file.relative_to(root)), example.program,
                  example.prog_type, example.summary, None) for example in EXAMPLES]


def generated_entries(count: int, corpus_dir: Path = CORPUS_DIR) -> list[Entry]:
    """The generator's first ``count`` programs, written as ``generated/gen_NNN.s``."""
    folder = Path(corpus_dir) / "generated"
    folder.mkdir(exist_ok=True)
    entries = []
    for program in corpus_programs(count):
        (folder / f"{program.name}.s").write_text(program.text)
        what = f"a random program with the mistake {program.mistake!r}" if program.mistake \
            else "a random program built to be valid"
        entries.append(Entry(program.name, "generated", f"generated/{program.name}.s",
                             program.name, program.prog_type, what, None, maps=program.maps))
    return entries


def record(entries: list[Entry], corpus_dir: Path = CORPUS_DIR, progress=None) -> list[Entry]:
    """The entries with the live kernel's answers as their expected values."""
    recorded = []
    for entry in entries:
        answer = ask_kernel(entry, corpus_dir)
        if progress:
            progress(entry, answer)
        recorded.append(replace(entry, expected=answer))
    return recorded


# -- agreement with the playground's verifier ----------------------------------------

@dataclass(frozen=True)
class Agreement:
    """How one answer of ours compares with the kernel's, on the three counts of issue 5."""

    verdict: bool
    insn: bool
    error: bool


def compare(kernel_side: KernelAnswer, ours: KernelAnswer) -> Agreement:
    """Same verdict; same failing slot; same first error line, both normalised."""
    verdict = kernel_side.accepted == ours.accepted
    if kernel_side.accepted and ours.accepted:
        return Agreement(True, True, True)
    our_error = normalise(ours.error) if ours.error else None
    return Agreement(verdict, verdict and kernel_side.error_insn == ours.error_insn,
                     verdict and kernel_side.error == our_error)


def our_verifier():
    """The playground verifier's ``verify`` function, or None while it does not exist."""
    try:
        from . import verifier
    except ImportError:
        return None
    return getattr(verifier, "verify", None)


def our_answer(entry: Entry, verify) -> KernelAnswer | None:
    """Our verifier's answer, in the kernel answer's shape: the one seam to the verifier.

    ``verify(code, prog_type, license=..., spec=...)`` gets the program's
    bytecode in the engine's convention (``ld_imm64`` of a map: ``imm`` = index
    into the object's maps, or into the entry's ``maps`` for assembly) and,
    for C, the whole ``ObjectSpec``, and for assembly the entry's ``maps``; it
    answers an object with ``accepted`` (None: unsupported, then this returns
    None), ``error_lines`` and ``error_insn`` (the fields of issue 5's ``--json``).
    """
    path = source_path(entry)
    if path.suffix == ".c":
        spec = build_object(entry, path.read_text())
        code = spec.program(entry.program).code
    else:
        spec = None
        code = b"".join(insn.encode() for insn in assemble(path.read_text()).instructions)
    answer = verify(code, entry.prog_type, license=entry.license, spec=spec,
                    maps=entry.maps or None)
    if answer.accepted is None:   # unsupported: no verdict to compare
        return None
    lines = tuple(answer.error_lines or ())
    return KernelAnswer(bool(answer.accepted), normalise(lines[0]) if lines else None,
                        answer.error_insn, lines)
