"""``IndexedRedis.fields.bytes_field``: the module name of IndexedRedis 6.x for IRBytesField (defined in ``fields/text.py``)."""

from __future__ import annotations

from .text import IRBytesField
from .null import irNull

__all__ = ["IRBytesField", "irNull"]
