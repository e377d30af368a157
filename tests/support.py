"""Helpers shared by the test suites."""

from __future__ import annotations

import os
import shutil

import pytest


def require_tool(path_or_name: str, package: str) -> str:
    """Return the resolved path of an executable, or skip the test naming its Debian package.

    ``path_or_name`` is an absolute path (``/usr/bin/llvm-objdump-22``) or a
    command name looked up on ``PATH``. Under ``CI=true`` the skip becomes a
    failure (see ``tests/conftest.py``): add the package to ``DEBIAN_PACKAGES``
    in ``scripts/test`` so CI installs it.
    """
    if os.sep in path_or_name:
        if os.path.isfile(path_or_name) and os.access(path_or_name, os.X_OK):
            return path_or_name
    else:
        found = shutil.which(path_or_name)
        if found:
            return found
    pytest.skip(f"{path_or_name} not found: needs Debian package {package}")


def require_bpf() -> None:
    """Skip (a failure under ``CI=true``) when the live kernel cannot serve as the oracle."""
    from vm_service import kernel
    available, why = kernel.available()
    if not available:
        pytest.skip(f"the kernel cannot serve as the oracle: {why}")
