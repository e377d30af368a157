"""The kernel's LRU machinery for LRU hash maps (``kernel/bpf/bpf_lru_list.c``, modelled).

It is not a textbook LRU. Every element of the map is a preallocated *node*,
and each node sits on exactly one list:

* the shared lists ``active``, ``inactive`` and ``free`` (one set for the whole
  map, or one set per CPU with BPF_F_NO_COMMON_LRU);
* with the common LRU, each CPU also keeps a local ``free`` list (nodes it took
  from the shared free list in a batch) and a local ``pending`` list (nodes it
  handed out since the last batch).

A lookup from a program only sets the node's ``ref`` bit (user-space lookups
do not). Inserting takes a node from the CPU's local free list; when that is
empty the CPU flushes its pending nodes onto the shared lists (referenced ones
to active, others to inactive), rotates the lists, and grabs a batch of
``target_free`` nodes: first from the shared free list, then by *shrinking*:
walking inactive from its tail, moving referenced nodes to active and evicting
unreferenced ones, and if nothing was evicted, evicting the tail of inactive
(or active) regardless of its ref bit. Only when all of that yields nothing
does it steal a free or pending node from some CPU's local lists. So keys are
evicted in batches, and an element inserted and never looked up may survive
while a recently used one goes, depending on which lists they sit on. The
batch is ``clamp(max_entries / ncpus / 2, 1, 128)`` nodes; scans stop after 128.

With BPF_F_NO_COMMON_LRU each CPU owns ``max_entries / ncpus`` nodes and
lists of its own: an insert rotates them, refills an empty free list by
shrinking 4 nodes (scans stop after 4) and puts the new node at the head of
inactive. A CPU never takes another CPU's nodes, so inserts on one CPU evict
that CPU's elements even while the other CPUs have free nodes.

Lists are Python lists with the kernel's list head at index 0 (``list_add``
inserts there; "tail" is the end). Nodes are integers; the owning hash map
decides whether a node still holds an element (``HashMap._evict``), the way
the kernel calls back ``htab_lru_map_delete_node``.

Not modelled: the lock-failure paths (``pending_free``), which never trigger in
a single-threaded run. The order in which a batch lands on a CPU's local free
list decides only which node's memory the next element reuses, never which
keys survive.
"""

from __future__ import annotations

from typing import Protocol

LOCAL_FREE_TARGET = 128
LOCAL_NR_SCANS = LOCAL_FREE_TARGET
PERCPU_FREE_TARGET = 4
PERCPU_NR_SCANS = PERCPU_FREE_TARGET

# Which list a node is on (``enum bpf_lru_list_type``).
ACTIVE, INACTIVE, FREE, LOCAL_FREE, LOCAL_PENDING = range(5)


class Evictor(Protocol):
    def _evict(self, node: int) -> bool:
        """Remove the element held by ``node`` from the hash table; False if it holds none."""


class LruList:
    """``struct bpf_lru_list``: three lists and the inactive-rotation cursor.

    ``rotation`` is ``next_inactive_rotation``: a node on ``inactive``, or None
    for the list head itself.
    """

    def __init__(self) -> None:
        self.active: list[int] = []
        self.inactive: list[int] = []
        self.free: list[int] = []
        self.rotation: int | None = None

    def of(self, kind: int) -> list[int]:
        return (self.active, self.inactive, self.free)[kind]


class LocalList:
    """``struct bpf_lru_locallist``: one CPU's private free and pending nodes."""

    def __init__(self, cpu: int) -> None:
        self.free: list[int] = []
        self.pending: list[int] = []
        self.next_steal = cpu


class Lru:
    """All nodes of one LRU hash map and the lists they sit on."""

    def __init__(self, nr_nodes: int, ncpus: int, percpu: bool) -> None:
        self.ncpus = ncpus
        self.percpu = percpu
        self.ref = [0] * nr_nodes
        self.kind = [FREE] * nr_nodes
        self.cpu = [0] * nr_nodes   # pending/percpu: the node's CPU; local free: whose list
        if percpu:
            self.nr_scans = PERCPU_NR_SCANS
            self.target_free = PERCPU_FREE_TARGET
            self.lists = [LruList() for _ in range(ncpus)]
            self.locals: list[LocalList] = []
            per_cpu = nr_nodes // ncpus
            for node in range(nr_nodes):
                cpu = min(node // per_cpu, ncpus - 1) if per_cpu else 0
                self.cpu[node] = cpu
                self.lists[cpu].free.insert(0, node)
        else:
            self.nr_scans = LOCAL_NR_SCANS
            self.target_free = max(1, min((nr_nodes // ncpus) // 2, LOCAL_FREE_TARGET))
            self.lists = [LruList()]
            self.locals = [LocalList(cpu) for cpu in range(ncpus)]
            for node in range(nr_nodes):
                self.lists[0].free.insert(0, node)

    # -- what the hash map calls ---------------------------------------------------

    def set_ref(self, node: int) -> None:
        self.ref[node] = 1

    def pop_free(self, cpu: int, owner: Evictor) -> int | None:
        """``bpf_lru_pop_free``: a node for a new element on ``cpu``, evicting if need be."""
        if self.percpu:
            return self._percpu_pop_free(cpu, owner)
        return self._common_pop_free(cpu, owner)

    def push_free(self, node: int) -> None:
        """``bpf_lru_push_free``: ``node`` no longer holds an element."""
        if self.percpu:
            self._move(self.lists[self.cpu[node]], node, FREE)
        elif self.kind[node] == LOCAL_PENDING:
            local = self.locals[self.cpu[node]]
            local.pending.remove(node)
            self.kind[node] = LOCAL_FREE
            self.ref[node] = 0
            local.free.insert(0, node)
        else:
            self._move(self.lists[0], node, FREE)

    def where(self, node: int) -> str:
        """Which list holds ``node`` (for tests and the UI)."""
        names = ("active", "inactive", "free", "local free", "local pending")
        return f"{names[self.kind[node]]} (cpu {self.cpu[node]})"

    # -- per-CPU LRU (BPF_F_NO_COMMON_LRU) --------------------------------------------

    def _percpu_pop_free(self, cpu: int, owner: Evictor) -> int | None:
        lru = self.lists[cpu]
        self._rotate(lru)
        if not lru.free:
            self._shrink(lru, PERCPU_FREE_TARGET, lru.free, FREE, owner)
        if not lru.free:
            return None
        node = lru.free[0]
        self.ref[node] = 0
        self._move(lru, node, INACTIVE)
        return node

    # -- common LRU ----------------------------------------------------------------

    def _common_pop_free(self, cpu: int, owner: Evictor) -> int | None:
        local = self.locals[cpu]
        node = local.free.pop(0) if local.free else None
        if node is None:
            self._refill_local(cpu, owner)
            node = local.free.pop(0) if local.free else None
        if node is None:
            node = self._steal(local, owner)
        if node is not None:
            self._add_pending(local, cpu, node)
        return node

    def _steal(self, local: LocalList, owner: Evictor) -> int | None:
        """Round robin over the CPUs' local lists, from ``next_steal``: a free node, else a pending one."""
        first = steal = local.next_steal
        node = None
        while True:
            victim = self.locals[steal]
            node = victim.free.pop(0) if victim.free else self._pop_pending(victim, owner)
            steal = (steal + 1) % self.ncpus
            if node is not None or steal == first:
                break
        local.next_steal = steal
        return node

    def _pop_pending(self, local: LocalList, owner: Evictor) -> int | None:
        """The oldest pending node whose element can go: unreferenced first, then any."""
        for force in (False, True):
            for node in reversed(local.pending):
                if (force or not self.ref[node]) and owner._evict(node):
                    local.pending.remove(node)
                    return node
        return None

    def _add_pending(self, local: LocalList, cpu: int, node: int) -> None:
        self.cpu[node] = cpu
        self.kind[node] = LOCAL_PENDING
        self.ref[node] = 0
        local.pending.insert(0, node)

    def _refill_local(self, cpu: int, owner: Evictor) -> None:
        """``bpf_lru_list_pop_free_to_local``: flush, rotate, then take a batch of free nodes."""
        lru, local = self.lists[0], self.locals[cpu]
        for node in reversed(list(local.pending)):      # oldest first, each to a list head
            local.pending.remove(node)
            self.kind[node] = ACTIVE if self.ref[node] else INACTIVE
            self.ref[node] = 0
            lru.of(self.kind[node]).insert(0, node)
        self._rotate(lru)
        taken = 0
        for node in list(lru.free):
            if taken == self.target_free:
                break
            self._move_to_free(lru, node, local.free, LOCAL_FREE, cpu)
            taken += 1
        if taken < self.target_free:
            self._shrink(lru, self.target_free - taken, local.free, LOCAL_FREE, owner, cpu)

    # -- list surgery shared by both flavours ----------------------------------------------

    def _move(self, lru: LruList, node: int, kind: int) -> None:
        """``__bpf_lru_node_move``: to the head of ``kind``, ref cleared."""
        self._step_cursor_off(lru, node)
        lru.of(self.kind[node]).remove(node)
        self.kind[node] = kind
        self.ref[node] = 0
        lru.of(kind).insert(0, node)

    def _move_to_free(self, lru: LruList, node: int, dest: list[int], kind: int,
                      cpu: int | None = None) -> None:
        """``__bpf_lru_node_move_to_free``: to the head of ``dest``; the ref bit stays.

        ``cpu`` names the CPU whose local free list ``dest`` is (common LRU).
        """
        self._step_cursor_off(lru, node)
        lru.of(self.kind[node]).remove(node)
        self.kind[node] = kind
        if cpu is not None:
            self.cpu[node] = cpu
        dest.insert(0, node)

    def _step_cursor_off(self, lru: LruList, node: int) -> None:
        if lru.rotation == node:
            lru.rotation = _prev(lru.inactive, node)

    def _rotate(self, lru: LruList) -> None:
        """``__bpf_lru_list_rotate``: active first if inactive is the shorter, then inactive."""
        if len(lru.inactive) < len(lru.active):
            self._rotate_active(lru)
        self._rotate_inactive(lru)

    def _rotate_active(self, lru: LruList) -> None:
        """From the tail: referenced nodes back to the active head, others to inactive."""
        first = lru.active[0]
        for scanned, node in enumerate(reversed(list(lru.active)), start=1):
            self._move(lru, node, ACTIVE if self.ref[node] else INACTIVE)
            if scanned == self.nr_scans or node == first:
                break

    def _rotate_inactive(self, lru: LruList) -> None:
        """From the cursor towards the head, wrapping once: referenced nodes go to active."""
        inactive = lru.inactive
        if not inactive:
            return
        last = _next(inactive, lru.rotation)
        if last is None:
            last = _next(inactive, None)
        cur = lru.rotation
        nxt: int | None = None
        scanned = 0
        while scanned < self.nr_scans:
            if cur is None:
                cur = inactive[-1]
                continue
            nxt = _prev(inactive, cur)
            if self.ref[cur]:
                self._move(lru, cur, ACTIVE)
            if cur == last:
                break
            cur = nxt
            scanned += 1
        lru.rotation = nxt

    def _shrink(self, lru: LruList, target: int, dest: list[int], kind: int,
                owner: Evictor, cpu: int | None = None) -> int:
        """``__bpf_lru_list_shrink``: evict up to ``target`` unreferenced inactive nodes,
        or failing that one node from the tail of inactive (else active), ref or not."""
        shrunk = 0
        for scanned, node in enumerate(reversed(list(lru.inactive)), start=1):
            if self.ref[node]:
                self._move(lru, node, ACTIVE)
            elif owner._evict(node):
                self._move_to_free(lru, node, dest, kind, cpu)
                shrunk += 1
                if shrunk == target:
                    break
            if scanned == self.nr_scans:
                break
        if shrunk:
            return shrunk
        forced = lru.inactive if lru.inactive else lru.active
        for node in reversed(list(forced)):
            if owner._evict(node):
                self._move_to_free(lru, node, dest, kind, cpu)
                return 1
        return 0


def _prev(nodes: list[int], node: int) -> int | None:
    """The node before ``node`` in a circular list whose head (None) precedes index 0."""
    index = nodes.index(node)
    return nodes[index - 1] if index else None


def _next(nodes: list[int], node: int | None) -> int | None:
    """The node after ``node`` (None: the head); None when that is the head again."""
    if node is None:
        return nodes[0] if nodes else None
    index = nodes.index(node) + 1
    return nodes[index] if index < len(nodes) else None
