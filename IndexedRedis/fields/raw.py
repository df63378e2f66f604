"""``IndexedRedis.fields.raw``: the IndexedRedis 6.x module name of IRRawField.

The field is defined in ``fields/binary.py``.
"""

from __future__ import annotations

from .binary import IRRawField
from .base import IRField
from .null import irNull

__all__ = ["IRField", "IRRawField", "irNull"]
