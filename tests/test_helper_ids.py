"""The helper table against the running kernel's ``enum bpf_func_id`` (read from its BTF)."""

from __future__ import annotations

import pytest

from vm_service import btf
from vm_service.helper_ids import HELPER_IDS, HELPER_NAMES, MAX_ID, helper_name


@pytest.fixture(scope="module")
def kernel_helpers() -> dict[int, str]:
    try:
        enum = btf.load(btf.VMLINUX).enum("bpf_func_id")
    except OSError as error:
        pytest.skip(f"cannot read {btf.VMLINUX}: {error}")
    return {value: "bpf_" + name.removeprefix("BPF_FUNC_")
            for name, value in enum.items() if name != "__BPF_FUNC_MAX_ID"}


def test_no_kernel_helper_is_missing_from_the_table(kernel_helpers):
    missing = {i: n for i, n in kernel_helpers.items() if HELPER_NAMES.get(i) != n}
    assert missing == {}


def test_the_table_has_no_helper_the_kernel_lacks(kernel_helpers):
    extra = {i: n for i, n in HELPER_NAMES.items() if kernel_helpers.get(i) != n}
    assert extra == {}


def test_the_table_ends_where_the_kernels_enum_does(kernel_helpers):
    assert MAX_ID == max(kernel_helpers) + 1


def test_names_and_ids_map_both_ways():
    assert helper_name(1) == "bpf_map_lookup_elem" and HELPER_IDS["bpf_map_lookup_elem"] == 1
    assert helper_name(0) == "bpf_unspec"
    assert helper_name(MAX_ID) is None and helper_name(-1) is None
    assert len(HELPER_IDS) == len(HELPER_NAMES) == MAX_ID
