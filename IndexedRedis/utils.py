"""Small helpers kept under the module names of IndexedRedis 6.x (``IndexedRedis.utils``)."""

from __future__ import annotations

from typing import Any, Dict, Sequence

from .schema import FieldList as KeyList


def hashList(items: Sequence[Any]) -> int:
    """A hash of a list of hashable items, in order."""
    return hash(tuple(items))


def hashDictOneLevel(d: Dict[Any, Any]) -> int:
    """A hash of a dict's keys and values (one level deep; values must be hashable), whatever the key order."""
    return hash(frozenset(d.items()))


__all__ = ["KeyList", "hashDictOneLevel", "hashList"]
