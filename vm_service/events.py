"""One input event for a program run: a packet, or the arguments of a probe or tracepoint.

A run takes a sequence of events, each handled by the same program instance with its
maps persisting between them, as on a real attach point. ``EVENTS.json`` (see
``docs/formats.md``) is a list of these, each field optional; the program type
decides which fields it reads (a packet for xdp/tc/socket filters, ``args`` and
``regs`` for kprobes and tracepoints, ``task``/``cpu``/``time_ns``/``memory`` for all).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class TaskInput:
    """The current task while the event runs; None fields keep the Environment's defaults."""

    pid: int | None = None
    tgid: int | None = None
    uid: int | None = None
    gid: int | None = None
    comm: str | None = None


@dataclass(frozen=True)
class EventInput:
    """What one event gives the program.

    ``args`` are a probe's or tracepoint's arguments in order; ``regs`` names
    ``struct pt_regs`` fields (x86_64: "di", "si", "dx", "cx", "r8", "ax", "ip", "sp"...);
    ``memory`` is simulated memory the program may read with probe_read helpers, as
    (address, bytes) pairs; ``time_ns`` sets the virtual clock when the event starts.
    """

    packet: bytes | None = None
    args: tuple[int, ...] = ()
    regs: dict[str, int] = field(default_factory=dict)
    task: TaskInput | None = None
    cpu: int | None = None
    memory: tuple[tuple[int, bytes], ...] = ()
    time_ns: int | None = None
