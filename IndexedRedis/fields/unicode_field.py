"""``IndexedRedis.fields.unicode_field``: the module name of IndexedRedis 6.x for IRUnicodeField (defined in ``fields/text.py``)."""

from __future__ import annotations

from .text import IRUnicodeField
from .null import irNull

__all__ = ["IRUnicodeField", "irNull"]
