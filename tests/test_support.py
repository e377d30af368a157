"""The shared test rules: require_tool, CI's skip-is-failure rule, the kernel comparison count."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import require_tool

CONFTEST = Path(__file__).resolve().parent / "conftest.py"

SAMPLE_TESTS = """
import pytest

def test_skips():
    pytest.skip("no widget here")

@pytest.mark.xfail(reason="known bug")
def test_expected_failure():
    assert False

def test_compares_twice(kernel_comparisons):
    kernel_comparisons()
    kernel_comparisons()
"""


def run_sample_suite(tmp_path: Path, ci: str | None) -> subprocess.CompletedProcess:
    """Run SAMPLE_TESTS with a copy of our conftest, in a pytest of its own."""
    shutil.copy(CONFTEST, tmp_path / "conftest.py")
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    (tmp_path / "test_sample.py").write_text(SAMPLE_TESTS)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "DJANGO_"))}
    env.pop("CI", None)
    if ci is not None:
        env["CI"] = ci
    env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-rA", str(tmp_path)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_skip_is_a_failure_under_ci(tmp_path):
    proc = run_sample_suite(tmp_path, ci="true")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "1 failed, 1 passed, 1 xfailed" in proc.stdout
    assert "no widget here" in proc.stdout


def test_a_skip_stays_a_skip_outside_ci(tmp_path):
    proc = run_sample_suite(tmp_path, ci=None)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "1 passed, 1 skipped, 1 xfailed" in proc.stdout


def test_the_run_prints_the_kernel_comparison_count(tmp_path):
    proc = run_sample_suite(tmp_path, ci=None)
    assert "kernel comparisons: 2" in proc.stdout.splitlines()


def test_require_tool_finds_a_command_on_path():
    assert require_tool("sh", "dash") == shutil.which("sh")


def test_require_tool_accepts_an_absolute_path():
    assert require_tool(sys.executable, "python3") == sys.executable


def test_require_tool_skips_naming_the_package():
    with pytest.raises(pytest.skip.Exception, match="needs Debian package no-such-package"):
        require_tool("/nonexistent/tool-for-the-test", "no-such-package")
