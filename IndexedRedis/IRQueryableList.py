"""``IndexedRedis.IRQueryableList``: the module name of IndexedRedis 6.x (the list lives in ``results.py``)."""

from __future__ import annotations

from QueryableList import QueryableListObjs

from .results import IRQueryableList

__all__ = ["IRQueryableList", "QueryableListObjs"]
