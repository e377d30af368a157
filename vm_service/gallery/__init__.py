"""The example gallery: commented C programs, each with its inputs and expected results.

``EXAMPLES`` is the catalogue (``catalog.py``); each example's C source is a file in
``examples/``. Expected results were taken from the Linux kernel (BPF_PROG_TEST_RUN
on the same packets, maps carried across packets), and ``tests/test_gallery.py``
checks both that the kernel still gives them and that the playground does.
"""

from __future__ import annotations

from .catalog import EXAMPLES, Example, example, source_of

__all__ = ["EXAMPLES", "Example", "example", "source_of"]
