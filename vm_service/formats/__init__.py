"""The playground's JSON input files, parsed and checked into engine objects.

    parse_events(text)    # EVENTS.json  -> list[EventInput]
    parse_packets(text)   # PACKETS.json -> list[EventInput]
    parse_maps(text)      # MAPS.json    -> MapsConfig; then create_maps / seed_maps

Each ``parse_*`` takes the file's text and raises ``FormatError`` (an
``InputError``, so a ``VmError``) naming the file kind, the JSON path and the
problem, or the line and column of a JSON syntax error. The ``*_from_json``
functions take already-decoded JSON (the web UI's messages) and raise
``InputError``. The formats are documented in ``docs/formats.md``.
"""

from .events import (MAX_EVENTS, X86_64_PT_REGS, event_from_json, events_from_json,
                     packets_from_json, parse_events, parse_packets)
from .jsontext import FormatError, load_json
from .maps import (EntryConfig, MapConfig, MapsConfig, TailCallSelf, create_maps,
                   install_tail_call_self, maps_from_json, parse_maps, seed_maps)

__all__ = ["MAX_EVENTS", "X86_64_PT_REGS", "EntryConfig", "FormatError", "MapConfig",
           "MapsConfig", "TailCallSelf", "create_maps", "event_from_json", "events_from_json",
           "install_tail_call_self", "load_json", "maps_from_json", "packets_from_json",
           "parse_events", "parse_maps", "parse_packets", "seed_maps"]
