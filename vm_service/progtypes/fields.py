"""Context field tables: which loads and stores the kernel allows on a context, as data.

The verifier checks every access to a context pointer with the program type's
``is_valid_access`` callback and then rewrites it (``convert_ctx_access``) into
accesses to the kernel's real structures. The checks share one shape, which a
``FieldTable`` holds as data:

* the offset must be a multiple of the access size;
* the access must lie inside one field of the UAPI struct;
* the program type must grant that field for reading (or writing), either at
  the field's own size only (``EXACT``) or also at smaller sizes (``NARROW``:
  a narrow read of a u32 reads some of its bytes).

Anything else is the verifier's ``invalid bpf_context access off=X size=Y``.
What a granted access returns is the context's business (``context.py``): most
fields are plain bytes, a few are computed (``data``/``data_end`` are 64-bit
packet pointers although the UAPI field is a u32).

The tables for every type were checked against the running kernel's verifier
for every offset and size (``tests/test_context_access.py``).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class Grant(enum.Enum):
    """How a program type may access a field, for reading or for writing."""

    NONE = "-"
    EXACT = "="      # only at the field's own size
    NARROW = "<"     # at its own size or any smaller one (aligned)


@dataclass(frozen=True)
class CtxField:
    """One field of a context struct and what a program type may do with it.

    ``kind`` names a field whose value is computed rather than stored
    (``"data"``, ``"data_end"``, ``"data_meta"``: packet pointers; ``"sk"``:
    the socket pointer); ``"plain"`` fields are the region's bytes.
    ``store_mask``/``store_limit`` describe the kernel's storage behind a
    writable field: a u16 in the kernel keeps only the low 16 bits of a store,
    and ``queue_mapping`` ignores values from ``store_limit`` up.

    ``backing`` is the size of the kernel field behind a UAPI field, when it
    is smaller (``protocol`` is a u16 in ``struct sk_buff``, ``pkt_type`` 3
    bits of a byte). The verifier turns a narrow read into a load of that
    field, shifted and masked only if the read is narrower than it: so a u16
    read of ``protocol + 2`` gives the whole protocol, and any read of
    ``pkt_type`` gives pkt_type. None: a narrow read reads the bytes.
    """

    name: str
    offset: int
    size: int
    read: Grant = Grant.NARROW
    write: Grant = Grant.NONE
    kind: str = "plain"
    store_mask: int | None = None
    store_limit: int | None = None
    backing: int | None = None

    @property
    def end(self) -> int:
        return self.offset + self.size


class ContextAccessError(Exception):
    """An access the verifier rejects; ``message`` is in the kernel's words."""

    def __init__(self, offset: int, size: int, message: str | None = None):
        self.offset = offset
        self.size = size
        self.message = message or f"invalid bpf_context access off={offset} size={size}"
        super().__init__(self.message)


@dataclass(frozen=True)
class FieldTable:
    """The fields of one context struct as one program type sees them."""

    struct: str                      # "struct __sk_buff"
    size: int                        # sizeof the UAPI struct
    fields: tuple[CtxField, ...]
    _by_byte: dict[int, CtxField] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        for f in self.fields:
            for offset in range(f.offset, f.end):
                if offset in self._by_byte:
                    raise ValueError(f"{self.struct}: {f.name} overlaps {self._by_byte[offset].name}")
                self._by_byte[offset] = f

    def __deepcopy__(self, memo: dict) -> "FieldTable":
        return self   # immutable: machine snapshots share it

    def field_at(self, offset: int) -> CtxField | None:
        return self._by_byte.get(offset)

    def by_name(self, name: str) -> CtxField:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(f"{self.struct} has no field {name!r}")

    def check(self, offset: int, size: int, write: bool) -> CtxField:
        """The field an access of ``size`` bytes at ``offset`` touches; ContextAccessError if
        the verifier would reject it."""
        f = self._by_byte.get(offset)
        if f is None or size <= 0 or offset % size or offset + size > f.end:
            raise ContextAccessError(offset, size)
        grant = f.write if write else f.read
        if grant is Grant.NONE or (size != f.size and grant is not Grant.NARROW):
            raise ContextAccessError(offset, size)
        return f

    def allows(self, offset: int, size: int, write: bool) -> bool:
        try:
            self.check(offset, size, write)
        except ContextAccessError:
            return False
        return True
