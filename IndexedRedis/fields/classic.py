"""``IndexedRedis.fields.classic``: the module name of IndexedRedis 6.x for IRClassicField (defined in ``fields/base.py``)."""

from __future__ import annotations

from .base import IRClassicField
from .null import irNull

__all__ = ["IRClassicField", "irNull"]
