"""The error every input parser raises: bad user input, named by where it is."""

from __future__ import annotations

from ..errors import VmError


class InputError(VmError):
    """Input the playground cannot use.

    ``path`` names the place, as a user would find it: a JSON path
    (``events[2].task.pid``), a spec field (``packet.ipv4.ttl``) or nothing for
    a whole input; ``problem`` says what is wrong there.
    """

    def __init__(self, path: str, problem: str):
        super().__init__(f"{path}: {problem}" if path else problem)
        self.path = path
        self.problem = problem
