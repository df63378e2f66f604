"""``IndexedRedis.fields.pickle_field``: the IndexedRedis 6.x module name of IRPickleField.

The field is defined in ``fields/pickled.py``.
"""

from __future__ import annotations

from .pickled import IRPickleField
from .base import IRField
from .null import irNull

__all__ = ["IRField", "IRPickleField", "irNull"]
