"""``IndexedRedis.fields.unicode_field``: the IndexedRedis 6.x module name of IRUnicodeField.

The field is defined in ``fields/text.py``.
"""

from __future__ import annotations

from .text import IRUnicodeField
from .base import IRField
from .null import irNull

__all__ = ["IRField", "IRUnicodeField", "irNull"]
