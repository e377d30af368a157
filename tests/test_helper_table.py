"""The helper table against the kernel: names and numbers from its BTF, permissions from bpf(2).

The running kernel's BTF (``/sys/kernel/btf/vmlinux``) carries the uapi enums
(``bpf_func_id``, ``bpf_prog_type``) and the verifier's internal ones
(``bpf_arg_type``, ``bpf_return_type``, ``bpf_type_flag``), so every number in
``vm_service.helpers.kinds`` is checked against it. Which program types may
call each helper, and which helpers are GPL-only, is asked of the verifier
itself: a one-call program is loaded for every (helper, program type) pair.
"""

from __future__ import annotations

import pytest

from vm_service import btf, kernel
from vm_service.helper_ids import HELPER_NAMES
from vm_service.helpers import PROTOTYPES, ProgType, implementations
from vm_service.helpers import kinds
from vm_service.helpers.kinds import ArgBase, RetBase, TypeFlag

AVAILABLE, WHY = kernel.available()

# Program types the kernel loads without a target to attach to, with the
# expected_attach_type (an enum bpf_attach_type name) or prog_flags they need.
ATTACH = {
    ProgType.CGROUP_SKB: "BPF_CGROUP_INET_INGRESS", ProgType.CGROUP_SOCK: "BPF_CGROUP_INET_SOCK_CREATE",
    ProgType.CGROUP_SOCK_ADDR: "BPF_CGROUP_INET4_CONNECT", ProgType.CGROUP_SOCKOPT:
    "BPF_CGROUP_GETSOCKOPT", ProgType.NETFILTER: "BPF_NETFILTER", ProgType.SK_LOOKUP: "BPF_SK_LOOKUP",
    ProgType.FLOW_DISSECTOR: "BPF_FLOW_DISSECTOR",
}
BPF_F_SLEEPABLE = 1 << 4
# tracing, lsm, struct_ops and ext need a BTF target; lirc_mode2 needs CONFIG_BPF_LIRC_MODE2.
NOT_LOADABLE = {ProgType.UNSPEC, ProgType.TRACING, ProgType.STRUCT_OPS, ProgType.EXT,
                ProgType.LSM, ProgType.LIRC_MODE2}
LOADABLE = [t for t in ProgType if t not in NOT_LOADABLE]


@pytest.fixture(scope="module")
def vmlinux() -> btf.Btf:
    try:
        return btf.load(btf.VMLINUX)
    except OSError as error:
        pytest.skip(f"cannot read {btf.VMLINUX}: {error}")


@pytest.fixture(scope="module")
def bpf_ok():
    if not AVAILABLE:
        pytest.skip(f"the kernel cannot serve as the oracle: {WHY}")


# -- the table itself ------------------------------------------------------------------------------

def test_every_row_is_keyed_by_its_own_id_and_named_as_helper_ids():
    for helper_id, proto in PROTOTYPES.items():
        assert proto.id == helper_id and HELPER_NAMES[helper_id] == proto.name


def test_rows_declare_at_most_five_arguments_and_sizes_follow_buffers():
    for proto in PROTOTYPES.values():
        assert len(proto.args) <= 5, proto.name
        for index, kind in enumerate(proto.args):
            if kind.base in (ArgBase.ARG_CONST_SIZE, ArgBase.ARG_CONST_SIZE_OR_ZERO):
                assert proto.args[index - 1].base is ArgBase.ARG_PTR_TO_MEM, proto.name


def test_raw_mode_gets_exactly_the_helpers_of_every_program_type():
    everywhere = {i for i, p in PROTOTYPES.items() if p.prog_types is None}
    assert set(implementations(None)) == everywhere
    for prog_type in ProgType:
        assert everywhere <= set(implementations(prog_type))


def test_kinds_print_as_the_kernel_spells_them():
    assert str(kinds.ARG_PTR_TO_UNINIT_MEM) == "ARG_PTR_TO_UNINIT_MEM"
    assert str(kinds.ARG_PTR_TO_MEM | TypeFlag.MEM_RDONLY) == "ARG_PTR_TO_MEM | MEM_RDONLY"
    assert str(PROTOTYPES[1].ret) == "RET_PTR_TO_MAP_VALUE_OR_NULL"


# -- numbers against the kernel's BTF --------------------------------------------------------------

def test_helper_ids_and_names_match_enum_bpf_func_id(vmlinux):
    enum = vmlinux.enum("bpf_func_id")
    for proto in PROTOTYPES.values():
        assert enum["BPF_FUNC_" + proto.name.removeprefix("bpf_")] == proto.id


def test_prog_type_is_enum_bpf_prog_type(vmlinux):
    enum = {name.removeprefix("BPF_PROG_TYPE_"): value
            for name, value in vmlinux.enum("bpf_prog_type").items() if not name.startswith("__")}
    assert enum == {t.name: t.value for t in ProgType}


@pytest.mark.parametrize("ours, enum_name, skip", [
    (TypeFlag, "bpf_type_flag", "__"), (ArgBase, "bpf_arg_type", "__"),
    (RetBase, "bpf_return_type", "__")])
def test_kind_enums_match_the_kernels(vmlinux, ours, enum_name, skip):
    theirs = vmlinux.enum(enum_name)
    for member in ours:
        if member.name != "NONE":
            assert theirs[member.name] == member.value, member.name
    bases = {name: value for name, value in theirs.items()
             if value < 1 << kinds.BASE_TYPE_BITS and not name.startswith(skip)}
    if ours is not TypeFlag:
        assert bases == {m.name: m.value for m in ours}


@pytest.mark.parametrize("name", ["ARG_PTR_TO_MEM_OR_NULL", "ARG_PTR_TO_UNINIT_MEM",
                                  "ARG_PTR_TO_STACK_OR_NULL"])
def test_composite_argument_kinds_have_the_kernels_values(vmlinux, name):
    assert getattr(kinds, name).value == vmlinux.enum("bpf_arg_type")[name]


@pytest.mark.parametrize("name", ["RET_PTR_TO_MAP_VALUE_OR_NULL", "RET_PTR_TO_RINGBUF_MEM_OR_NULL"])
def test_composite_return_kinds_have_the_kernels_values(vmlinux, name):
    assert getattr(kinds, name).value == vmlinux.enum("bpf_return_type")[name]


# -- permissions against the verifier ----------------------------------------------------------------

def one_call(helper_id: int) -> bytes:
    """call <helper>; r0 = 0; exit. The verifier looks the helper up before its arguments."""
    return (bytes([0x85, 0, 0, 0]) + helper_id.to_bytes(4, "little")
            + bytes.fromhex("b700000000000000" "9500000000000000"))


def verdict(vmlinux: btf.Btf, helper_id: int, prog_type: ProgType, license: str = "GPL") -> str:
    """'denied', 'gpl' (GPL-only under another license) or 'allowed'."""
    attach = vmlinux.enum("bpf_attach_type").get(ATTACH.get(prog_type, ""), 0)
    flags = BPF_F_SLEEPABLE if prog_type is ProgType.SYSCALL else 0
    with kernel.prog_load(one_call(helper_id), int(prog_type), license=license,
                          expected_attach_type=attach, prog_flags=flags) as loaded:
        log = loaded.log
    if "cannot use helper" in log or "unknown func" in log:
        return "denied"
    if "GPL" in log:
        return "gpl"
    assert "processed" in log, f"{prog_type.name} did not reach the verifier:\n{log}"
    return "allowed"


@pytest.mark.kernel
@pytest.mark.parametrize("prog_type", LOADABLE, ids=[t.name.lower() for t in LOADABLE])
def test_program_types_may_call_what_the_kernel_allows(bpf_ok, vmlinux, kernel_comparisons,
                                                       prog_type):
    ours = {i for i, p in PROTOTYPES.items() if p.allowed_in(prog_type)}
    theirs = {i for i in PROTOTYPES if verdict(vmlinux, i, prog_type) != "denied"}
    kernel_comparisons(len(PROTOTYPES))
    assert {HELPER_NAMES[i] for i in ours ^ theirs} == set()


@pytest.mark.kernel
@pytest.mark.parametrize("prog_type", [ProgType.SOCKET_FILTER, ProgType.KPROBE])
def test_gpl_only_helpers_are_the_kernels(bpf_ok, vmlinux, kernel_comparisons, prog_type):
    rows = [p for p in PROTOTYPES.values() if p.allowed_in(prog_type)]
    theirs = {p.id for p in rows if verdict(vmlinux, p.id, prog_type, "Proprietary") == "gpl"}
    kernel_comparisons(len(rows))
    assert {p.id for p in rows if p.gpl_only} == theirs
