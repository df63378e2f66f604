"""The exact client-side read cache (``CACHE = True`` on a model, or ``ir_cache`` in its connection params).

A cached result is kept with the value the generation's write counter (``_ir_|KEY:ver``) had
when it was read. Every write script bumps that counter in the same atomic step as its writes,
so a cached read sends the counter it holds with the read itself (fetch.lua, cached_get.lua):
the server answers ``unchanged`` when the counter still has that value, and the client hands
out its decoded result without any transfer or decoding; otherwise the server answers the read
as usual with the new counter. One round trip either way, and never a stale result: the check
and the read happen in one script, at one instant, on the server. A ``reset`` moves to another
generation (other keys, another counter: the cache of the old one is dropped), and a
``destroyModel`` deletes the counter, which starts again from the server clock in microseconds.

Memory is bounded: at most ``maxObjects`` objects (a count counts as one) over all entries,
least recently used entries dropped first. Results are handed out as copies, so a caller
changing an object cannot change what the cache holds.

This module holds the cache and the copying; the plans that use it are in readplans.py.
"""

from __future__ import annotations

import copy as _copy
import threading
from collections import OrderedDict
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional, Tuple

from .exceptions import InvalidModelException

if TYPE_CHECKING:  # pragma: no cover
    from .schema import ModelSchema

DEFAULT_MAX_OBJECTS = 200_000  # about 350 MB for objects like the benchmark's (1.75 kB each in memory)

_IMMUTABLE = (str, int, float, bool, bytes, type(None), complex, frozenset)


def cacheSize(setting: Any, modelName: str, where: str) -> int:
    """The object limit for a ``CACHE`` / ``ir_cache`` setting: False or 0 (off), True (the default
    size), or a positive int (that many objects)."""
    if setting is None or setting is False or setting == 0:
        return 0
    if setting is True:
        return DEFAULT_MAX_OBJECTS
    if isinstance(setting, int) and setting > 0:
        return setting
    raise InvalidModelException(
        f"Model {modelName}: {where} must be True, False or a positive number of objects to keep; got {setting!r}"
    )


class ReadCache:
    """Decoded results of one model on one Redis server, each with the write counter it was read at."""

    def __init__(self, maxObjects: int) -> None:
        self.maxObjects = maxObjects
        self.hits = 0
        self.misses = 0
        self._entries: "OrderedDict[Tuple[Any, ...], Tuple[bytes, Any, int]]" = OrderedDict()
        self._objects = 0
        self._verKey: Optional[bytes] = None  # the generation whose results are held
        self._lock = threading.Lock()

    def lookup(self, verKey: bytes, key: Tuple[Any, ...]) -> Optional[Tuple[bytes, Any, int]]:
        """The entry ``(counter, value, size)`` for ``key`` in the generation of ``verKey``, or None."""
        with self._lock:
            if verKey != self._verKey:
                self._dropAll(verKey)
                return None
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
            return entry

    def store(self, verKey: bytes, key: Tuple[Any, ...], counter: bytes, value: Any, size: int) -> None:
        """Keep ``value`` (read at write counter ``counter``); drop the least recently used beyond the limit."""
        size = max(1, size)
        if size > self.maxObjects:
            with self._lock:
                old = self._entries.pop(key, None)
                if old is not None:
                    self._objects -= old[2]
            return
        with self._lock:
            if verKey != self._verKey:
                self._dropAll(verKey)
            old = self._entries.pop(key, None)
            if old is not None:
                self._objects -= old[2]
            self._entries[key] = (counter, value, size)
            self._objects += size
            while self._objects > self.maxObjects:
                _, dropped = self._entries.popitem(last=False)
                self._objects -= dropped[2]

    def noteHit(self) -> None:
        self.hits += 1

    def noteMiss(self) -> None:
        self.misses += 1

    def clear(self) -> None:
        with self._lock:
            self._dropAll(self._verKey)

    def _dropAll(self, verKey: Optional[bytes]) -> None:
        self._entries.clear()
        self._objects = 0
        self._verKey = verKey

    def stats(self) -> Dict[str, int]:
        """``hits``, ``misses``, ``entries``, ``objects`` held and ``maxObjects``."""
        with self._lock:
            return {
                "hits": self.hits,
                "misses": self.misses,
                "entries": len(self._entries),
                "objects": self._objects,
                "maxObjects": self.maxObjects,
            }


# ---------------------------------------------------------------------------- copies handed out
def copyValue(value: Any) -> Any:
    """A copy of a field value that shares nothing mutable with ``value`` (lists and dicts of plain
    values copied directly, anything else by ``copy.deepcopy``)."""
    cls = value.__class__
    if cls in _IMMUTABLE:
        return value
    if cls is list:
        return [x if x.__class__ in _IMMUTABLE else copyValue(x) for x in value]
    if cls is dict:
        return {k: (x if x.__class__ in _IMMUTABLE else copyValue(x)) for k, x in value.items()}
    if cls is tuple:
        return tuple(copyValue(x) for x in value)
    return _copy.deepcopy(value)


def objectCopier(schema: "ModelSchema", holdsImmutableValues: Callable[[Any], bool]) -> Callable[[Any], Any]:
    """``copy(obj)``: a fetched object as a new object with its own state (mutable values copied;
    ``holdsImmutableValues(field)``, from codec.py, says which fields need no copy)."""
    cached = schema.__dict__.get("_objectCopier")
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    mutable = [f.name for f in schema.fields if not holdsImmutableValues(f)]
    model = schema.model
    new = model.__new__

    def copyObject(obj: Any) -> Any:
        out = new(model)
        d = out.__dict__
        src = obj.__dict__
        d.update(src)
        for name in mutable:
            v = src[name]
            if v.__class__ not in _IMMUTABLE:
                d[name] = copyValue(v)
        d["_ir_stored"] = dict(src["_ir_stored"])
        return out

    schema.__dict__["_objectCopier"] = copyObject
    return copyObject


def copies(schema: "ModelSchema", objs: List[Any], holdsImmutableValues: Callable[[Any], bool]) -> List[Any]:
    copyObject = objectCopier(schema, holdsImmutableValues)
    return [copyObject(o) for o in objs]


__all__ = ["DEFAULT_MAX_OBJECTS", "ReadCache", "cacheSize", "copies", "copyValue", "objectCopier"]
