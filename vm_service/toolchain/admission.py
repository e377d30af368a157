"""Admission control for compiles: a worker pool, one compile in flight per user, fair turns.

- The pool has one worker thread per usable CPU (compiles are processes; the
  threads only wait for them).
- A user has at most one compile running. Their next requests wait in their
  own queue.
- By default a new request **replaces** the user's waiting ones (``supersede=True``):
  an editor that compiles as the user types only needs the latest source, so
  the replaced requests' futures are cancelled. With ``supersede=False`` they
  all wait their turn, in order.
- Users take turns round-robin: when a worker frees up, of the users with
  waiting work and nothing running, the one served least recently goes (a
  user never served first, then by arrival). A user with many requests cannot
  starve one with a single request, and a newcomer does not wait behind a
  user's second turn.
- ``on_update`` receives ``{"queued": n}`` (1 = next to start, by the
  round-robin order) whenever a waiting request's place changes, then
  ``{"running": True}`` when it starts. It is called from the service's
  threads; an asyncio caller hands it on with ``loop.call_soon_threadsafe``
  and awaits ``asyncio.wrap_future(future)``.

``submit`` returns a ``concurrent.futures.Future`` of the ``CompileResult``.
"""

from __future__ import annotations

import logging
import os
import threading
from collections import deque
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Callable

from .compiler import compile_source
from .result import CompileError, CompileResult

log = logging.getLogger(__name__)

Update = Callable[[dict], None]
MAX_REMEMBERED_USERS = 4096  # past this, idle users' last turns are forgotten


@dataclass(eq=False)
class _Job:
    user: str
    source: str
    options: dict
    seq: int
    future: Future = field(default_factory=Future)
    on_update: Update | None = None
    position: int | None = None


class CompileService:
    """A fair, per-user serialised compile queue in front of ``compile_source`` (or ``compiler``)."""

    def __init__(self, workers: int | None = None, compiler: Callable[..., CompileResult] = compile_source):
        self.workers = workers or len(os.sched_getaffinity(0))
        self._compile = compiler
        self._lock = threading.Condition()
        self._waiting: dict[str, deque[_Job]] = {}
        self._running: set[str] = set()
        self._served: dict[str, int] = {}    # user -> tick of their last start
        self._ticks = 0                      # counts submissions and starts
        self._closed = False
        self._threads = [threading.Thread(target=self._work, name=f"compile-{i}", daemon=True)
                         for i in range(self.workers)]
        for thread in self._threads:
            thread.start()

    def submit(self, user: str, source: str, *, on_update: Update | None = None, supersede: bool = True,
               **options) -> Future:
        """Queue a compile of ``source`` for ``user``; ``options`` go to the compiler."""
        if not isinstance(user, str) or not user:
            raise CompileError("a compile request needs a user name")
        with self._lock:
            if self._closed:
                raise CompileError("the compile service is closed")
            self._ticks += 1
            job = _Job(user, source, options, self._ticks, on_update=on_update)
            queue = self._waiting.setdefault(user, deque())
            replaced = []
            if supersede:
                replaced = list(queue)
                queue.clear()
            queue.append(job)
            updates = self._reposition()
            self._lock.notify()
        for old in replaced:
            old.future.cancel()
        _send(updates)
        return job.future

    def queued(self) -> int:
        """How many requests are waiting."""
        with self._lock:
            return sum(len(queue) for queue in self._waiting.values())

    def close(self, wait: bool = True) -> None:
        """Stop taking requests, cancel the waiting ones, and (by default) let running ones finish."""
        with self._lock:
            self._closed = True
            waiting = [job for queue in self._waiting.values() for job in queue]
            self._waiting.clear()
            self._lock.notify_all()
        for job in waiting:
            job.future.cancel()
        if wait:
            for thread in self._threads:
                thread.join()

    # Workers

    def _work(self) -> None:
        while True:
            with self._lock:
                job = self._next_job()
                while job is None and not self._closed:
                    self._lock.wait()
                    job = self._next_job()
                if job is None:
                    return
                self._running.add(job.user)
                self._ticks += 1
                self._served[job.user] = self._ticks
                updates = self._reposition()
            try:
                _send(updates)
                if job.future.set_running_or_notify_cancel():
                    _send([(job, {"running": True})])
                    self._run(job)
            finally:
                with self._lock:
                    self._running.discard(job.user)
                    if len(self._served) > MAX_REMEMBERED_USERS:
                        self._served = {u: t for u, t in self._served.items() if u in self._waiting or u in self._running}
                    updates = self._reposition()
                    self._lock.notify_all()
                _send(updates)

    def _run(self, job: _Job) -> None:
        try:
            job.future.set_result(self._compile(job.source, **job.options))
        except BaseException as error:  # the caller sees it through the future
            job.future.set_exception(error)

    def _turns(self) -> list[str]:
        """Users with waiting jobs, least recently served first (never served first, then by arrival)."""
        return sorted(self._waiting, key=lambda user: (self._served.get(user, 0), self._waiting[user][0].seq))

    def _next_job(self) -> _Job | None:
        """The next job of the first user in turn who has nothing running."""
        while True:
            user = next((u for u in self._turns() if u not in self._running), None)
            if user is None:
                return None
            queue = self._waiting[user]
            job = queue.popleft()
            if not queue:
                del self._waiting[user]
            if not job.future.cancelled():
                return job

    def _order(self) -> list[_Job]:
        """Waiting jobs in the order they are expected to start: round by round over the turns."""
        turns = self._turns()
        order, depth = [], max((len(q) for q in self._waiting.values()), default=0)
        for round_ in range(depth):
            for user in turns:
                queue = self._waiting[user]
                if round_ < len(queue):
                    order.append(queue[round_])
        return order

    def _reposition(self) -> list[tuple[_Job, dict]]:
        """New places in the queue, as updates to send once the lock is released."""
        updates = []
        for place, job in enumerate((j for j in self._order() if not j.future.cancelled()), start=1):
            if job.position != place:
                job.position = place
                updates.append((job, {"queued": place}))
        return updates


def _send(updates: list[tuple[_Job, dict]]) -> None:
    for job, update in updates:
        if job.on_update is None:
            continue
        try:
            job.on_update(update)
        except Exception:  # a broken listener must not stop the queue
            log.exception("compile queue update callback failed")
