"""The headers package's error."""

from __future__ import annotations

from ..errors import VmError


class HeaderError(VmError):
    """Headers that cannot be generated or materialised: a malformed helper table row, an unusable directory."""
