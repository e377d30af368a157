"""Errors of the object loader: every one names the stage that failed."""

from __future__ import annotations

import contextlib
import struct
from typing import Iterator

from elftools.common.exceptions import DWARFError, ELFError, ELFParseError
from elftools.construct import ConstructError

from ..errors import VmError

# What a malformed object makes the libraries under the loader raise; inside a
# stage these become an ElfLoadError naming the stage.
MALFORMED = (ELFError, ELFParseError, DWARFError, ConstructError, struct.error, ValueError, IndexError,
             KeyError, UnicodeDecodeError, OverflowError, EOFError, VmError, AssertionError)


class ElfLoadError(VmError):
    """An object file that cannot be loaded; ``stage`` says which step refused it."""

    def __init__(self, stage: str, message: str):
        super().__init__(f"{stage}: {message}")
        self.stage = stage
        self.message = message


class SpecError(VmError):
    """A serialised spec (``from_dict``) that does not describe an object."""


@contextlib.contextmanager
def stage(name: str) -> Iterator[None]:
    """Run a loading step; any malformed-input error inside it becomes ElfLoadError(name)."""
    try:
        yield
    except ElfLoadError:
        raise
    except MALFORMED as error:
        raise ElfLoadError(name, _describe(error)) from error


def _describe(error: Exception) -> str:
    text = str(error) or type(error).__name__
    if isinstance(error, (KeyError, IndexError, struct.error, AssertionError)):
        return f"malformed data ({type(error).__name__}: {text})"
    return text


class KernelLoadError(VmError):
    """A spec that cannot go into the live kernel as it is (``kernel_load``): no program
    type, an attach target the kernel does not have, a slot naming no program."""
