"""``IndexedRedis.fields.fixedpoint``: the module name of IndexedRedis 6.x for IRFixedPointField (defined in ``fields/numeric.py``)."""

from __future__ import annotations

from .numeric import IRFixedPointField
from .null import irNull

__all__ = ["IRFixedPointField", "irNull"]
