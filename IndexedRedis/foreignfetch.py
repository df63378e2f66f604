"""Cascade fetch: load every object reachable through links, one batch per model per level.

Cycle-safe: each (model, pk) is fetched once and shared by every link that names it.
"""

from __future__ import annotations

from typing import Any, Dict, List, Sequence, Tuple

from .schema import getSchema


def cascadeFetchObjects(objs: Sequence[Any]) -> None:
    """Fetch, level by level, the linked objects of ``objs`` and of the objects found, recursively."""
    cache: Dict[Tuple[str, int], Any] = {}
    seen = set()
    level: List[Any] = []
    for obj in objs:
        if id(obj) not in seen:
            seen.add(id(obj))
            level.append(obj)
            if obj.getPk() is not None:
                cache[(getSchema(type(obj)).keyName, obj.getPk())] = obj
    while level:
        wants: Dict[Any, Dict[int, None]] = {}
        for obj in level:
            owner = type(obj)
            for field in getSchema(owner).foreignFields:
                fm = field.foreignModelFor(owner)
                key = getSchema(fm).keyName
                for pk in field.missingPks(obj):
                    if (key, pk) not in cache:
                        wants.setdefault(fm, {})[pk] = None
        for fm, pks in wants.items():
            key = getSchema(fm).keyName
            for found in fm.objects.getMultiple(list(pks)):
                cache[(key, found.getPk())] = found
        nextLevel: List[Any] = []
        for obj in level:
            owner = type(obj)
            for field in getSchema(owner).foreignFields:
                fm = field.foreignModelFor(owner)
                key = getSchema(fm).keyName
                field.attach(obj, _View(cache, key))
                for linked in field.linkedObjects(obj):
                    if id(linked) not in seen:
                        seen.add(id(linked))
                        nextLevel.append(linked)
        level = nextLevel


class _View:
    """``{pk: obj}`` view of the cache for one model."""

    __slots__ = ("cache", "key")

    def __init__(self, cache: Dict[Tuple[str, int], Any], key: str) -> None:
        self.cache = cache
        self.key = key

    def get(self, pk: Any, default: Any = None) -> Any:
        return self.cache.get((self.key, pk), default)

    def __getitem__(self, pk: Any) -> Any:
        return self.cache[(self.key, pk)]


__all__ = ["cascadeFetchObjects"]
