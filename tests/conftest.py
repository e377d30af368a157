"""Project-wide pytest rules. Self-contained: imports only the standard library and pytest.

Skips fail under CI
    When the environment has ``CI=true`` (as the CI runner sets it), every
    skipped test is reported as a failure, with the skip reason in the message.
    A suite that cannot run in CI is a broken suite, not a quiet one. Expected
    failures (xfail) are left alone. A whole module skipped at collection time
    becomes a collection error. Locally, skips stay skips. To skip for a missing
    tool, use ``tests.support.require_tool`` so the message names the Debian
    package to add to ``DEBIAN_PACKAGES`` in ``scripts/test``.

Kernel comparisons
    Tests that compare the engine against the live kernel (``bpf()`` syscall,
    mark them ``@pytest.mark.kernel``) call the ``kernel_comparisons`` fixture
    once per comparison made::

        @pytest.mark.kernel
        def test_it_matches_the_kernel(kernel_comparisons, case):
            assert engine_verdict(case) == kernel_verdict(case)
            kernel_comparisons()        # or kernel_comparisons(n) for a batch

    The run always ends with a ``kernel comparisons: N`` line (N may be 0), so
    a CI log shows whether the differential tests really reached the kernel.
    The count is per process: the suite does not use pytest-xdist.
"""

from __future__ import annotations

import os

import pytest


def _ci_enabled() -> bool:
    return os.environ.get("CI", "").strip().lower() == "true"


def _skip_reason(report: pytest.TestReport | pytest.CollectReport) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2]).removeprefix("Skipped: ")
    return str(longrepr)


def _fail_skipped(report: pytest.TestReport | pytest.CollectReport) -> None:
    report.outcome = "failed"
    report.longrepr = f"skipped under CI=true, which counts as a failure: {_skip_reason(report)}"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    outcome = yield
    report = outcome.get_result()
    if _ci_enabled() and report.skipped and not hasattr(report, "wasxfail"):
        _fail_skipped(report)


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector: pytest.Collector):
    outcome = yield
    report = outcome.get_result()
    if _ci_enabled() and report.skipped:
        _fail_skipped(report)


class KernelComparisons:
    """Counts comparisons made against the live kernel in this test session."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, n: int = 1) -> None:
        if n < 0:
            raise ValueError("a comparison count cannot be negative")
        self.count += n


_KERNEL_COMPARISONS = pytest.StashKey[KernelComparisons]()


def pytest_configure(config: pytest.Config) -> None:
    config.stash[_KERNEL_COMPARISONS] = KernelComparisons()


@pytest.fixture
def kernel_comparisons(request: pytest.FixtureRequest) -> KernelComparisons:
    """Call once per comparison against the live kernel: ``kernel_comparisons()``."""
    return request.config.stash[_KERNEL_COMPARISONS]


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    counter = config.stash.get(_KERNEL_COMPARISONS, None)
    terminalreporter.write_line(f"kernel comparisons: {counter.count if counter else 0}")
