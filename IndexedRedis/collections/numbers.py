"""RedisInt and RedisFloat: a number in a Redis string key, changed atomically.

``n += 5`` is one INCRBY (RedisInt) or one script (RedisFloat, whose arithmetic is Lua's IEEE
doubles, so the result is the one Python computes). ``*=``, ``//=``, ``%=`` (and ``/=`` for
floats) are one script each; for RedisInt they are exact within +-2**53. Reading the value
(``int(n)``, ``n.value``, comparisons, arithmetic returning plain numbers) is one GET; an
absent key reads as 0.
"""

from __future__ import annotations

import math
from typing import Any

from ..exceptions import InvalidValueError
from ..plans import Op, command
from . import scripts
from .base import RedisCollection, operation


class _RedisNumber(RedisCollection):
    REDIS_TYPE = "string"
    _kind = ""

    def __init__(self, key: Any = None, initial: Any = None, **kwargs: Any) -> None:
        super().__init__(key, **kwargs)
        if initial is not None:
            self.set(initial)

    def _conv(self, value: Any) -> Any:  # pragma: no cover - overridden
        raise NotImplementedError

    def _parse(self, raw: Any) -> Any:  # pragma: no cover - overridden
        raise NotImplementedError

    def _text(self, value: Any) -> str:  # pragma: no cover - overridden
        raise NotImplementedError

    @operation
    def get(self) -> Op:
        """The value (GET; 0 when the key is absent)."""
        return self._parse((yield command("GET", self.key)))

    @property
    def value(self) -> Any:
        return self.get()

    @value.setter
    def value(self, v: Any) -> None:
        self.set(v)

    @operation
    def set(self, value: Any) -> Op:
        """Store ``value`` (SET, with PX when there is a TTL)."""
        text = self._text(self._conv(value))
        if self.ttl:
            yield command("SET", self.key, text, "PX", self._ttlArg())
        else:
            yield command("SET", self.key, text)

    @operation
    def _op(self, op: str, operand: Any) -> Op:
        return self._parse((yield self._script(scripts.NUMBER_OP, [self.key], op, self._text(self._conv(operand)), self._kind)))

    def incr(self, amount: Any = 1) -> Any:  # pragma: no cover - each number type defines its own
        raise NotImplementedError

    def __iadd__(self, other: Any) -> Any:
        self.incr(other)
        return self

    def __isub__(self, other: Any) -> Any:
        self.incr(-self._conv(other))
        return self

    def __imul__(self, other: Any) -> Any:
        self._op("mul", other)
        return self

    def __ifloordiv__(self, other: Any) -> Any:
        self._op("floordiv", other)
        return self

    def __imod__(self, other: Any) -> Any:
        self._op("mod", other)
        return self

    # plain numbers out
    def _v(self, other: Any) -> Any:
        return other.get() if isinstance(other, _RedisNumber) else other

    def __add__(self, o: Any) -> Any:
        return self.get() + self._v(o)

    def __radd__(self, o: Any) -> Any:
        return self._v(o) + self.get()

    def __sub__(self, o: Any) -> Any:
        return self.get() - self._v(o)

    def __rsub__(self, o: Any) -> Any:
        return self._v(o) - self.get()

    def __mul__(self, o: Any) -> Any:
        return self.get() * self._v(o)

    __rmul__ = __mul__

    def __truediv__(self, o: Any) -> Any:
        return self.get() / self._v(o)

    def __floordiv__(self, o: Any) -> Any:
        return self.get() // self._v(o)

    def __mod__(self, o: Any) -> Any:
        return self.get() % self._v(o)

    def __neg__(self) -> Any:
        return -self.get()

    def __abs__(self) -> Any:
        return abs(self.get())

    def __int__(self) -> int:
        return int(self.get())

    def __float__(self) -> float:
        return float(self.get())

    def __bool__(self) -> bool:
        return bool(self.get())

    def __eq__(self, o: Any) -> bool:
        if isinstance(o, (int, float, _RedisNumber)) and not isinstance(o, bool):
            return self.get() == self._v(o)
        return NotImplemented

    def __lt__(self, o: Any) -> bool:
        return self.get() < self._v(o)

    def __le__(self, o: Any) -> bool:
        return self.get() <= self._v(o)

    def __gt__(self, o: Any) -> bool:
        return self.get() > self._v(o)

    def __ge__(self, o: Any) -> bool:
        return self.get() >= self._v(o)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.get()!r}, key={self.key!r})"


class RedisInt(_RedisNumber):
    """An ``int`` counter: ``RedisInt(key=None, initial=None, ...)``; ``incr``/``decr`` are INCRBY/DECRBY."""

    _kind = "int"

    def _conv(self, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            if isinstance(value, float) and value.is_integer():
                return int(value)
            raise InvalidValueError(f"{self.label} holds an int; got {type(value).__name__} {value!r:.60}")
        return int(value)

    def _parse(self, raw: Any) -> int:
        return 0 if raw is None else int(raw)

    def _text(self, value: Any) -> str:
        return str(value)

    @operation
    def incr(self, amount: int = 1) -> Op:
        """Add ``amount`` and return the new value (INCRBY, exact for 64-bit ints)."""
        n = self._conv(amount)
        reply = yield self._write(("INCRBY", self.key, n))
        return int(reply[0] if self.ttl else reply)

    @operation
    def decr(self, amount: int = 1) -> Op:
        """Subtract ``amount`` and return the new value (INCRBY with -amount)."""
        return (yield from self.incr.plan(self, -self._conv(amount)))

    def __index__(self) -> int:
        return self.get()

    __hash__ = None  # type: ignore[assignment]


class RedisFloat(_RedisNumber):
    """A ``float``: ``RedisFloat(key=None, initial=None, ...)``; ``incr`` and the in-place operators are one script each."""

    _kind = "float"

    def _conv(self, value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise InvalidValueError(f"{self.label} holds a float; got {type(value).__name__} {value!r:.60}")
        value = float(value)
        if not math.isfinite(value):
            raise InvalidValueError(f"{self.label} holds a finite float; got {value!r}")
        return value

    def _parse(self, raw: Any) -> float:
        return 0.0 if raw is None else float(raw)

    def _text(self, value: Any) -> str:
        return repr(float(value))

    @operation
    def incr(self, amount: float = 1.0) -> Op:
        """Add ``amount`` and return the new value (number_op.lua: the same double arithmetic as Python)."""
        return (yield from self._op.plan(self, "add", amount))

    @operation
    def decr(self, amount: float = 1.0) -> Op:
        return (yield from self._op.plan(self, "sub", amount))

    def __isub__(self, other: Any) -> Any:
        self._op("sub", other)
        return self

    def __itruediv__(self, other: Any) -> Any:
        self._op("truediv", other)
        return self

    __hash__ = None  # type: ignore[assignment]


__all__ = ["RedisFloat", "RedisInt"]
