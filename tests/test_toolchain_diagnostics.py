"""clang's text to structured diagnostics, and the rewriting of the paths clang prints."""

from __future__ import annotations

from vm_service.toolchain.diagnostics import PathNames, parse_diagnostics
from vm_service.toolchain.result import CompileResult, diagnostic

SANDBOX = PathNames(
    source_name="program.c",
    prefixes=(("/include/", ""), ("/src/", "")),
    server_paths=(("/tmp/bpf-compile-abc", "<tmp>"), ("/srv/headers", "<include>"), ("/opt/venv/ziglang", "<toolchain>")),
)

CLANG_TEXT = """\
zig: warning: unknown warning option '-Wfoo'; did you mean '-Wformat'? [-Wunknown-warning-option]
In file included from program.c:1:
In file included from /include/bpf/bpf_helpers.h:3:
/include/bpf/bpf_helper_defs.h:7:3: warning: something in a header [-Wsomething]
    7 |   x;
      |   ^
program.c:2:8: error: redefinition of 'point'
    2 | struct point { int y; };
      |        ^
/include/bpf/bpf_helpers.h:1:8: note: previous definition is here
    1 | struct point { int x; };
      |        ^
<inline asm>:1:9: error: Could not find incbin file 'x'
program.c:9:1: fatal error: too many errors emitted, stopping now [-ferror-limit=]
Stack dump: /opt/venv/ziglang/zig clang -I /srv/headers /tmp/bpf-compile-abc/src/program.c
2 errors generated.
"""


def test_it_turns_clang_text_into_the_project_shape():
    raw = SANDBOX.rewrite(CLANG_TEXT)
    assert parse_diagnostics(raw, SANDBOX) == [
        diagnostic(1, 1, "warning", "unknown warning option '-Wfoo'; did you mean '-Wformat'? [-Wunknown-warning-option]"),
        diagnostic(7, 3, "warning", "something in a header [-Wsomething]", file="bpf/bpf_helper_defs.h"),
        diagnostic(2, 8, "error", "redefinition of 'point'"),
        diagnostic(1, 8, "note", "previous definition is here", file="bpf/bpf_helpers.h"),
        diagnostic(1, 9, "error", "Could not find incbin file 'x'", file="<inline asm>"),
        diagnostic(9, 1, "error", "too many errors emitted, stopping now [-ferror-limit=]"),
    ]


def test_it_names_places_as_the_user_knows_them_and_hides_server_paths():
    raw = SANDBOX.rewrite(CLANG_TEXT)
    assert raw.splitlines()[0].startswith("clang: warning:")
    assert "In file included from bpf/bpf_helpers.h:3:" in raw
    assert "\nbpf/bpf_helper_defs.h:7:3: warning" in raw
    assert "\nbpf/bpf_helpers.h:1:8: note" in raw
    assert "Stack dump: <toolchain>/zig clang -I <include> <tmp>/src/program.c" in raw
    for server_path in ("/tmp/bpf-compile-abc", "/srv/headers", "/opt/venv", "/include/"):
        assert server_path not in raw


def test_it_leaves_the_users_own_text_alone():
    raw = SANDBOX.rewrite('program.c:1:6: error: x\n    1 | s = "/include/a";\n')
    assert '"/include/a"' in raw


def test_a_result_serialises_to_json_ready_data():
    result = CompileResult(True, b"\x7fELF", [diagnostic(1, 2, "note", "n")], "raw", "clang 22", "bubblewrap")
    assert result.to_dict() == {"ok": True, "object": "7f454c46", "diagnostics": [diagnostic(1, 2, "note", "n")],
                                "raw": "raw", "toolchain": "clang 22", "isolation": "bubblewrap",
                                "cached": False, "seconds": 0.0}
    assert "object" not in result.to_dict(with_object=False)
