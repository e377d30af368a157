"""The one catalogue of the kernel verifier's error texts.

Every message the playground's verifier prints is a row here: an id, the
template with named parameters (``jump out of range from insn {insn} to
{target}``), the kernel function that emits it (so a reader can find it in
``kernel/bpf/verifier.c``) and a line the Linux 6.18 kernel really printed.
``render`` fills a template; ``match`` reads a kernel log line back into
``(message_id, params)``, so the corpus tooling and the explanations can work
on message ids instead of strings.

Parameters are typed by name (``PARAM_PATTERNS``): numbers come back as ints,
everything else as text. Ids and fds also match the corpus's normalised
placeholders (``id=<id>``, ``fd <fd>``), which stay text.

A few rows are refusals the kernel makes without writing anything to the log
(``in_log=False``: an empty program, one over the size limit); they are here so
every verdict of the verifier has a message id and plain words.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass, field

from ..errors import VmError


class MessageError(VmError):
    """A message id that does not exist, or parameters that do not fit its template."""


# How a parameter looks in the kernel's text, by parameter name (default: INT).
INT = r"-?\d+"
PARAM_PATTERNS: dict[str, str] = {
    "opcode": r"[0-9a-f]{2}",           # printed as %02x
    "id": r"\d+|<id>",                  # normalised by vm_service.verifier_corpus
    "fd": r"-?\d+|<fd>",
    "what": r"BPF_[A-Z0-9_/|\[\]]+",   # BPF_LDX, BPF_JMP/JMP32, BPF_LD_[ABS|IND]...
    "atomic_op": r"[0-9a-f]{2,8}",      # printed as %02x
    "name": r"\w+",                     # a helper's name, or "unknown"
    "type": r"\w+",                     # a register type: scalar, map_value_or_null, ctx...
    "expected": r".+",                  # a list of register types (may be cut by the kernel)
    "op": r"\S+",                       # an operator: &=, *=...
    "context": r".+?",                  # where a return value is checked: program exit...
    "value": r".+?",                    # a register's bounds: smin=2 smax=2
    "access": r"read from|write to",
    "bound": r"min|max",
    "where": r".+?",                    # main prog, or subprog
    "pointer": r"(?:[a-z_]+ )?",        # "stack ", "packet ", or nothing
    "var_off": r"\S+|\(0x[0-9a-f]+; 0x[0-9a-f]+\)",  # a tnum: 0, or (0x0; 0x4)
}
NUMBER_OR_PLACEHOLDER = {"id", "fd"}  # an int, or the corpus's placeholder text


@dataclass(frozen=True)
class Message:
    """One kernel error text."""

    id: str
    template: str        # str.format syntax; {opcode:02x} formats an int as the kernel does
    emitter: str         # the kernel function that prints it
    example: str         # a line the live kernel printed (the corpus or the cfg tests)
    in_log: bool = True  # False: the kernel refuses with only an errno, and logs nothing
    pattern: re.Pattern = field(init=False, repr=False, compare=False)
    params: tuple[str, ...] = field(init=False, compare=False)

    def __post_init__(self) -> None:
        regex, names = [], []
        for literal, name, _spec, _conversion in string.Formatter().parse(self.template):
            regex.append(re.escape(literal))
            if name is not None:
                names.append(name)
                regex.append(f"(?P<{name}>{PARAM_PATTERNS.get(name, INT)})")
        object.__setattr__(self, "pattern", re.compile("".join(regex)))
        object.__setattr__(self, "params", tuple(names))


CATALOGUE: tuple[Message, ...] = (
    # -- before any instruction is walked: bpf_prog_load, subprograms, ld_imm64, cfg
    Message("empty_program", "the program has no instructions",
            "bpf_prog_load", "the program has no instructions", in_log=False),
    Message("program_too_long", "the program has {count} instructions, more than {limit}",
            "bpf_prog_load", "the program has 1000001 instructions, more than 1000000",
            in_log=False),
    Message("call_to_invalid_destination", "call to invalid destination",
            "add_subprog", "call to invalid destination"),
    Message("too_many_subprograms", "too many subprograms",
            "add_subprog", "too many subprograms"),
    Message("func_start", "func#{subprog} @{start}", "add_subprog_and_kfunc", "func#1 @3"),
    Message("jump_out_of_range", "jump out of range from insn {insn} to {target}",
            "check_subprogs", "jump out of range from insn 1 to 12"),
    Message("last_insn_not_exit", "last insn is not an exit or jmp",
            "check_subprogs", "last insn is not an exit or jmp"),
    Message("invalid_ld_imm64", "invalid bpf_ld_imm64 insn",
            "resolve_pseudo_ldimm64", "invalid bpf_ld_imm64 insn"),
    Message("unrecognized_ld_imm64", "unrecognized bpf_ld_imm64 insn",
            "resolve_pseudo_ldimm64", "unrecognized bpf_ld_imm64 insn"),
    Message("fd_idx_without_fd_array", "fd_idx without fd_array is invalid",
            "resolve_pseudo_ldimm64", "fd_idx without fd_array is invalid"),
    Message("not_a_map_fd", "fd {fd} is not pointing to valid bpf_map",
            "resolve_pseudo_ldimm64", "fd 999 is not pointing to valid bpf_map"),
    Message("unknown_opcode", "unknown opcode {opcode:02x}",
            "resolve_pseudo_ldimm64", "unknown opcode ff"),
    Message("unreachable_insn", "unreachable insn {insn}", "check_cfg", "unreachable insn 2"),
    Message("jump_into_ldimm64", "jump into the middle of ldimm64 insn {insn}",
            "check_cfg", "jump into the middle of ldimm64 insn 2"),
    # -- while walking a path: one instruction, no state needed
    Message("uses_reserved_fields", "{what} uses reserved fields",
            "resolve_pseudo_ldimm64, do_check, check_alu_op", "BPF_LDX uses reserved fields"),
    Message("invalid_register", "R{regno} is invalid", "check_reg_arg", "R11 is invalid"),
    Message("atomic_invalid_opcode", "BPF_ATOMIC uses invalid atomic opcode {atomic_op:02x}",
            "check_atomic", "BPF_ATOMIC uses invalid atomic opcode 02"),
    Message("atomic_operand_size", "invalid atomic operand size",
            "check_atomic_rmw", "invalid atomic operand size"),
    Message("addr_space_cast_spaces",
            "addr_space_cast insn can only convert between address space 1 and 0",
            "check_alu_op", "addr_space_cast insn can only convert between address space 1 and 0"),
    Message("addr_space_cast_without_arena",
            "addr_space_cast insn can only be used in a program that has an associated arena",
            "check_alu_op",
            "addr_space_cast insn can only be used in a program that has an associated arena"),
    Message("invalid_may_goto", "invalid may_goto imm {imm}", "check_cond_jmp_op",
            "invalid may_goto imm 3"),
    Message("invalid_func", "invalid func {name}#{func_id}",
            "check_helper_call", "invalid func unknown#99999"),
    Message("too_large", "BPF program is too large. Processed {count} insn",
            "do_check", "BPF program is too large. Processed 1000001 insn"),
    Message("ld_abs_not_allowed",
            "BPF_LD_[ABS|IND] instructions not allowed for this program type",
            "check_ld_abs", "BPF_LD_[ABS|IND] instructions not allowed for this program type"),
    # -- registers
    Message("not_read_ok", "R{regno} !read_ok", "check_reg_arg", "R0 !read_ok"),
    Message("frame_pointer_read_only", "frame pointer is read only",
            "check_reg_arg", "frame pointer is read only"),
    Message("invalid_mem_access", "R{regno} invalid mem access '{type}'",
            "check_mem_access", "R0 invalid mem access 'map_value_or_null'"),
    Message("bitwise_on_pointer", "R{regno} bitwise operator {op} on pointer prohibited",
            "adjust_ptr_min_max_vals", "R1 bitwise operator &= on pointer prohibited"),
    Message("pointer_arithmetic_on_type", "R{regno} pointer arithmetic on {type} prohibited",
            "adjust_ptr_min_max_vals", "R1 pointer arithmetic on map_ptr prohibited"),
    Message("pointer_arithmetic_operator",
            "R{regno} pointer arithmetic with {op} operator prohibited",
            "adjust_ptr_min_max_vals", "R1 pointer arithmetic with *= operator prohibited"),
    Message("reg_type_mismatch", "R{regno} type={type} expected={expected}",
            "check_reg_type", "R1 type=scalar expected=ringbuf_mem"),
    Message("zero_sized_read", "R{regno} invalid zero-sized read: u64=[{umin},{umax}]",
            "check_mem_size_reg", "R4 invalid zero-sized read: u64=[0,31]"),
    # -- memory
    Message("map_value_access",
            "invalid access to map value, value_size={value_size} off={off} size={size}",
            "check_mem_region_access", "invalid access to map value, value_size=8 off=8 size=8"),
    Message("memory_access", "invalid access to memory, mem_size={mem_size} off={off} size={size}",
            "check_mem_region_access", "invalid access to memory, mem_size=4 off=4 size=4"),
    Message("packet_access",
            "invalid access to packet, off={off} size={size}, "
            "R{regno}(id={id},off={reg_off},r={range})",
            "check_packet_access",
            "invalid access to packet, off=14 size=1, R2(id=<id>,off=14,r=14)"),
    Message("outside_packet", "R{regno} offset is outside of the packet",
            "check_packet_access", "R1 offset is outside of the packet"),
    Message("outside_memory_range", "R{regno} {bound} value is outside of the allowed memory range",
            "check_mem_region_access", "R0 min value is outside of the allowed memory range"),
    Message("ctx_access", "invalid bpf_context access off={off} size={size}",
            "check_ctx_access", "invalid bpf_context access off=0 size=4"),
    Message("variable_access", "variable {type} access var_off={var_off} disallowed",
            "__check_ptr_off_reg", "variable ctx access var_off=(0x0; 0x4) disallowed"),
    Message("stack_access", "invalid {access} stack R{regno} off={off} size={size}",
            "check_stack_access_within_bounds", "invalid write to stack R10 off=-520 size=8"),
    Message("misaligned_access",
            "misaligned {pointer}access off {var_off}+{reg_off}+{off} size {size}",
            "check_generic_ptr_alignment", "misaligned stack access off 0+0+-3 size 8"),
    # -- arithmetic
    Message("div_by_zero", "div by zero", "check_alu_op", "div by zero"),
    Message("invalid_shift", "invalid shift {amount}", "check_alu_op", "invalid shift 32"),
    # -- calls, loops, references, return values
    Message("helper_not_for_prog_type", "program of this type cannot use helper {name}#{func_id}",
            "check_helper_call", "program of this type cannot use helper bpf_skb_store_bytes#9"),
    Message("gpl_only_helper", "cannot call GPL-restricted function from non-GPL compatible program",
            "check_helper_call",
            "cannot call GPL-restricted function from non-GPL compatible program"),
    Message("expected_prog_array", "expected prog array map for tail call",
            "record_func_key", "expected prog array map for tail call"),
    Message("call_stack_too_deep", "the call stack of {frames} frames is too deep",
            "check_func_call", "the call stack of 9 frames is too deep"),
    Message("combined_stack_too_large", "combined stack size of {frames} calls is {size}. Too large",
            "check_max_stack_depth_subprog", "combined stack size of 2 calls is 608. Too large"),
    Message("infinite_loop", "infinite loop detected at insn {insn}",
            "is_state_visited", "infinite loop detected at insn 1"),
    Message("unreleased_reference", "Unreleased reference id={id} alloc_insn={insn}",
            "check_reference_leak", "Unreleased reference id=<id> alloc_insn=5"),
    Message("exit_leaks_reference", "BPF_EXIT instruction in {where} would lead to reference leak",
            "check_reference_leak", "BPF_EXIT instruction in main prog would lead to reference leak"),
    Message("return_range",
            "At {context} the register R{regno} has {value} should have been in [{low}, {high}]",
            "check_return_code",
            "At program exit the register R0 has smin=2 smax=2 should have been in [0, 1]"),
)

BY_ID: dict[str, Message] = {message.id: message for message in CATALOGUE}
assert len(BY_ID) == len(CATALOGUE), "message ids must be unique"


def message(message_id: str) -> Message:
    try:
        return BY_ID[message_id]
    except KeyError:
        raise MessageError(f"no message {message_id!r} in the catalogue") from None


def render(message_id: str, **params: object) -> str:
    """The kernel's text of a message with its parameters filled in."""
    entry = message(message_id)
    missing = [name for name in entry.params if name not in params]
    extra = sorted(set(params) - set(entry.params))
    if missing or extra:
        raise MessageError(f"message {message_id!r} takes {', '.join(entry.params) or 'nothing'}; "
                           f"missing {missing or 'none'}, unexpected {extra or 'none'}")
    try:
        return entry.template.format(**params)
    except (ValueError, TypeError) as error:
        raise MessageError(f"message {message_id!r}: bad parameter: {error}") from None


def match(line: str) -> tuple[str, dict[str, int | str]] | None:
    """Which catalogue message a kernel log line is, with its parameters; None if none."""
    text = line.strip()
    for entry in CATALOGUE:
        if not entry.in_log:
            continue
        found = entry.pattern.fullmatch(text)
        if found:
            return entry.id, {name: _value(name, found.group(name)) for name in entry.params}
    return None


def _value(name: str, text: str) -> int | str:
    if name in ("opcode", "atomic_op"):
        return int(text, 16)
    if name not in PARAM_PATTERNS or (name in NUMBER_OR_PLACEHOLDER and re.fullmatch(INT, text)):
        return int(text)
    return text
