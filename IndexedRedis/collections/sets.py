"""RedisSet: a ``set`` on a Redis set.

Between two RedisSets on the same server, set algebra runs on the server: ``a | b`` is SUNION,
``a & b`` SINTER, ``a - b`` SDIFF, and the in-place forms are SUNIONSTORE / SINTERSTORE /
SDIFFSTORE (``^=`` is one script). With Python iterables the members are sent along. The
results of the non-mutating forms are plain Python sets, as ``set`` gives.
"""

from __future__ import annotations

from collections.abc import MutableSet
from collections.abc import Set as AbstractSet
from typing import Any, Iterable, List, Set

from ..exceptions import InvalidValueError
from ..plans import Op, command, transaction
from . import scripts
from .base import TypedCollection, chunks, operation, plainArgs, plainOf


class RedisSet(TypedCollection, MutableSet):
    """A ``set`` on a Redis set: ``RedisSet(key=None, initial=None, valueField=None, of=None, ...)``."""

    REDIS_TYPE = "set"

    def __init__(self, key: Any = None, initial: Any = None, **kwargs: Any) -> None:
        super().__init__(key, **kwargs)
        if initial is not None:
            self.update(initial)

    @classmethod
    def _from_iterable(cls, it: Iterable[Any]) -> Set[Any]:
        return set(it)

    def _m(self, value: Any) -> Any:
        try:
            return self.codec.encode(value)
        except InvalidValueError:
            return None

    def _server(self, other: Any) -> bool:
        """True when ``other`` is a RedisSet whose algebra with this one can run on the server."""
        return isinstance(other, RedisSet)

    # ------------------------------------------------------------------ reading
    @operation
    def __contains__(self, value: Any) -> Op:
        m = self._m(value)
        return m is not None and bool((yield command("SISMEMBER", self.key, m)))

    @operation
    def __len__(self) -> Op:
        return int((yield command("SCARD", self.key)))

    @operation
    def copy(self) -> Op:
        """The members as a plain set (one SMEMBERS)."""
        raws = yield command("SMEMBERS", self.key)
        return set((yield from self.codec.decodeMany(list(raws))))

    def __iter__(self) -> Any:
        return iter(self.copy())

    def __repr__(self) -> str:
        return f"RedisSet({self.copy()!r}, key={self.key!r})"

    @operation
    def _algebra(self, cmd: str, others: List[Any]) -> Op:
        if all(self._server(o) for o in others):
            raws = yield command(cmd, self.key, *[o.key for o in others])
            return set((yield from self.codec.decodeMany(list(raws))))
        mine = set((yield from self.codec.decodeMany(list((yield command("SMEMBERS", self.key))))))
        plain = []
        for o in others:
            plain.append(set((yield from plainOf(o))))
        if cmd == "SUNION":
            return mine.union(*plain)
        if cmd == "SINTER":
            return mine.intersection(*plain)
        return mine.difference(*plain)

    @operation
    def union(self, *others: Any) -> Op:
        """``self | others...`` as a set (SUNION when every other is a RedisSet)."""
        return (yield from self._algebra.plan(self, "SUNION", list(others)))

    @operation
    def intersection(self, *others: Any) -> Op:
        """``self & others...`` as a set (SINTER when every other is a RedisSet)."""
        return (yield from self._algebra.plan(self, "SINTER", list(others)))

    @operation
    def difference(self, *others: Any) -> Op:
        """``self - others...`` as a set (SDIFF when every other is a RedisSet)."""
        return (yield from self._algebra.plan(self, "SDIFF", list(others)))

    @operation
    def symmetric_difference(self, other: Iterable[Any]) -> Op:
        """``self ^ other`` as a set (SDIFF both ways in one MULTI when other is a RedisSet)."""
        if self._server(other):
            a, b = yield transaction([("SDIFF", self.key, other.key), ("SDIFF", other.key, self.key)])  # type: ignore[attr-defined]
            return set((yield from self.codec.decodeMany(list(a) + list(b))))
        mine = set((yield from self.codec.decodeMany(list((yield command("SMEMBERS", self.key))))))
        return mine ^ set((yield from plainOf(other)))

    @operation
    def isdisjoint(self, other: Iterable[Any]) -> Op:
        return not (yield from self._algebra.plan(self, "SINTER", [other]))

    @operation
    def issubset(self, other: Iterable[Any]) -> Op:
        return not (yield from self._algebra.plan(self, "SDIFF", [other]))

    @operation
    def issuperset(self, other: Iterable[Any]) -> Op:
        if isinstance(other, RedisSet):
            return not (yield command("SDIFF", other.key, self.key))
        mine = yield from self.copy.plan(self)
        other = yield from plainOf(other)
        return all(v in mine for v in other)

    def _operand(self, other: Any) -> Any:
        if not isinstance(other, (AbstractSet, RedisSet)):
            return None
        return other

    def __or__(self, other: Any) -> Any:
        return self.union(other) if self._operand(other) is not None else NotImplemented

    def __and__(self, other: Any) -> Any:
        return self.intersection(other) if self._operand(other) is not None else NotImplemented

    def __sub__(self, other: Any) -> Any:
        return self.difference(other) if self._operand(other) is not None else NotImplemented

    def __xor__(self, other: Any) -> Any:
        return self.symmetric_difference(other) if self._operand(other) is not None else NotImplemented

    def __rsub__(self, other: Any) -> Any:
        return set(other) - self.copy() if self._operand(other) is not None else NotImplemented

    __ror__ = __or__
    __rand__ = __and__
    __rxor__ = __xor__

    def __eq__(self, other: Any) -> bool:
        if isinstance(other, RedisSet):
            return self.copy() == other.copy()
        if isinstance(other, AbstractSet):
            return self.copy() == set(other)
        return NotImplemented

    def __le__(self, other: Any) -> bool:
        return self.issubset(other)

    def __lt__(self, other: Any) -> bool:
        return self.issubset(other) and len(self) != len(other)

    def __ge__(self, other: Any) -> bool:
        return self.issuperset(other)

    def __gt__(self, other: Any) -> bool:
        return self.issuperset(other) and len(self) != len(other)  # type: ignore[arg-type]

    # ------------------------------------------------------------------ writing
    @operation
    def add(self, value: Any) -> Op:
        """Add ``value`` (SADD)."""
        yield self._write(("SADD", self.key, self.codec.encode(value)))

    @operation
    def discard(self, value: Any) -> Op:
        """Remove ``value`` if present (SREM)."""
        m = self._m(value)
        if m is not None:
            yield command("SREM", self.key, m)

    @operation
    def remove(self, value: Any) -> Op:
        """Remove ``value`` (SREM); KeyError when absent."""
        m = self._m(value)
        if m is None or not (yield command("SREM", self.key, m)):
            raise KeyError(value)

    @operation
    def pop(self) -> Op:
        """Remove and return some member (SPOP); KeyError when empty."""
        raw = yield command("SPOP", self.key)
        if raw is None:
            raise KeyError("pop from an empty set")
        return (yield from self.codec.decodeOne(raw))

    @operation
    def clear(self) -> Op:
        yield command("DEL", self.key)

    @operation
    def replace(self, values: Iterable[Any]) -> Op:
        """Make the set hold exactly ``values`` (DEL and SADD in one MULTI)."""
        values = yield from plainOf(values)
        members = [self.codec.encode(v) for v in values]
        yield self._write(("DEL", self.key), *[("SADD", self.key, *chunk) for chunk in chunks(members)])

    @operation
    def update(self, *others: Any) -> Op:
        """Add the members of every other (SUNIONSTORE for RedisSets, SADD for the rest, in one MULTI)."""
        others = yield from plainArgs(others, RedisSet)
        cmds: List[Any] = []
        keys = [o.key for o in others if self._server(o)]
        if keys:
            cmds.append(("SUNIONSTORE", self.key, self.key, *keys))
        members: List[bytes] = []
        for o in others:
            if not self._server(o):
                members.extend(self.codec.encode(v) for v in o)
        cmds.extend(("SADD", self.key, *chunk) for chunk in chunks(members))
        if cmds:
            yield self._write(*cmds)

    @operation
    def intersection_update(self, *others: Any) -> Op:
        """Keep only members found in every other (SINTERSTORE; set_update.lua for Python iterables)."""
        others = yield from plainArgs(others, RedisSet)
        keys = [o.key for o in others if self._server(o)]
        plain = [o for o in others if not self._server(o)]
        if keys and not plain:
            yield self._write(("SINTERSTORE", self.key, self.key, *keys))
            return None
        members: List[bytes] = []
        if plain:
            keep = None
            for o in plain:
                ms = {m for m in (self._m(v) for v in o) if m is not None}
                keep = ms if keep is None else keep & ms
            members = sorted(keep or ())
        # The RedisSets are read inside the script, so the whole update is one atomic step.
        yield self._script(scripts.SET_UPDATE, [self.key, *keys], "keep", "1" if plain else "0", *members)

    @operation
    def difference_update(self, *others: Any) -> Op:
        """Remove the members of every other (SDIFFSTORE for RedisSets, SREM for the rest, in one MULTI)."""
        others = yield from plainArgs(others, RedisSet)
        cmds: List[Any] = []
        keys = [o.key for o in others if self._server(o)]
        if keys:
            cmds.append(("SDIFFSTORE", self.key, self.key, *keys))
        members = [m for o in others if not self._server(o) for m in (self._m(v) for v in o) if m is not None]
        cmds.extend(("SREM", self.key, *chunk) for chunk in chunks(members))
        if cmds:
            yield self._write(*cmds)

    @operation
    def symmetric_difference_update(self, other: Iterable[Any]) -> Op:
        """Toggle the members of ``other`` (set_update.lua; with a RedisSet, read on the server)."""
        if self._server(other):
            yield self._script(scripts.SET_UPDATE, [self.key, other.key], "xorkey", "0")  # type: ignore[attr-defined]
        else:
            other = yield from plainOf(other)
            yield self._script(scripts.SET_UPDATE, [self.key], "xor", "1", *[self.codec.encode(v) for v in other])

    def __ior__(self, other: Any) -> "RedisSet":
        self.update(other)
        return self

    def __iand__(self, other: Any) -> "RedisSet":
        self.intersection_update(other)
        return self

    def __isub__(self, other: Any) -> "RedisSet":
        if other is self or (isinstance(other, RedisSet) and other.key == self.key):
            self.clear()
        else:
            self.difference_update(other)
        return self

    def __ixor__(self, other: Any) -> "RedisSet":
        self.symmetric_difference_update(other)
        return self


__all__ = ["RedisSet"]
