"""The pipeline subcommands: ``compile``, ``load`` and ``run`` of C, objects and bytecode.

``python -m vm_service compile|load|run FILE.c|FILE.o|FILE.s|FILE.bin [options]``

* ``compile FILE.c`` compiles in the sandbox and writes FILE.o beside the
  source, only on success; ``--json`` prints ``{"ok", "diagnostics",
  "toolchain", ...}``.
* ``load FILE.c|FILE.o`` prints what the loader found: programs, maps, license.
* ``run`` runs one program over a sequence of events (one packet, a
  PACKETS.json list, a pcap file, or EVENTS.json), maps carried across them.
  Raw bytecode without a program type runs in raw mode (``--mem``: r1 points
  at the memory, r2 holds its length), as before.

Exit codes as for every subcommand: 0 success, 1 a program faulted, hit the
instruction limit or was rejected (invalid bytecode, a refused object), 2 bad
usage or input (unreadable file, bad hex or JSON, a compile error).
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from .errors import VmError
from .events import EventInput

C_SUFFIXES = (".c",)
OBJECT_SUFFIXES = (".o",)
EXIT_OK, EXIT_PROGRAM, EXIT_INPUT = 0, 1, 2


class UsageError(VmError):
    """Options that do not go together, or an input the program cannot take: exit code 2."""


class CompileFailed(VmError):
    """The C source did not compile; the diagnostics were printed already (exit code 2)."""


def _usage_errors() -> tuple[type[Exception], ...]:
    """Errors that are the user's input or choices (exit code 2), not the program's fault."""
    from .inputs import InputError     # FormatError (bad JSON files) is one too
    from .pipeline import PipelineError
    from .progtypes import EventError, ProgTypeError
    return (UsageError, InputError, PipelineError, ProgTypeError, EventError)


USAGE_ERRORS = _usage_errors()


# -- compile --------------------------------------------------------------------------------


def compile_file(path: str, mcpu: str, cflags: list[str]):
    """The CompileResult of the C file at ``path`` (the file name as the user gave it)."""
    from .cli import read_source
    from .toolchain import compile_source
    data = read_source(path)
    try:
        source = data.decode("utf-8")
    except UnicodeDecodeError:
        raise UsageError(f"{path} is not UTF-8 text") from None
    return compile_source(source, mcpu=mcpu, flags=cflags, filename=compile_name(path))


def compile_name(path: str) -> str:
    """The file name the compiler sees: the user's, with characters it refuses replaced."""
    name = re.sub(r"[^A-Za-z0-9_.-]", "_", Path(path).name)
    return name if name.endswith(".c") and len(name) > 2 else "program.c"


def print_diagnostics(result, path: str) -> None:
    for entry in result.diagnostics:
        where = entry.get("file", path)
        print(f"{where}:{entry['line']}:{entry['column']}: {entry['severity']}: "
              f"{entry['message']}", file=sys.stderr)


def cmd_compile(args) -> int:
    if args.file == "-" or not args.file.endswith(C_SUFFIXES):
        raise UsageError(f"compile takes a .c file, not {args.file!r}")
    result = compile_file(args.file, args.mcpu, args.cflag)
    output = Path(args.file).with_suffix(".o")
    if result.ok:
        output.write_bytes(result.object)
    if args.json:
        data = result.to_dict(with_object=False)
        data["output"] = str(output) if result.ok else None
        print(json.dumps(data))
    else:
        print_diagnostics(result, args.file)
        if result.ok:
            print(f"wrote {output} ({len(result.object)} bytes) with {result.toolchain}")
    return EXIT_OK if result.ok else EXIT_INPUT


# -- load -----------------------------------------------------------------------------------


def object_of(path: str, mcpu: str, cflags: list[str]):
    """The ObjectSpec of a .c (compiled in memory) or .o file."""
    from .cli import read_source
    from .loader import load_object
    if path.endswith(C_SUFFIXES):
        result = compile_file(path, mcpu, cflags)
        if not result.ok:
            print_diagnostics(result, path)
            raise CompileFailed(f"{path} did not compile")
        data = result.object
    else:
        data = read_source(path)
    return load_object(data, name=Path(path).stem)


def cmd_load(args) -> int:
    if not args.file.endswith(C_SUFFIXES + OBJECT_SUFFIXES):
        raise UsageError(f"load takes a .c or .o file, not {args.file!r}")
    spec = object_of(args.file, args.mcpu, args.cflag)
    if args.json:
        print(json.dumps(spec.to_dict()))
        return EXIT_OK
    print(f"{spec.name}: license {spec.license!r}, {len(spec.programs)} program(s), "
          f"{len(spec.maps)} map(s)")
    for program in spec.programs:
        kind = program.prog_type or "unknown type"
        attach = f", attach {program.attach}" if program.attach else ""
        print(f"  program {program.name}: section {program.section} ({kind}{attach}), "
              f"{program.insn_count} instructions")
    for index, bpf_map in enumerate(spec.maps):
        extra = " frozen" if bpf_map.frozen else ""
        print(f"  map {index} {bpf_map.name}: {bpf_map.type}, key {bpf_map.key_size} B, "
              f"value {bpf_map.value_size} B, max_entries {bpf_map.max_entries}{extra}")
    for warning in spec.warnings:
        print(f"  warning: {warning}")
    return EXIT_OK


# -- run ------------------------------------------------------------------------------------


def events_from_args(args) -> list[EventInput] | None:
    """The events the input options give (None: no input option was used)."""
    from .cli import read_source
    from .formats import parse_events, parse_packets
    from .inputs import packet_from_hex, packets_from_pcap
    given = [name for name in ("packet", "packets", "pcap", "events")
             if getattr(args, name) is not None]
    if args.mem is not None:
        given.append("mem")
    if len(given) > 1:
        raise UsageError("give one input: " + " or ".join(f"--{name}" for name in given))
    if args.packet is not None:
        try:
            return [EventInput(packet=packet_from_hex(args.packet))]
        except VmError as error:
            raise UsageError(f"--packet: {error}") from None
    if args.packets is not None:
        return parse_packets(read_source(args.packets))
    if args.pcap is not None:
        return [EventInput(packet=data) for data in packets_from_pcap(read_source(args.pcap))]
    if args.events is not None:
        return parse_events(read_source(args.events))
    return None


def runnable_of(args):
    """The Runnable (pipeline) for the run options: an object's program, or raw bytecode."""
    from . import pipeline
    from .cli import load_program, read_source
    from .formats import parse_maps
    maps_config = parse_maps(read_source(args.maps)) if args.maps else None
    if args.program.endswith(C_SUFFIXES + OBJECT_SUFFIXES):
        if args.mem is not None:
            raise UsageError("--mem is raw mode, for bytecode (.s, .bin, hex) without a program "
                             "type; an object's programs have one")
        spec = object_of(args.program, args.mcpu, args.cflag)
        return pipeline.from_object(spec, section=args.section, prog_type=args.prog_type,
                                    attach=args.attach, maps_config=maps_config)
    if args.section is not None:
        raise UsageError("--section chooses a program in an object file (.c or .o)")
    if args.mem is not None and args.prog_type is not None:
        raise UsageError("--mem is raw mode: it cannot go with a program type (use --packet or "
                         "--events)")
    return pipeline.from_bytecode(load_program(args.program), prog_type=args.prog_type,
                                  attach=args.attach, maps_config=maps_config)


def cmd_run_pipeline(args) -> int:
    """``run``: a typed program over its events, or raw mode for bytecode without a type."""
    from .progtypes import split_section
    runnable = runnable_of(args)
    events = events_from_args(args)
    if runnable.prog_type is None:
        return run_raw(args, runnable, events)
    spec, _ = split_section(runnable.prog_type)   # ProgTypeError names the known types
    if events is None:
        if spec.has_packet:
            raise UsageError(f"a {spec.name} program needs a packet: give --packet, --packets, "
                             f"--pcap or --events")
        events = [EventInput()]
    if not events:
        raise UsageError("the input holds no events")
    instance = runnable.instance(limit=args.limit)
    results = [instance.run_event(event, fast=not args.step) for event in events]
    last = results[-1]
    failed = any(result.exit["kind"] != "exit" for result in results)
    if args.json:
        print(json.dumps({"r0": last.r0, "exit": last.exit, "instructions": last.instructions,
                          "prog_type": spec.name,
                          "runs": [result.to_dict() for result in results]}))
    else:
        for number, result in enumerate(results, 1):
            print_event(number, result, events[number - 1])
    return EXIT_PROGRAM if failed else EXIT_OK


def print_event(number: int, result, event: EventInput) -> None:
    exit_ = result.exit
    if exit_["kind"] == "exit":
        name = f" ({result.return_code_name})" if result.return_code_name else ""
        print(f"event {number}: r0 = {result.r0}{name} after {result.instructions} instructions")
    else:
        print(f"event {number}: {exit_['kind']} at insn {exit_['pc']} after "
              f"{result.instructions} instructions: {exit_.get('message')}")
    if result.packet_out is not None and result.packet_out != event.packet:
        print(f"  packet out: {result.packet_out.hex()}")
    for line in result.output:
        if line.get("kind") == "trace_printk":
            print(f"  trace_printk: {line.get('text')}")
        else:
            print(f"  {line.get('kind')}: {json.dumps(line)}")
    for change in result.map_changes:
        label = change.get("name") or f"#{change.get('map')}"
        for entry in change.get("changes", []):
            print(f"  map {label}: {entry['kind']} key {entry['key']}: {entry['old']} -> "
                  f"{entry['new']}")


def run_raw(args, runnable, events: list[EventInput] | None) -> int:
    """Raw mode: no context; r1 points at ``--mem`` (a copy), r2 holds its length."""
    from .cli import parse_hex, run_result
    from .fast import run_fast
    from .helpers import helper_name, implementations
    from .machine import Machine
    if events is not None:
        raise UsageError("packets and events need a program type (--prog-type); raw mode takes "
                         "--mem")
    mem = parse_hex(args.mem, "--mem") if args.mem else b""
    machine = Machine.raw(runnable.program, mem, helpers=implementations(None),
                          helper_name=helper_name, limit=args.limit, maps=runnable.maps)
    event = machine.run() if args.step else run_fast(machine)
    if args.json:
        result = run_result(machine, event)
        result["runs"] = [{"r0": result["r0"], "exit": result["exit"],
                           "instructions": result["instructions"], "packet_out_hex": None,
                           "output": machine.output, "map_changes": []}]
        print(json.dumps(result))
    elif event.kind == "exit":
        r0 = machine.regs[0]
        print(f"r0 = 0x{r0:x} ({r0})")
        print(f"exit at insn {event.pc} after {machine.instructions} instructions"
              + (f": {event.message}" if event.message else ""))
    else:
        print(f"{event.kind} at insn {event.pc} after {machine.instructions} instructions: "
              f"{event.message}")
    return EXIT_OK if event.kind == "exit" else EXIT_PROGRAM
