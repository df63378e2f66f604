"""``IndexedRedis.fields.classic``: the IndexedRedis 6.x module name of IRClassicField.

The field is defined in ``fields/base.py``.
"""

from __future__ import annotations

from .base import IRClassicField, IRField
from .null import irNull

__all__ = ["IRClassicField", "IRField", "irNull"]
