"""``IndexedRedis.fields.raw``: the module name of IndexedRedis 6.x for IRRawField (defined in ``fields/binary.py``)."""

from __future__ import annotations

from .binary import IRRawField
from .null import irNull

__all__ = ["IRRawField", "irNull"]
