"""Exact time travel over a Machine: checkpoints plus deterministic re-execution.

A run is deterministic (virtual clock, seeded PRNG), so any earlier state can be
rebuilt by restoring the nearest earlier checkpoint and running forward. A
*position* counts the steps taken: executed instructions, plus one once the
instruction limit has been reached (that step changes the state too).

Checkpoints are dense near the present and thin out with age: when there are
more than ``max_checkpoints``, every other checkpoint in the older half is
dropped. Memory stays bounded however long the run, and stepping back from the
present re-executes at most ``interval`` instructions.
"""

from __future__ import annotations

import bisect
from typing import Callable, Iterable

from .machine import Event, Machine

Forward = Callable[[Machine, "int | None", Iterable[int]], Event]


def position_of(machine: Machine) -> int:
    """Steps taken so far: instructions executed, plus one for reaching the limit."""
    limited = machine.result is not None and machine.result.kind == "limit"
    return machine.instructions + (1 if limited else 0)


def _default_forward() -> Forward:
    try:
        from .fast import run_fast
    except ImportError:  # the fast mode is optional; step mode is the reference
        return lambda machine, budget, breakpoints: machine.run(budget, breakpoints)
    return run_fast


class Recorder:
    """Drive a Machine forwards and backwards. ``machine`` is stepped in place."""

    def __init__(self, machine: Machine, *, interval: int = 1024, max_checkpoints: int = 512,
                 forward: Forward | None = None):
        if interval < 1 or max_checkpoints < 2:
            raise ValueError("interval must be >= 1 and max_checkpoints >= 2")
        self.machine = machine
        self.interval = interval
        self.max_checkpoints = max_checkpoints
        self.forward = forward or _default_forward()
        self.start = position_of(machine)
        self._positions: list[int] = [self.start]
        self._snapshots: dict[int, dict] = {self.start: machine.snapshot()}

    @property
    def position(self) -> int:
        return position_of(self.machine)

    @property
    def checkpoints(self) -> list[int]:
        return list(self._positions)

    # -- forwards ----------------------------------------------------------

    def step(self) -> Event:
        event = self.machine.step()
        self._maybe_checkpoint()
        return event

    def run(self, budget: int | None = None, breakpoints: Iterable[int] = ()) -> Event:
        """Like Machine.run (same events), checkpointing on the way."""
        stops = frozenset(breakpoints)
        begin = self.position
        target = None if budget is None else begin + budget
        while True:
            chunk = self.interval - (self.position - self.start) % self.interval
            if target is not None:
                chunk = min(chunk, target - self.position)
                if chunk <= 0:
                    return Event("paused", self.machine.pc,
                                 f"paused after {self.position - begin} instructions")
            event = self.forward(self.machine, chunk, stops)
            self._maybe_checkpoint()
            if event.kind != "paused":
                return event
            if self.machine.pc in stops and (target is None or self.position < target):
                return Event("breakpoint", self.machine.pc)

    def _maybe_checkpoint(self) -> None:
        position = self.position
        if (position - self.start) % self.interval or position in self._snapshots:
            return
        if position < self._positions[-1]:
            return  # only the frontier grows the list; earlier ones exist or were thinned
        self._positions.append(position)
        self._snapshots[position] = self.machine.snapshot()
        if len(self._positions) > self.max_checkpoints:
            self._thin()

    def _thin(self) -> None:
        """Drop every other checkpoint in the older half (never the first)."""
        half = len(self._positions) // 2
        older, newer = self._positions[:half], self._positions[half:]
        kept = older[::2]
        for dropped in older[1::2]:
            del self._snapshots[dropped]
        self._positions = kept + newer

    # -- backwards ---------------------------------------------------------

    def goto(self, position: int) -> None:
        """Put the machine in the state it had after ``position`` steps (exact)."""
        if position < self.start:
            raise ValueError(f"position {position} is before the recording's start {self.start}")
        current = self.position
        if position < current or position in self._snapshots:
            index = bisect.bisect_right(self._positions, position) - 1
            self.machine.restore(self._snapshots[self._positions[index]])
            current = self.position
        if position > current:
            self.run(budget=position - current)

    def step_back(self) -> int:
        """Undo one step; returns the new position (unchanged at the start)."""
        if self.position > self.start:
            self.goto(self.position - 1)
        return self.position

    def run_back(self, breakpoints: Iterable[int] = ()) -> int:
        """Go back to the latest earlier position about to execute a breakpoint, else the start."""
        stops = frozenset(breakpoints)
        limit = self.position
        while limit > self.start:
            index = bisect.bisect_right(self._positions, limit - 1) - 1
            base = self._positions[index]
            hits = self._breakpoint_positions(base, limit, stops)
            if hits:
                self.goto(hits[-1])
                return self.position
            limit = base
        self.goto(self.start)
        return self.position

    def _breakpoint_positions(self, base: int, limit: int, stops: frozenset[int]) -> list[int]:
        """Positions in [base, limit) where the machine is about to run a breakpoint pc."""
        self.machine.restore(self._snapshots[base])
        hits = []
        while self.position < limit and not self.machine.done:
            if self.machine.pc in stops:
                hits.append(self.position)
            event = self.forward(self.machine, limit - self.position, stops)
            if event.kind != "breakpoint":
                break
        return hits
