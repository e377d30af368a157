"""What the exploration reports as it walks: the seam for the log, the structured result,
the explanations and the concrete-in-abstract check.

``Explorer(..., observer=...)`` calls these in the order the kernel would
print them. The base class ignores everything, so an observer overrides only
what it needs.
"""

from __future__ import annotations

from .state import State


class Observer:
    """Events of one exploration; ``state`` is always the state *before* the event's insn."""

    def path_started(self, pc: int, state: State, came_from: int | None) -> None:
        """A path begins at ``pc``: the entry (``came_from`` None) or a queued branch resumed
        ("from came_from to pc")."""

    def insn(self, pc: int, state: State) -> None:
        """Instruction ``pc`` is about to be checked and stepped in ``state``."""

    def branch_queued(self, pc: int, target: int, state: State) -> None:
        """At ``pc`` the side going to ``target`` is queued with ``state`` for later."""

    def checkpoint(self, pc: int, state: State) -> None:
        """``state`` is kept at ``pc`` for pruning."""

    def pruned(self, pc: int, state: State) -> None:
        """The path reached ``pc`` in a state equal to a complete explored one: safe."""

    def path_ended(self, pc: int, state: State) -> None:
        """The path ended at ``exit`` of the main program at ``pc``."""

    def rejected(self, pc: int | None, text: str, state: State | None) -> None:
        """The kernel would refuse the program at ``pc`` with ``text``."""
