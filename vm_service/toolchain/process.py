"""Run one command under resource limits, and leave nothing of it running afterwards.

The limits are set by util-linux's ``prlimit`` before the command starts
(address space, CPU seconds with a SIGXCPU warning one second before the
SIGKILL, largest file written, no core dumps), so no Python runs between fork
and exec. The command leads its own session and process group; when it exits
or the wall-time limit passes, the whole group is killed while the leader is
still an unreaped zombie, so its group id cannot have been reused. After a
kill, ``run_limited`` returns only once no member of the group is still
running (a killed clang takes a moment to release its memory).
"""

from __future__ import annotations

import os
import select
import time
import shutil
import signal
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from .limits import Limits
from .result import ToolchainError


@dataclass(frozen=True)
class Outcome:
    returncode: int
    signal: int | None    # the signal that ended the command, if one did
    timed_out: bool       # stopped by the wall-time limit


def prlimit_command(limits: Limits) -> list[str]:
    prlimit = shutil.which("prlimit", path="/usr/bin:/bin:/usr/sbin:/sbin")
    if prlimit is None:
        raise ToolchainError("prlimit (Debian package util-linux) is needed to limit compiles")
    cpu = limits.cpu_seconds
    return [prlimit, f"--as={limits.memory_bytes}", f"--cpu={cpu}:{cpu + 1}",
            f"--fsize={limits.output_bytes}", "--core=0", "--"]


def run_limited(argv: Sequence[str], *, cwd: Path, env: dict[str, str], limits: Limits,
                stderr_path: Path, exit_status_carries_signal: bool = False) -> Outcome:
    """Run ``argv`` with ``limits``; its stderr goes to ``stderr_path``.

    ``exit_status_carries_signal``: the command reports a child killed by
    signal N as exit status 128 + N (bubblewrap does).
    """
    with open(stderr_path, "wb") as stderr:
        process = subprocess.Popen([*prlimit_command(limits), *argv], cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                                   stdout=subprocess.DEVNULL, stderr=stderr, start_new_session=True)
    timed_out = True
    try:
        timed_out = not _wait_without_reaping(process.pid, limits.wall_seconds)
    finally:
        _kill_group(process.pid)
        returncode = process.wait()
        if timed_out:
            _wait_for_group_to_end(process.pid)
    ended_by = -returncode if returncode < 0 else None
    if ended_by is None and exit_status_carries_signal and returncode > 128:
        ended_by = returncode - 128
    return Outcome(returncode, ended_by, timed_out)


def _wait_without_reaping(pid: int, timeout: float) -> bool:
    """True once ``pid`` has exited (it stays a zombie), False if ``timeout`` passes first."""
    pidfd = os.pidfd_open(pid)
    try:
        readable, _, _ = select.select([pidfd], [], [], timeout)
        return bool(readable)
    finally:
        os.close(pidfd)


def _wait_for_group_to_end(pgid: int, timeout: float = 10.0) -> None:
    """Wait until no process of the group is running (zombies awaiting their parent do not count)."""
    deadline = time.monotonic() + timeout
    while _running_members(pgid) and time.monotonic() < deadline:
        time.sleep(0.01)


def _running_members(pgid: int) -> list[int]:
    members = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as stat:
                data = stat.read()
        except OSError:
            continue
        state, _ppid, group = data[data.rindex(b")") + 2 :].split()[:3]
        if int(group) == pgid and state != b"Z":
            members.append(int(name))
    return members


def _kill_group(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except ProcessLookupError:
        pass
