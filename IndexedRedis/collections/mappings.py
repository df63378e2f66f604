"""RedisDict (``dict``, on a Redis hash) and RedisCounter (``collections.Counter``, on a sorted set).

Keys are typed by ``keyField`` (default str) and values by ``valueField`` / ``of=Model``.
``keys()`` / ``values()`` / ``items()`` are views of a snapshot read in one command; Redis keeps no
insertion order, so iteration order is the server's (a Counter's: by count, then by element).
Counts are Redis scores (doubles): integral counts read back as int and are exact up to 2**53.
"""

from __future__ import annotations

import collections
from collections.abc import Mapping, MutableMapping
from typing import Any, Dict, List, Optional, Tuple

from ..exceptions import InvalidValueError
from ..fields.base import IRField
from ..plans import Op, command, transaction
from . import scripts
from .base import TypedCollection, ValueCodec, chunks, operation, plainArgs, plainOf

_MISSING = object()


def _pairsOf(args: Tuple[Any, ...], kwargs: Dict[str, Any], what: str) -> List[Tuple[Any, Any]]:
    if len(args) > 1:
        raise TypeError(f"{what} expected at most 1 positional argument, got {len(args)}")
    pairs: List[Tuple[Any, Any]] = []
    if args:
        other = args[0]
        if isinstance(other, (RedisDict, RedisCounter)):
            other = other.copy()
        if isinstance(other, Mapping):
            pairs.extend(other.items())
        elif hasattr(other, "keys"):
            pairs.extend((k, other[k]) for k in other.keys())
        else:
            pairs.extend(other)
    pairs.extend(kwargs.items())
    return pairs


class _Keyed(TypedCollection):
    def __init__(self, key: Any = None, *, keyField: Optional[IRField] = None, **kwargs: Any) -> None:
        super().__init__(key, **kwargs)
        self.keyField = keyField
        self.keyCodec = ValueCodec(keyField, None, self.label)

    def _copyArgs(self) -> dict:
        return {**super()._copyArgs(), "keyField": self.keyField}

    def _k(self, k: Any) -> Optional[bytes]:
        """The stored form of a key, or None for one the collection cannot hold (so it is not in it)."""
        try:
            return self.keyCodec.encode(k)
        except InvalidValueError:
            return None


class RedisDict(_Keyed, MutableMapping):
    """A ``dict`` on a Redis hash: ``RedisDict(key=None, initial=None, keyField=None, valueField=None, of=None, ...)``."""

    REDIS_TYPE = "hash"

    def __init__(self, key: Any = None, initial: Any = None, **kwargs: Any) -> None:
        super().__init__(key, **kwargs)
        if initial is not None:
            self.update(initial)

    # ------------------------------------------------------------------ reading
    @operation
    def __getitem__(self, k: Any) -> Op:
        """``d[k]`` (HGET); KeyError when absent."""
        return (yield from self._getItem.plan(self, k))

    @operation
    def _getItem(self, k: Any) -> Op:
        sk = self._k(k)
        raw = None if sk is None else (yield command("HGET", self.key, sk))
        if raw is None:
            raise KeyError(k)
        return (yield from self.codec.decodeOne(raw))

    @operation
    def get(self, k: Any, default: Any = None) -> Op:
        """The value of ``k``, or ``default`` (HGET)."""
        sk = self._k(k)
        raw = None if sk is None else (yield command("HGET", self.key, sk))
        if raw is None:
            return default
        return (yield from self.codec.decodeOne(raw))

    @operation
    def __len__(self) -> Op:
        return int((yield command("HLEN", self.key)))

    @operation
    def __contains__(self, k: Any) -> Op:
        sk = self._k(k)
        return sk is not None and bool((yield command("HEXISTS", self.key, sk)))

    @operation
    def copy(self) -> Op:
        """The contents as a plain dict (one HGETALL)."""
        flat = yield command("HGETALL", self.key)
        if isinstance(flat, dict):
            pairs = list(flat.items())
        else:
            pairs = list(zip(flat[::2], flat[1::2]))
        keys = yield from self.keyCodec.decodeMany([p[0] for p in pairs])
        values = yield from self.codec.decodeMany([p[1] for p in pairs])
        return dict(zip(keys, values))

    def __iter__(self) -> Any:
        return iter(self.copy())

    @operation
    def keys(self) -> Op:
        """A view of the keys of a snapshot (one HGETALL)."""
        return (yield from self.copy.plan(self)).keys()

    @operation
    def values(self) -> Op:
        """A view of the values of a snapshot (one HGETALL)."""
        return (yield from self.copy.plan(self)).values()

    @operation
    def items(self) -> Op:
        """A view of the (key, value) pairs of a snapshot (one HGETALL)."""
        return (yield from self.copy.plan(self)).items()

    def __eq__(self, other: Any) -> bool:
        if isinstance(other, RedisDict):
            return self.copy() == other.copy()
        if isinstance(other, Mapping):
            return self.copy() == dict(other)
        return NotImplemented

    def __repr__(self) -> str:
        return f"RedisDict({self.copy()!r}, key={self.key!r})"

    def __or__(self, other: Any) -> Dict[Any, Any]:
        out = self.copy()
        out.update(other.copy() if isinstance(other, RedisDict) else other)
        return out

    def __ior__(self, other: Any) -> "RedisDict":
        self.update(other)
        return self

    # ------------------------------------------------------------------ writing
    @operation
    def __setitem__(self, k: Any, value: Any) -> Op:
        """``d[k] = value`` (HSET)."""
        yield from self._set.plan(self, k, value)

    @operation
    def _set(self, k: Any, value: Any) -> Op:
        yield self._write(("HSET", self.key, self.keyCodec.encode(k), self.codec.encode(value)))

    @operation
    def __delitem__(self, k: Any) -> Op:
        """``del d[k]`` (HDEL); KeyError when absent."""
        yield from self._del.plan(self, k)

    @operation
    def _del(self, k: Any) -> Op:
        sk = self._k(k)
        n = 0 if sk is None else (yield command("HDEL", self.key, sk))
        if not n:
            raise KeyError(k)

    @operation
    def pop(self, k: Any, default: Any = _MISSING) -> Op:
        """Remove ``k`` and return its value (HGET and HDEL in one MULTI); ``default`` or KeyError when absent."""
        sk = self._k(k)
        raw = None
        if sk is not None:
            raw, _ = yield transaction([("HGET", self.key, sk), ("HDEL", self.key, sk)])
        if raw is None:
            if default is _MISSING:
                raise KeyError(k)
            return default
        return (yield from self.codec.decodeOne(raw))

    @operation
    def popitem(self) -> Op:
        """Remove and return some (key, value) pair (dict_popitem.lua); KeyError when empty."""
        k, raw = yield self._script(scripts.DICT_POPITEM, [self.key])
        return self.keyCodec.decode(k), (yield from self.codec.decodeOne(raw))

    @operation
    def setdefault(self, k: Any, default: Any = None) -> Op:
        """The value of ``k``, first setting it to ``default`` if absent (HSETNX and HGET in one MULTI)."""
        sk = self.keyCodec.encode(k)
        cmds: List[Any] = [("HSETNX", self.key, sk, self.codec.encode(default)), ("HGET", self.key, sk)]
        if self.ttl:
            cmds.append(("PEXPIRE", self.key, self._ttlArg()))
        reply = yield transaction(cmds)
        return (yield from self.codec.decodeOne(reply[1]))

    @operation
    def update(self, *args: Any, **kwargs: Any) -> Op:
        """Set every pair of a mapping, an iterable of pairs and/or keywords (one HSET, MULTI when many)."""
        args = yield from plainArgs(args)
        flat: List[bytes] = []
        for k, v in _pairsOf(args, kwargs, "update"):
            flat.append(self.keyCodec.encode(k))
            flat.append(self.codec.encode(v))
        if flat:
            yield self._write(*[("HSET", self.key, *chunk) for chunk in chunks(flat, 2000)])

    @operation
    def clear(self) -> Op:
        """Remove every pair (DEL)."""
        yield command("DEL", self.key)

    @operation
    def replace(self, *args: Any, **kwargs: Any) -> Op:
        """Make the hash hold exactly these pairs (DEL and HSET in one MULTI)."""
        args = yield from plainArgs(args)
        flat: List[bytes] = []
        for k, v in _pairsOf(args, kwargs, "replace"):
            flat.append(self.keyCodec.encode(k))
            flat.append(self.codec.encode(v))
        yield self._write(("DEL", self.key), *[("HSET", self.key, *chunk) for chunk in chunks(flat, 2000)])


def _count(score: Any) -> Any:
    value = float(score)
    return int(value) if value.is_integer() else value


class RedisCounter(_Keyed, MutableMapping):
    """A ``collections.Counter`` on a Redis sorted set (element -> count as its score).

    ``RedisCounter(key=None, iterable=None, keyField=None, ...)``; ``keyField`` types the
    elements (default str). ``most_common`` is one ZRANGE ... REV; ``update``/``subtract`` one MULTI
    of ZINCRBY; ``+=``/``-=`` add then drop counts that are not positive in the same MULTI;
    ``|=``/``&=`` are one script. A missing element counts 0, as in Counter.
    """

    REDIS_TYPE = "zset"

    def __init__(self, key: Any = None, iterable: Any = None, **kwargs: Any) -> None:
        if "valueField" in kwargs or "of" in kwargs:
            raise InvalidValueError("RedisCounter: counts are numbers; type the elements with keyField=")
        super().__init__(key, **kwargs)
        if iterable is not None:
            self.update(iterable)

    def _copyArgs(self) -> dict:
        return {"keyField": self.keyField}

    def _elem(self, raw: bytes) -> Any:
        return self.keyCodec.decode(raw)

    # ------------------------------------------------------------------ reading
    @operation
    def __getitem__(self, elem: Any) -> Op:
        sk = self._k(elem)
        score = None if sk is None else (yield command("ZSCORE", self.key, sk))
        return 0 if score is None else _count(score)

    @operation
    def get(self, elem: Any, default: Any = None) -> Op:
        sk = self._k(elem)
        score = None if sk is None else (yield command("ZSCORE", self.key, sk))
        return default if score is None else _count(score)

    @operation
    def __contains__(self, elem: Any) -> Op:
        sk = self._k(elem)
        return sk is not None and (yield command("ZSCORE", self.key, sk)) is not None

    @operation
    def __len__(self) -> Op:
        return int((yield command("ZCARD", self.key)))

    @operation
    def _pairs(self, desc: bool, n: Optional[int]) -> Op:
        stop = -1 if n is None else n - 1
        if n is not None and n <= 0:
            return []
        cmd = ("ZREVRANGE" if desc else "ZRANGE", self.key, 0, stop, "WITHSCORES")
        flat = yield command(*cmd)
        if flat and isinstance(flat[0], (list, tuple)):
            return [(self._elem(m), _count(s)) for m, s in flat]
        return [(self._elem(flat[i]), _count(flat[i + 1])) for i in range(0, len(flat), 2)]

    @operation
    def copy(self) -> Op:
        """The contents as a ``collections.Counter`` (one ZRANGE ... WITHSCORES)."""
        return collections.Counter(dict((yield from self._pairs.plan(self, False, None))))

    @operation
    def most_common(self, n: Optional[int] = None) -> Op:
        """The ``n`` most common elements and their counts, most common first (one ZREVRANGE).

        Equal counts come in reverse order of their stored form (Counter: in first-seen order).
        """
        return (yield from self._pairs.plan(self, True, n))

    @operation
    def elements(self) -> Op:
        """An iterator over the elements, each repeated as many times as its count (positive
        counts only), read in one ZRANGE."""
        pairs = yield from self._pairs.plan(self, False, None)
        return iter([elem for elem, count in pairs if count > 0 for _ in range(int(count))])

    @operation
    def total(self) -> Op:
        """The sum of the counts (one ZRANGE ... WITHSCORES)."""
        flat = yield command("ZRANGE", self.key, 0, -1, "WITHSCORES")
        scores = [s for _, s in flat] if flat and isinstance(flat[0], (list, tuple)) else flat[1::2]
        return _count(sum(float(s) for s in scores))

    def __iter__(self) -> Any:
        return iter([e for e, _ in self._pairs(False, None)])

    @operation
    def keys(self) -> Op:
        """The elements, as ``Counter.keys()`` of a copy (one read)."""
        return (yield from self.copy.plan(self)).keys()

    @operation
    def values(self) -> Op:
        return (yield from self.copy.plan(self)).values()

    @operation
    def items(self) -> Op:
        return (yield from self.copy.plan(self)).items()

    def __eq__(self, other: Any) -> bool:
        if isinstance(other, RedisCounter):
            return self.copy() == other.copy()
        if isinstance(other, Mapping):
            return dict(self.copy()) == dict(other)
        return NotImplemented

    def __repr__(self) -> str:
        return f"RedisCounter({dict(self.copy())!r}, key={self.key!r})"

    # ------------------------------------------------------------------ writing
    def _number(self, count: Any) -> Any:
        if isinstance(count, bool) or not isinstance(count, (int, float)):
            raise InvalidValueError(f"{self.label}: a count is an int or float; got {type(count).__name__} {count!r:.60}")
        return repr(float(count)) if isinstance(count, float) else int(count)

    @operation
    def __setitem__(self, elem: Any, count: Any) -> Op:
        """``c[elem] = count`` (ZADD)."""
        yield from self._setCount.plan(self, elem, count)

    @operation
    def _setCount(self, elem: Any, count: Any) -> Op:
        yield self._write(("ZADD", self.key, self._number(count), self.keyCodec.encode(elem)))

    @operation
    def __delitem__(self, elem: Any) -> Op:
        """Remove ``elem`` (ZREM); a missing element is ignored, as in Counter."""
        sk = self._k(elem)
        if sk is not None:
            yield command("ZREM", self.key, sk)

    @operation
    def pop(self, elem: Any, default: Any = _MISSING) -> Op:
        sk = self._k(elem)
        score = None
        if sk is not None:
            score, _ = yield transaction([("ZSCORE", self.key, sk), ("ZREM", self.key, sk)])
        if score is None:
            if default is _MISSING:
                raise KeyError(elem)
            return default
        return _count(score)

    @operation
    def popitem(self) -> Op:
        """Remove and return the (element, count) pair with the lowest count (ZPOPMIN); KeyError when empty."""
        reply = yield self._write(("ZPOPMIN", self.key))
        if self.ttl:
            reply = reply[0]
        if not reply:
            raise KeyError("popitem(): dictionary is empty")
        if isinstance(reply[0], (list, tuple)):
            reply = reply[0]
        return self._elem(reply[0]), _count(reply[1])

    @operation
    def setdefault(self, elem: Any, default: Any = None) -> Op:
        sk = self.keyCodec.encode(elem)
        reply = yield transaction(
            [("ZADD", self.key, "NX", self._number(0 if default is None else default), sk), ("ZSCORE", self.key, sk)]
        )
        return _count(reply[1])

    def _counts(self, args: Tuple[Any, ...], kwargs: Dict[str, Any], what: str) -> Dict[bytes, Any]:
        if len(args) > 1:
            raise TypeError(f"{what} expected at most 1 positional argument, got {len(args)}")
        source: Any = args[0] if args else None
        counts: Dict[bytes, Any] = {}
        if source is not None:
            if isinstance(source, RedisCounter):
                source = source.copy()
            if isinstance(source, Mapping):
                for elem, n in source.items():
                    sk = self.keyCodec.encode(elem)
                    counts[sk] = counts.get(sk, 0) + n
            else:
                for elem in source:
                    sk = self.keyCodec.encode(elem)
                    counts[sk] = counts.get(sk, 0) + 1
        for elem, n in kwargs.items():
            sk = self.keyCodec.encode(elem)
            counts[sk] = counts.get(sk, 0) + n
        return counts

    def _incrs(self, counts: Dict[bytes, Any], sign: int) -> List[Tuple[Any, ...]]:
        return [("ZINCRBY", self.key, self._number(sign * n), sk) for sk, n in counts.items()]

    @operation
    def update(self, *args: Any, **kwargs: Any) -> Op:
        """Add counts from an iterable of elements or a mapping of counts (one MULTI of ZINCRBY)."""
        args = yield from plainArgs(args)
        cmds = self._incrs(self._counts(args, kwargs, "update"), 1)
        if cmds:
            yield self._write(*cmds)

    @operation
    def subtract(self, *args: Any, **kwargs: Any) -> Op:
        """Subtract counts (one MULTI of ZINCRBY); counts may go to zero or below, as in Counter."""
        args = yield from plainArgs(args)
        cmds = self._incrs(self._counts(args, kwargs, "subtract"), -1)
        if cmds:
            yield self._write(*cmds)

    @operation
    def clear(self) -> Op:
        yield command("DEL", self.key)

    @operation
    def replace(self, *args: Any, **kwargs: Any) -> Op:
        """Make the counter hold exactly these counts (DEL and ZADD in one MULTI)."""
        args = yield from plainArgs(args)
        flat: List[Any] = []
        for sk, n in self._counts(args, kwargs, "replace").items():
            flat += [self._number(n), sk]
        yield self._write(("DEL", self.key), *[("ZADD", self.key, *chunk) for chunk in chunks(flat, 2000)])

    @operation
    def _addKeepPositive(self, other: Any, sign: int) -> Op:
        other = yield from plainOf(other)
        cmds = self._incrs(self._counts((other,), {}, "+="), sign)
        yield self._write(*cmds, ("ZREMRANGEBYSCORE", self.key, "-inf", 0))

    @operation
    def _merge(self, other: Any, mode: str) -> Op:
        other = yield from plainOf(other)
        flat: List[Any] = []
        for sk, n in self._counts((other,), {}, mode).items():
            flat += [sk, self._number(n)]
        yield self._script(scripts.COUNTER_MERGE, [self.key], mode, *flat)

    def __iadd__(self, other: Any) -> "RedisCounter":
        self._addKeepPositive(other, 1)
        return self

    def __isub__(self, other: Any) -> "RedisCounter":
        self._addKeepPositive(other, -1)
        return self

    def __ior__(self, other: Any) -> "RedisCounter":
        self._merge(other, "max")
        return self

    def __iand__(self, other: Any) -> "RedisCounter":
        self._merge(other, "min")
        return self

    def _other(self, other: Any) -> Any:
        return other.copy() if isinstance(other, RedisCounter) else other

    def __add__(self, other: Any) -> "collections.Counter[Any]":
        return self.copy() + self._other(other)

    def __sub__(self, other: Any) -> "collections.Counter[Any]":
        return self.copy() - self._other(other)

    def __or__(self, other: Any) -> "collections.Counter[Any]":
        return self.copy() | self._other(other)

    def __and__(self, other: Any) -> "collections.Counter[Any]":
        return self.copy() & self._other(other)


__all__ = ["RedisCounter", "RedisDict"]
