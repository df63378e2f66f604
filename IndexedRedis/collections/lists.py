"""RedisList (``list``) and RedisDeque (``collections.deque``) on a Redis list.

Every method is one atomic step: one command (RPUSH, LINDEX, LSET, LREM, LPOS, LRANGE...),
one MULTI/EXEC, or one script (insert, pop(i), del, slice assignment, reverse, rotate). ``sort``
orders by the Python values, so it reads, sorts here and writes back under WATCH: the write
applies only if the list did not change since it was read (retried otherwise).
"""

from __future__ import annotations

import sys
from collections.abc import MutableSequence
from typing import Any, Callable, Iterable, List, Optional

from ..exceptions import InvalidValueError
from ..plans import Op, command, transaction
from . import scripts
from .base import Optimistic, TypedCollection, chunks, operation, plainOf


def _sliceArg(v: Optional[int]) -> Any:
    if v is None:
        return ""
    return int(v.__index__())


class _RedisListBase(TypedCollection):
    """What list and deque share."""

    REDIS_TYPE = "list"
    _EMPTY_POP = "pop from empty list"
    _maxlen = 0

    # ------------------------------------------------------------------ reading
    @operation
    def __len__(self) -> Op:
        return int((yield command("LLEN", self.key)))

    def _checkIndex(self, index: Any) -> int:
        try:
            return int(index.__index__())
        except AttributeError:
            raise TypeError(f"{type(self).__name__} indices must be integers or slices, not {type(index).__name__}") from None

    @operation
    def _getItem(self, index: int) -> Op:
        raw = yield command("LINDEX", self.key, index)
        if raw is None:
            raise IndexError(f"{type(self).__name__[5:].lower()} index out of range")
        return (yield from self.codec.decodeOne(raw))

    @operation
    def __iter__(self) -> Op:
        """A snapshot read in one LRANGE (links: plus one fetch of the objects)."""
        raws = yield command("LRANGE", self.key, 0, -1)
        return iter((yield from self.codec.decodeMany(raws)))

    @operation
    def copy(self) -> Op:
        """The items as a plain list (one LRANGE)."""
        raws = yield command("LRANGE", self.key, 0, -1)
        return list((yield from self.codec.decodeMany(raws)))

    @operation
    def __contains__(self, value: Any) -> Op:
        try:
            raw = self.codec.encode(value)
        except InvalidValueError:
            return False  # a value the list cannot hold is not in it
        return (yield command("LPOS", self.key, raw)) is not None

    @operation
    def count(self, value: Any) -> Op:
        """How many items equal ``value`` (LPOS ... COUNT 0)."""
        try:
            raw = self.codec.encode(value)
        except InvalidValueError:
            return 0
        return len((yield command("LPOS", self.key, raw, "COUNT", 0)))

    @operation
    def index(self, value: Any, start: int = 0, stop: int = sys.maxsize) -> Op:
        """The first position of ``value`` in ``[start:stop]`` (LLEN and LPOS in one MULTI); ValueError when absent."""
        try:
            raw = self.codec.encode(value)
        except InvalidValueError:
            raw = None
        if raw is not None:
            n, positions = yield transaction([("LLEN", self.key), ("LPOS", self.key, raw, "COUNT", 0)])
            lo, hi, _ = slice(start, stop).indices(int(n))
            for p in positions:
                if lo <= p < hi:
                    return int(p)
        raise ValueError(f"{value!r:.60} is not in {type(self).__name__[5:].lower()}")

    def __bool__(self) -> bool:
        return len(self) > 0

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.copy()!r}, key={self.key!r})"

    # ------------------------------------------------------------------ writing
    def _push(self, side: str, raws: List[bytes]) -> Op:
        cmds: List[Any] = [(side, self.key, *chunk) for chunk in chunks(raws)]
        if self._maxlen:
            trim = (0, self._maxlen - 1) if side == "LPUSH" else (-self._maxlen, -1)
            cmds.append(("LTRIM", self.key, *trim))
        if cmds:
            yield self._write(*cmds)

    @operation
    def append(self, value: Any) -> Op:
        """Add ``value`` at the end (RPUSH)."""
        yield from self._push("RPUSH", [self.codec.encode(value)])

    @operation
    def extend(self, values: Iterable[Any]) -> Op:
        """Add every value at the end (RPUSH with all of them, in one MULTI when there are many)."""
        values = yield from plainOf(values)
        yield from self._push("RPUSH", self.codec.encodeAll(values))

    def __iadd__(self, values: Iterable[Any]) -> Any:
        self.extend(values)
        return self

    @operation
    def insert(self, index: Any, value: Any) -> Op:
        """Insert ``value`` before position ``index`` (list_insert.lua)."""
        yield self._script(scripts.LIST_INSERT, [self.key], int(index.__index__()), self.codec.encode(value), self._maxlen)

    @operation
    def pop(self, index: Any = -1) -> Op:
        """Remove and return the item at ``index`` (last by default): RPOP, LPOP, or list_pop.lua."""
        i = int(index.__index__())
        if i == -1 or i == 0:
            raw = yield self._write(("RPOP" if i == -1 else "LPOP", self.key))
            if self.ttl:
                raw = raw[0]
            if raw is None:
                raise IndexError(self._EMPTY_POP)
        else:
            raw = yield self._script(scripts.LIST_POP, [self.key], i, self._EMPTY_POP, "pop index out of range")
        return (yield from self.codec.decodeOne(raw))

    @operation
    def remove(self, value: Any) -> Op:
        """Remove the first item equal to ``value`` (LREM 1); ValueError when there is none."""
        try:
            raw = self.codec.encode(value)
        except InvalidValueError:
            raw = None
        if raw is not None:
            reply = yield self._write(("LREM", self.key, 1, raw))
            if (reply[0] if self.ttl else reply) == 1:
                return None
        raise ValueError(f"{type(self).__name__[5:].lower()}.remove(x): x not in {type(self).__name__[5:].lower()}")

    @operation
    def reverse(self) -> Op:
        """Reverse the items in place (list_reverse.lua)."""
        yield self._script(scripts.LIST_REVERSE, [self.key])

    @operation
    def replace(self, values: Iterable[Any]) -> Op:
        """Make the list hold exactly ``values`` (DEL and RPUSH in one MULTI), as ``lst[:] = values``."""
        values = yield from plainOf(values)
        raws = self.codec.encodeAll(values)
        cmds: List[Any] = [("DEL", self.key)] + [("RPUSH", self.key, *chunk) for chunk in chunks(raws)]
        if self._maxlen:
            cmds.append(("LTRIM", self.key, -self._maxlen, -1))
        yield self._write(*cmds)

    @operation
    def clear(self) -> Op:
        """Remove every item (DEL)."""
        yield command("DEL", self.key)

    def __reversed__(self) -> Any:
        return reversed(self.copy())


class RedisList(_RedisListBase, MutableSequence):
    """A ``list`` on a Redis list: ``RedisList(key=None, valueField=None, of=None, ...)``.

    Indexing, slicing (any step), ``insert``, ``pop(i)``, ``remove``, ``reverse``, ``sort`` and slice
    assignment and deletion are each one atomic step on the server. ``valueField`` types the items
    (default str); ``of=Model`` holds links: pks stored, objects given back (a slice fetches its
    objects in one more round trip).
    """

    def __init__(self, key: Any = None, initial: Optional[Iterable[Any]] = None, **kwargs: Any) -> None:
        super().__init__(key, **kwargs)
        if initial is not None:
            self.replace(initial)

    # ------------------------------------------------------------------ item access
    @operation
    def __getitem__(self, index: Any) -> Op:
        """``lst[i]`` (LINDEX) or ``lst[a:b]`` (LRANGE)."""
        if isinstance(index, slice):
            return (yield from self._getSlice.plan(self, index.start, index.stop, index.step))
        return (yield from self._getItem.plan(self, self._checkIndex(index)))

    @operation
    def _getSlice(self, start: Any, stop: Any, step: Any) -> Op:
        if step is not None and int(step) == 0:
            raise ValueError("slice step cannot be zero")
        sl = slice(start, stop, step)
        if step is None or int(step) == 1:
            a = 0 if start is None else int(start)
            if stop is None:
                b = -1
            else:
                b = int(stop)
                if b == 0 or (a >= 0 and b > 0 and b <= a) or (a < 0 and b < 0 and b <= a):
                    return []
                b -= 1
            raws = yield command("LRANGE", self.key, a, b)
        else:
            raws = (yield command("LRANGE", self.key, 0, -1))[sl]
        return list((yield from self.codec.decodeMany(raws)))

    @operation
    def __setitem__(self, index: Any, value: Any) -> Op:
        """``lst[i] = v`` (LSET) or ``lst[a:b] = values`` (list_slice.lua)."""
        if isinstance(index, slice):
            if index.step is not None and int(index.step) == 0:
                raise ValueError("slice step cannot be zero")
            value = yield from plainOf(value)
            yield from self._setSlice.plan(self, index.start, index.stop, index.step, list(value))
            return
        yield from self._setOne.plan(self, self._checkIndex(index), value)

    @operation
    def _setOne(self, index: int, value: Any) -> Op:
        """``lst[i] = value`` (LSET; a missing key or an index out of range is IndexError)."""
        yield self._write(("LSET", self.key, index, self.codec.encode(value)))

    @operation
    def _setSlice(self, start: Any, stop: Any, step: Any, values: List[Any]) -> Op:
        raws = self.codec.encodeAll(values)
        yield self._script(scripts.LIST_SLICE, [self.key], "set", _sliceArg(start), _sliceArg(stop), _sliceArg(step), *raws)

    @operation
    def __delitem__(self, index: Any) -> Op:
        """``del lst[i]`` or ``del lst[a:b]`` (list_pop.lua / list_slice.lua)."""
        if isinstance(index, slice):
            if index.step is not None and int(index.step) == 0:
                raise ValueError("slice step cannot be zero")
            yield from self._delSlice.plan(self, index.start, index.stop, index.step)
            return
        yield from self._delOne.plan(self, self._checkIndex(index))

    @operation
    def _delOne(self, index: int) -> Op:
        msg = "list assignment index out of range"
        yield self._script(scripts.LIST_POP, [self.key], index, msg, msg)

    @operation
    def _delSlice(self, start: Any, stop: Any, step: Any) -> Op:
        yield self._script(scripts.LIST_SLICE, [self.key], "del", _sliceArg(start), _sliceArg(stop), _sliceArg(step))

    # ------------------------------------------------------------------ whole-list operations
    @operation
    def sort(self, *, key: Optional[Callable[[Any], Any]] = None, reverse: bool = False) -> Op:
        """Sort in place by the Python values (stable, as ``list.sort``), atomically: WATCH, read, MULTI/EXEC."""

        def plan(raws: List[bytes]) -> Op:
            values = yield from self.codec.decodeMany(raws)
            order = sorted(range(len(raws)), key=(lambda i: key(values[i])) if key else (lambda i: values[i]), reverse=reverse)
            out = [raws[i] for i in order]
            cmds: List[Any] = [("DEL", self.key)] + [("RPUSH", self.key, *chunk) for chunk in chunks(out)]
            if self.ttl and out:
                cmds.append(("PEXPIRE", self.key, self._ttlArg()))
            return cmds, None

        yield Optimistic(self.key, ("LRANGE", self.key, 0, -1), plan)  # type: ignore[misc]

    def __eq__(self, other: Any) -> bool:
        if isinstance(other, _RedisListBase):
            return self.copy() == other.copy()
        if isinstance(other, list):
            return self.copy() == other
        return NotImplemented

    def __add__(self, other: Any) -> List[Any]:
        return self.copy() + list(other)

    def __radd__(self, other: Any) -> List[Any]:
        return list(other) + self.copy()

    def __mul__(self, n: int) -> List[Any]:
        return self.copy() * n

    __rmul__ = __mul__


class RedisDeque(_RedisListBase, MutableSequence):
    """A ``collections.deque`` on a Redis list: ``RedisDeque(key=None, iterable=(), maxlen=None, ...)``.

    With ``maxlen``, appending to a full deque drops items from the other end (RPUSH/LPUSH and
    LTRIM in one MULTI). ``rotate`` is one script. Items are typed as for RedisList.
    """

    _EMPTY_POP = "pop from an empty deque"

    def __init__(self, key: Any = None, iterable: Iterable[Any] = (), maxlen: Optional[int] = None, **kwargs: Any) -> None:
        super().__init__(key, **kwargs)
        if maxlen is not None and (not isinstance(maxlen, int) or isinstance(maxlen, bool) or maxlen < 0):
            raise InvalidValueError(f"{self.label}: maxlen must be a non-negative int or None; got {maxlen!r}")
        if maxlen == 0:
            raise InvalidValueError(f"{self.label}: maxlen=0 would hold nothing; give maxlen > 0 or None")
        self._maxlen = maxlen or 0
        iterable = list(iterable)
        if iterable:
            self.extend(iterable)

    def _copyArgs(self) -> dict:
        return {**super()._copyArgs(), "maxlen": self.maxlen}

    @property
    def maxlen(self) -> Optional[int]:
        return self._maxlen or None

    @operation
    def __getitem__(self, index: Any) -> Op:
        """``d[i]`` (LINDEX)."""
        if isinstance(index, slice):
            raise TypeError("sequence index must be integer, not 'slice'")
        return (yield from self._getItem.plan(self, self._checkIndex(index)))

    @operation
    def __setitem__(self, index: Any, value: Any) -> Op:
        """``d[i] = value`` (LSET)."""
        if isinstance(index, slice):
            raise TypeError("sequence index must be integer, not 'slice'")
        yield from self._lsetOp.plan(self, self._checkIndex(index), value)

    @operation
    def _lsetOp(self, index: int, value: Any) -> Op:
        """``d[i] = value`` (LSET)."""
        yield self._write(("LSET", self.key, index, self.codec.encode(value)))

    @operation
    def __delitem__(self, index: Any) -> Op:
        """``del d[i]`` (list_pop.lua)."""
        if isinstance(index, slice):
            raise TypeError("sequence index must be integer, not 'slice'")
        yield from self._delOne.plan(self, self._checkIndex(index))

    @operation
    def _delOne(self, index: int) -> Op:
        yield self._script(scripts.LIST_POP, [self.key], index, "deque index out of range", "deque index out of range")

    @operation
    def appendleft(self, value: Any) -> Op:
        """Add ``value`` at the left end (LPUSH)."""
        yield from self._push("LPUSH", [self.codec.encode(value)])

    @operation
    def extendleft(self, values: Iterable[Any]) -> Op:
        """Add every value at the left end, one after the other (so in reverse order), as deque does."""
        values = yield from plainOf(values)
        yield from self._push("LPUSH", self.codec.encodeAll(values))

    @operation
    def popleft(self) -> Op:
        """Remove and return the leftmost item (LPOP)."""
        return (yield from self.pop.plan(self, 0))

    @operation
    def rotate(self, n: int = 1) -> Op:
        """Rotate ``n`` steps to the right (left when negative), in one script."""
        yield self._script(scripts.LIST_ROTATE, [self.key], int(n))

    def __eq__(self, other: Any) -> bool:
        import collections

        if isinstance(other, _RedisListBase):
            return self.copy() == other.copy()
        if isinstance(other, collections.deque):
            return self.copy() == list(other)
        return NotImplemented


__all__ = ["RedisDeque", "RedisList"]
