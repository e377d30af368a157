"""Command line: ``python -m vm_service asm|disasm|compile|load|run|bench|conformance-plugin``.

Exit codes, for every subcommand: 0 success, 1 the program faulted, hit the
instruction limit or was rejected (invalid bytecode), 2 bad usage or input
(unreadable file, bad hex, assembly syntax error).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .errors import AsmError, VmError
from .fast import run_fast
from .helpers import helper_name, implementations
from .machine import DEFAULT_LIMIT, Machine
from .program import Program

EXIT_OK, EXIT_PROGRAM, EXIT_INPUT = 0, 1, 2
ASSEMBLY_SUFFIXES = (".s", ".asm")
SYNTAXES = ("kernel", "llvm", "ubpf")


class InputError(Exception):
    """Bad input from the user: reported with exit code 2."""


def parse_hex(text: str, what: str) -> bytes:
    """Bytes from ``aabb``, ``aa bb`` or ``aa\\nbb``; InputError if not hex pairs."""
    compact = "".join(text.split())
    if compact.lower().startswith("0x"):
        compact = compact[2:]
    try:
        return bytes.fromhex(compact)
    except ValueError:
        raise InputError(f"{what} is not hex bytes (expected pairs like 'aabb' or 'aa bb'): "
                         f"{text[:40]!r}") from None


def read_source(path: str) -> bytes:
    try:
        return sys.stdin.buffer.read() if path == "-" else Path(path).read_bytes()
    except OSError as error:
        raise InputError(f"cannot read {path}: {error.strerror}") from None


def load_program(path: str) -> Program:
    """A Program from assembly (.s/.asm), raw bytecode (.bin) or hex text (anything else)."""
    data = read_source(path)
    if path.endswith(ASSEMBLY_SUFFIXES):
        return assemble_text(data, path).program()
    if path.endswith(".bin"):
        return Program.from_bytes(data)
    try:
        text = data.decode("ascii")
    except UnicodeDecodeError:
        return Program.from_bytes(data)
    return Program.from_bytes(parse_hex(text, path))


def assemble_text(data: bytes, path: str):
    from .asm import assemble  # imported here so run/disasm of bytecode never need it
    try:
        return assemble(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise InputError(f"{path} is not UTF-8 text") from None


def cmd_asm(args) -> int:
    assembly = assemble_text(read_source(args.file), args.file)
    program = assembly.program()
    code = program.encode()
    if args.output:
        Path(args.output).write_bytes(code)
    if args.json:
        print(json.dumps({"program_hex": code.hex(), "slots": len(program)}))
    elif not args.output:
        for pc in range(len(program)):
            print(code[pc * 8:(pc + 1) * 8].hex(" "))
    return EXIT_OK


def cmd_disasm(args) -> int:
    from .disasm import disassemble
    program = load_program(args.file)
    lines = disassemble(program, args.syntax)
    if args.json:
        print(json.dumps({"syntax": args.syntax, "slots": len(program), "lines": lines}))
    else:
        print("\n".join(lines))
    return EXIT_OK


def run_result(machine: Machine, event) -> dict:
    return {
        "r0": machine.regs[0],
        "exit": {"kind": event.kind, "pc": event.pc, "message": event.message},
        "instructions": machine.instructions,
        "fault": ({"addr": event.addr, "size": event.size, "region": event.region,
                   "access": event.access} if event.kind == "fault" else None),
    }


def cmd_run(args) -> int:
    from .cli_pipeline import cmd_run_pipeline  # compile, load, inputs: only when running
    return cmd_run_pipeline(args)


def cmd_bench(args) -> int:
    from . import bench  # imported here: the other subcommands never need it
    options = bench.Options.from_environment(quick=args.quick)
    results = bench.run_all(options)
    if args.json:
        print(json.dumps(bench.report(results, options)))
    else:
        print(bench.format_text(results, options))
    return EXIT_PROGRAM if bench.checks(results) else EXIT_OK


def cmd_conformance_plugin(args) -> int:
    """The bpf_conformance plugin protocol: program hex on stdin, memory as arguments."""
    mem = parse_hex(" ".join(args.mem), "memory argument")
    program = Program.from_bytes(parse_hex(sys.stdin.read(), "program on stdin"))
    machine = Machine.raw(program, mem, helpers=implementations(None), helper_name=helper_name)
    event = machine.run()
    if event.kind != "exit":
        print(f"{event.kind} at insn {event.pc}: {event.message}", file=sys.stderr)
        return EXIT_PROGRAM
    print(f"{machine.regs[0]:x}")
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m vm_service",
                                     description="eBPF assembler, disassembler and VM.")
    commands = parser.add_subparsers(dest="command", required=True)

    asm = commands.add_parser("asm", help="assemble kernel/LLVM or uBPF syntax to bytecode")
    asm.add_argument("file", help="assembly file, or - for stdin")
    asm.add_argument("-o", "--output", help="write raw bytecode (.bin) here")
    asm.add_argument("--json", action="store_true", help="print one JSON object")
    asm.set_defaults(handler=cmd_asm)

    disasm = commands.add_parser("disasm", help="print bytecode as text")
    disasm.add_argument("file", help=".bin bytecode, .s assembly or a file of hex; - for stdin")
    disasm.add_argument("--syntax", choices=SYNTAXES, default="kernel",
                        help="kernel verifier log (default), llvm-objdump, or uBPF dialect")
    disasm.add_argument("--json", action="store_true", help="print one JSON object")
    disasm.set_defaults(handler=cmd_disasm)

    compile_ = commands.add_parser("compile", help="compile restricted C to a BPF object (FILE.o)")
    compile_.add_argument("file", help="the .c file; FILE.o is written beside it on success")
    add_compile_options(compile_)
    compile_.add_argument("--json", action="store_true", help="print one JSON object")
    compile_.set_defaults(handler=cmd_compile)

    load = commands.add_parser("load", help="show the programs and maps of a .c or .o file")
    load.add_argument("file", help="a .c file (compiled first) or a .o object")
    add_compile_options(load)
    load.add_argument("--json", action="store_true", help="print the loader's spec as JSON")
    load.set_defaults(handler=cmd_load)

    run = commands.add_parser("run", help="run a program over events, or in raw mode (--mem)")
    run.add_argument("program", help=".c source, .o object, .s/.asm assembly, .bin bytecode or "
                                     "a file of hex")
    run.add_argument("--section", help="the program to run in an object: function or section name")
    run.add_argument("--prog-type", help="program type: xdp, socket_filter, sched_cls, sched_act, "
                                         "cgroup_skb, kprobe, kretprobe, tracepoint, "
                                         "raw_tracepoint, perf_event (or a libbpf section name)")
    run.add_argument("--attach", help="attach point (kprobe function, tracepoint category/name)")
    run.add_argument("--maps", help="MAPS.json: maps for bytecode, seeds for an object's maps")
    run.add_argument("--mem", help="raw mode: input memory as hex ('aabb' or 'aa bb')")
    run.add_argument("--packet", help="one packet as hex")
    run.add_argument("--packets", help="PACKETS.json: a list of packets as hex")
    run.add_argument("--pcap", help="a pcap or pcapng file of Ethernet packets")
    run.add_argument("--events", help="EVENTS.json: packets, probe arguments, task, memory...")
    run.add_argument("--limit", type=int, default=DEFAULT_LIMIT,
                     help=f"instruction budget per event (default {DEFAULT_LIMIT})")
    add_compile_options(run)
    run.add_argument("--json", action="store_true", help="print one JSON object")
    run.add_argument("--step", action="store_true",
                     help="run instruction by instruction (the default, fast mode, "
                          "gives the same result)")
    run.set_defaults(handler=cmd_run)

    bench = commands.add_parser("bench", help="speed: baseline interpreter, step and fast mode")
    bench.add_argument("--json", action="store_true", help="print one JSON object")
    bench.add_argument("--quick", action="store_true", help="fewer runs and shorter step-mode runs")
    bench.set_defaults(handler=cmd_bench)

    plugin = commands.add_parser("conformance-plugin",
                                 help="bpf_conformance plugin: program hex on stdin")
    plugin.add_argument("mem", nargs="*", help="memory as hex pairs")
    plugin.set_defaults(handler=cmd_conformance_plugin)
    return parser


def add_compile_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--mcpu", default="v3", choices=("v1", "v2", "v3", "v4"),
                        help="BPF instruction set version for C sources (default v3)")
    parser.add_argument("--cflag", action="append", default=[], metavar="FLAG",
                        help="an extra clang flag for C sources, from the allowed list "
                             "(for example -DNAME=1, -Wall); repeatable")


def cmd_compile(args) -> int:
    from .cli_pipeline import cmd_compile as compile_command
    return compile_command(args)


def cmd_load(args) -> int:
    from .cli_pipeline import cmd_load as load_command
    return load_command(args)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from .cli_pipeline import USAGE_ERRORS, CompileFailed
    try:
        return args.handler(args)
    except CompileFailed:
        return EXIT_INPUT  # its diagnostics are printed already
    except (InputError, AsmError) + USAGE_ERRORS as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_INPUT
    except VmError as error:
        print(f"rejected: {error}", file=sys.stderr)
        return EXIT_PROGRAM
