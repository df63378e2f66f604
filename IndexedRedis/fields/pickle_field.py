"""``IndexedRedis.fields.pickle_field``: the module name of IndexedRedis 6.x for IRPickleField (defined in ``fields/pickled.py``)."""

from __future__ import annotations

from .pickled import IRPickleField
from .null import irNull

__all__ = ["IRPickleField", "irNull"]
