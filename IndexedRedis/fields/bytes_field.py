"""``IndexedRedis.fields.bytes_field``: the IndexedRedis 6.x module name of IRBytesField.

The field is defined in ``fields/text.py``.
"""

from __future__ import annotations

from .text import IRBytesField
from .base import IRField
from .null import irNull

__all__ = ["IRBytesField", "IRField", "irNull"]
