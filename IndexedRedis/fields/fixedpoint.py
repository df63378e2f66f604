"""``IndexedRedis.fields.fixedpoint``: the IndexedRedis 6.x module name of IRFixedPointField.

The field is defined in ``fields/numeric.py``.
"""

from __future__ import annotations

from .numeric import IRFixedPointField
from .base import IRField
from .null import irNull

__all__ = ["IRField", "IRFixedPointField", "irNull"]
