"""Admission control: per-user serialisation, queue positions, round-robin turns, superseding."""

from __future__ import annotations

import threading
import time
from concurrent.futures import CancelledError

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vm_service.toolchain import CompileError, CompileService, compile_source


class Gate:
    """A fake compiler that records what starts and holds each compile until released."""

    def __init__(self):
        self.started: list[str] = []
        self.running = 0
        self.most_running = 0
        self._lock = threading.Lock()
        self._release = threading.Semaphore(0)
        self._start = threading.Condition(self._lock)

    def __call__(self, source, **options):
        with self._lock:
            self.started.append(source)
            self.running += 1
            self.most_running = max(self.most_running, self.running)
            self._start.notify_all()
        assert self._release.acquire(timeout=10), "compile never released"
        with self._lock:
            self.running -= 1
        return f"compiled {source}"

    def wait_started(self, count: int) -> None:
        with self._lock:
            assert self._start.wait_for(lambda: len(self.started) >= count, timeout=10)

    def release(self, count: int = 1) -> None:
        for _ in range(count):
            self._release.release()


@pytest.fixture
def gate():
    return Gate()


@pytest.fixture
def service(gate):
    service = CompileService(workers=1, compiler=gate)
    yield service
    gate.release(100)
    service.close()


class Updates:
    def __init__(self):
        self.seen: dict[str, list[dict]] = {}

    def listener(self, name):
        return lambda update: self.seen.setdefault(name, []).append(update)


def test_users_take_turns_round_robin_not_in_request_order(service, gate):
    updates = Updates()
    futures = {"A1": service.submit("alice", "A1", supersede=False)}
    gate.wait_started(1)
    for name, user in [("A2", "alice"), ("A3", "alice"), ("B1", "bob"), ("C1", "carol")]:
        futures[name] = service.submit(user, name, supersede=False, on_update=updates.listener(name))
    assert [updates.seen[name][-1] for name in ("B1", "C1", "A2", "A3")] == [
        {"queued": 1}, {"queued": 2}, {"queued": 3}, {"queued": 4}]
    gate.release(5)
    assert [futures[name].result(10) for name in futures] == [f"compiled {n}" for n in futures]
    assert gate.started == ["A1", "B1", "C1", "A2", "A3"]


def test_positions_count_down_to_running(service, gate):
    updates = Updates()
    service.submit("alice", "A1")
    gate.wait_started(1)
    future = None
    for user in ("bob", "carol", "dave"):
        future = service.submit(user, user, on_update=updates.listener(user))
    gate.release(4)
    future.result(10)
    assert updates.seen["dave"] == [{"queued": 3}, {"queued": 2}, {"queued": 1}, {"running": True}]
    assert updates.seen["bob"] == [{"queued": 1}, {"running": True}]


def test_a_user_never_has_two_compiles_running(gate):
    service = CompileService(workers=4, compiler=gate)
    try:
        futures = [service.submit("alice", f"A{i}", supersede=False) for i in range(3)]
        futures.append(service.submit("bob", "B1"))
        gate.wait_started(2)
        time.sleep(0.1)
        assert sorted(gate.started) == ["A0", "B1"]
        gate.release(4)
        for future in futures:
            future.result(10)
        assert gate.started[2:] == ["A1", "A2"]
    finally:
        gate.release(10)
        service.close()


def test_the_pool_runs_different_users_in_parallel(gate):
    service = CompileService(workers=3, compiler=gate)
    try:
        for user in ("alice", "bob", "carol"):
            service.submit(user, user)
        gate.wait_started(3)
        assert gate.most_running == 3
    finally:
        gate.release(3)
        service.close()


def test_a_new_request_supersedes_the_users_waiting_one(service, gate):
    service.submit("alice", "A1")
    gate.wait_started(1)
    old = service.submit("alice", "A2")
    new = service.submit("alice", "A3")
    assert old.cancelled()
    with pytest.raises(CancelledError):
        old.result(1)
    gate.release(2)
    assert new.result(10) == "compiled A3"
    assert gate.started == ["A1", "A3"]


def test_a_cancelled_request_never_runs(service, gate):
    service.submit("alice", "A1")
    gate.wait_started(1)
    doomed = service.submit("bob", "B1")
    kept = service.submit("carol", "C1")
    assert doomed.cancel()
    gate.release(2)
    kept.result(10)
    assert gate.started == ["A1", "C1"]


def test_a_failing_compile_reaches_its_caller_and_the_queue_goes_on():
    def compiler(source, **options):
        if source == "bad":
            raise CompileError("no clang")
        return source

    service = CompileService(workers=1, compiler=compiler)
    try:
        with pytest.raises(CompileError, match="no clang"):
            service.submit("alice", "bad").result(10)
        assert service.submit("alice", "good").result(10) == "good"
    finally:
        service.close()


def test_a_broken_listener_does_not_stop_the_queue(service, gate):
    def broken(update):
        raise RuntimeError("listener bug")

    future = service.submit("alice", "A1", on_update=broken)
    gate.release(1)
    assert future.result(10) == "compiled A1"


def test_closing_cancels_waiting_requests_and_refuses_new_ones(gate):
    service = CompileService(workers=1, compiler=gate)
    running = service.submit("alice", "A1")
    gate.wait_started(1)
    waiting = service.submit("bob", "B1")
    service.close(wait=False)
    assert waiting.cancelled()
    with pytest.raises(CompileError, match="closed"):
        service.submit("carol", "C1")
    gate.release(1)
    assert running.result(10) == "compiled A1"
    service.close()
    assert gate.started == ["A1"]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.sampled_from(["ann", "bob", "cat", "dan"]), min_size=1, max_size=12))
def test_waiting_requests_start_round_by_round_in_order_of_arrival(users):
    """While one compile holds the only worker, requests pile up; they then start in turns."""
    gate = Gate()
    service = CompileService(workers=1, compiler=gate)
    try:
        service.submit("first", "first")
        gate.wait_started(1)
        futures = [service.submit(user, f"{user}{i}", supersede=False) for i, user in enumerate(users)]
        gate.release(len(users) + 1)
        for future in futures:
            future.result(10)
        queues = {user: [f"{u}{i}" for i, u in enumerate(users) if u == user] for user in dict.fromkeys(users)}
        expected = [queue[r] for r in range(len(users)) for queue in queues.values() if r < len(queue)]
        assert gate.started == ["first", *expected]
    finally:
        gate.release(100)
        service.close()


def test_a_request_needs_a_user(service):
    with pytest.raises(CompileError, match="needs a user"):
        service.submit("", "x")


def test_the_pool_is_sized_to_the_usable_cores():
    import os

    service = CompileService(compiler=lambda source, **options: source)
    try:
        assert service.workers == len(os.sched_getaffinity(0))
    finally:
        service.close()


def test_it_runs_real_compiles_and_passes_the_options(tmp_path):
    (tmp_path / "bpf").mkdir()
    (tmp_path / "bpf" / "bpf_helpers.h").write_text("#define SEC(n) __attribute__((section(n), used))\n")
    service = CompileService(workers=2)
    try:
        source = '#include <bpf/bpf_helpers.h>\nSEC("xdp") int f(void *ctx) { return 2; }\n'
        futures = [service.submit(user, source, include_dir=tmp_path, mcpu="v2", cache=None)
                   for user in ("alice", "bob")]
        results = [future.result(60) for future in futures]
        assert all(result.ok for result in results)
        assert results[0].object == results[1].object == compile_source(
            source, include_dir=tmp_path, mcpu="v2", cache=None).object
    finally:
        service.close()
