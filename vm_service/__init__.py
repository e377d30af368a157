"""vm_service: the framework-free eBPF engine (decode, assemble, print, run).

Usable alone as a library and as a CLI (``python -m vm_service``); it never
imports Django or Channels.
"""

__version__ = "0.1.0"
