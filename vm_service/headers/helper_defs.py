"""Generate ``bpf/bpf_helper_defs.h`` and ``linux/bpf_func_id.h`` from the engine's tables.

libbpf generates its ``bpf_helper_defs.h`` from the kernel's helper
documentation: one ``static RET (* const NAME)(PARAMS) = (void *) ID;`` per
helper, a pointer whose value is the helper's id, which clang turns into
``call ID``. We generate ours from the helper table (``PROTOTYPES``), so a
program can call exactly the helpers the playground implements, declared the
way libbpf declares them, and the header never drifts from the table.
``enum bpf_func_id`` (``BPF_FUNC_map_lookup_elem = 1``...) comes from the
kernel's full id list in ``helper_ids``.
"""

from __future__ import annotations

import re
from typing import Mapping

from ..helper_ids import HELPER_NAMES
from ..helpers.prototypes import PROTOTYPES, HelperProto
from .errors import HeaderError

AGGREGATE_NAME = re.compile(r"\b(struct|union)\s+([A-Za-z_]\w*)")


def split_declaration(helper: str, c: str) -> tuple[str, str]:
    """``"void *(void *map, const void *key)"`` -> ``("void *", "void *map, const void *key")``.

    The parameter list is the last balanced parenthesised group, so return
    types such as ``void *`` and parameters that are function pointers both work.
    """
    text = c.strip()
    if not text.endswith(")"):
        raise HeaderError(f"{helper}: C declaration {c!r} is not 'RETURN (PARAMETERS)'")
    depth = 0
    for index in range(len(text) - 1, -1, -1):
        depth += {")": 1, "(": -1}.get(text[index], 0)
        if depth == 0:
            ret, params = text[:index].strip(), text[index + 1:-1].strip()
            break
    else:
        raise HeaderError(f"{helper}: unbalanced parentheses in C declaration {c!r}")
    if ret.count("(") != ret.count(")"):
        raise HeaderError(f"{helper}: unbalanced parentheses in C declaration {c!r}")
    if not ret or not params:
        raise HeaderError(f"{helper}: C declaration {c!r} needs a return type and parameters "
                          "('void' when there are none)")
    return ret, params


def declaration(proto: HelperProto) -> str:
    """One helper as libbpf declares it: a constant function pointer whose value is the helper id."""
    ret, params = split_declaration(proto.name, proto.c)
    gap = "" if ret.endswith("*") else " "
    return f"static {ret}{gap}(* const {proto.name})({params}) = (void *) {proto.id};"


def _comment(proto: HelperProto) -> str:
    summary = proto.summary.replace("*/", "* /") or "(no summary)"
    gpl = " GPL-only." if proto.gpl_only else ""
    return f"/* {proto.name} (helper {proto.id}): {summary}.{gpl} */"


def render_helper_defs(protos: Mapping[int, HelperProto] = PROTOTYPES) -> str:
    """The text of ``bpf/bpf_helper_defs.h`` for a helper table (id -> row)."""
    rows = [protos[helper_id] for helper_id in sorted(protos)]
    aggregates = sorted({match.group(0) for row in rows
                         for match in AGGREGATE_NAME.finditer(row.c)})
    lines = [
        "/* Declarations of the BPF helpers the playground implements, generated from",
        " * its helper table (vm_service/helpers/prototypes.py), in libbpf's form: each",
        " * helper is a constant function pointer whose value is the helper's id, so a",
        " * call compiles to `call ID`. Included by <bpf/bpf_helpers.h>. */",
        "#ifndef __BPF_HELPER_DEFS_H__",
        "#define __BPF_HELPER_DEFS_H__",
        "",
        "/* __u64 and friends: from vmlinux.h when a program uses it, else the UAPI. */",
        "#ifndef __VMLINUX_H__",
        "#include <linux/types.h>",
        "#endif",
        "",
    ]
    lines += [f"{name};" for name in aggregates]
    if aggregates:
        lines.append("")
    for row in rows:
        lines += [_comment(row), declaration(row), ""]
    lines.append("#endif /* __BPF_HELPER_DEFS_H__ */")
    return "\n".join(lines) + "\n"


def render_func_ids(names: Mapping[int, str] = HELPER_NAMES) -> str:
    """The text of ``linux/bpf_func_id.h``: ``enum bpf_func_id``, as the UAPI spells it."""
    enumerators = [f"\tBPF_FUNC_{_short(names[helper_id])} = {helper_id},"
                   for helper_id in sorted(names)]
    return "\n".join([
        "/* enum bpf_func_id: every helper id of Linux 6.18, generated from",
        " * vm_service/helper_ids.py. Included by <linux/bpf.h>. */",
        "#ifndef __LINUX_BPF_FUNC_ID_H__",
        "#define __LINUX_BPF_FUNC_ID_H__",
        "",
        "enum bpf_func_id {",
        *enumerators,
        f"\t__BPF_FUNC_MAX_ID = {max(names) + 1},",
        "};",
        "",
        "#endif /* __LINUX_BPF_FUNC_ID_H__ */",
        "",
    ])


def _short(name: str) -> str:
    """``bpf_map_lookup_elem`` -> ``map_lookup_elem`` (the kernel prints the prefix, the enum does not)."""
    return name.removeprefix("bpf_")
