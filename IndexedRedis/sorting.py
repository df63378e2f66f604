"""Sorted indexes (``SORTED_FIELDS``): what a field's values become in a Redis sorted set.

One sorted set per sorted field and generation, ``_ir_|KEY:sort:FIELD`` (keys.py):

* numeric fields (``int``, ``float``, ``bool``, ``IRFixedPointField``, ``datetime``, ``date``):
  member ``PK20`` (the pk as 20 zero-padded digits, so ties sort by pk), score the value:
  an int as itself, a bool as 0/1, a fixed-point value as an integer of its digits
  (``12.50`` with 2 decimals scores 1250), a datetime as microseconds since 1970-01-01 UTC (a
  naive datetime counts as UTC), a date as days since 1970-01-01, a float as itself. Scores are
  doubles, exact up to 2**53 in magnitude: a value whose score would pass that (an int beyond
  9,007,199,254,740,992, a datetime outside about 1685-2255) is refused on save with
  InvalidValueError. An unset value scores ``-inf`` (first in ascending order);
* text fields: score 0, member ``\\x01`` + stored bytes + ``\\x00`` + PK20, ordered byte by byte
  (ZRANGEBYLEX), which also answers ``startswith``; an unset value is ``\\x00`` + PK20 (first).

The write scripts compute the same from the stored bytes (lib.lua: sortScore, sortMember), so
saves, deletes and resets maintain the sets atomically with the data; the functions here are
the same rules in Python, for filter bounds and for reindex, and a test checks both agree.
"""

from __future__ import annotations

import datetime
import decimal
from typing import Any, Optional, Tuple

from .exceptions import InvalidModelException, InvalidValueError
from .fields.null import IR_NULL_BYTES

EXACT = 2**53
_EPOCH_DAYS = datetime.date(1970, 1, 1).toordinal()


def kindOf(field: Any) -> Optional[str]:
    """The script code of a field's sorted index (``'i'``, ``'f'``, ``'b'``, ``'xN'``, ``'t'``,
    ``'d'``, ``'l'``), or None when the field cannot have one."""
    from .fields.base import IRClassicField, IRField
    from .fields.numeric import IRFixedPointField
    from .fields.text import IRUnicodeField

    if getattr(field, "isForeignLink", False):
        return None
    if isinstance(field, IRFixedPointField):
        return "x%d" % field.decimalPlaces
    if type(field) is IRUnicodeField:
        return "l"
    if isinstance(field, IRClassicField) or type(field) is IRField:
        kind = getattr(field, "_kind", None)
        return {"int": "i", "float": "f", "bool": "b", "datetime": "t", "date": "d", "str": "l"}.get(kind or "")
    return None


def checkSortable(modelName: str, field: Any) -> None:
    if kindOf(field) is None:
        raise InvalidModelException(
            f"Model {modelName}: field {field.name!r} ({type(field).__name__}) cannot be in SORTED_FIELDS; sorted "
            "indexes take numbers (int, float, bool, IRFixedPointField), datetimes, dates and text (str, IRClassicField, "
            "IRUnicodeField)"
        )


def pk20(pk: Any) -> bytes:
    return b"%020d" % int(pk)


def isNull(stored: Optional[bytes]) -> bool:
    return stored is None or stored == IR_NULL_BYTES


def score(kind: str, stored: Optional[bytes]) -> Any:
    """The score of a stored value in a numeric sorted set: an int (exact), a float, or '-inf'."""
    if isNull(stored) or stored == b"":
        return "-inf"
    text = stored.decode("ascii")  # type: ignore[union-attr]
    c = kind[0]
    if c == "i":
        return int(text)
    if c == "f":
        return float(text)
    if c == "b":
        return 1 if text.strip().lower() in ("1", "true", "t", "yes", "y", "on") else 0
    if c == "x":
        places = int(kind[1:])
        return int(decimal.Decimal(text).scaleb(places).to_integral_value(rounding=decimal.ROUND_HALF_EVEN))
    if c == "d":
        return datetime.date.fromisoformat(text[:10]).toordinal() - _EPOCH_DAYS
    if c == "t":
        return _micros(text)
    raise ValueError(kind)  # pragma: no cover - 'l' has no score


def _micros(text: str) -> int:
    from .fields.FieldValueTypes import parseDatetime

    value = parseDatetime(text)
    offset = value.utcoffset() or datetime.timedelta(0)
    naive = value.replace(tzinfo=None) - offset
    delta = naive - datetime.datetime(1970, 1, 1)
    return (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds


def member(kind: str, pk: Any, stored: Optional[bytes]) -> bytes:
    """The member of an object in a sorted set."""
    if kind != "l":
        return pk20(pk)
    if isNull(stored):
        return b"\x00" + pk20(pk)
    return b"\x01" + stored + b"\x00" + pk20(pk)  # type: ignore[operator]


def checkExact(modelName: str, field: Any, kind: str, stored: Optional[bytes]) -> None:
    """Refuse a value whose score would not be exact (see the module doc)."""
    if kind == "l" or kind[0] == "f":
        return
    s = score(kind, stored)
    if s != "-inf" and abs(s) > EXACT:
        raise InvalidValueError(
            f"Model {modelName}: field {field.name!r} is in SORTED_FIELDS, whose scores are exact up to 2**53; "
            f"{stored!r} is beyond that. Keep the field out of SORTED_FIELDS, or store a smaller value"
        )


def scoreBound(kind: str, stored: bytes, inclusive: bool) -> bytes:
    """A ZRANGEBYSCORE bound for a stored value."""
    s = score(kind, stored)
    text = s if isinstance(s, str) else repr(s) if isinstance(s, float) else "%d" % s
    return (b"" if inclusive else b"(") + text.encode("ascii")


def lexBound(stored: bytes, inclusive: bool, upper: bool) -> bytes:
    """A ZRANGEBYLEX bound for a stored text value: members are \\x01 + value + \\x00 + pk."""
    if upper:
        # every member of the value itself is value + \x00 + pk: <= value means < value + \x01
        return (b"(" + b"\x01" + stored + b"\x01") if inclusive else (b"(" + b"\x01" + stored)
    return (b"[" + b"\x01" + stored) if inclusive else (b"(" + b"\x01" + stored + b"\x01")


def prefixBounds(stored: bytes) -> Tuple[bytes, bytes]:
    """ZRANGEBYLEX bounds of the values starting with ``stored``."""
    return b"[\x01" + stored, b"(\x01" + stored + b"\xff\xff\xff\xff"


__all__ = ["EXACT", "checkExact", "checkSortable", "kindOf", "lexBound", "member", "pk20", "prefixBounds", "score", "scoreBound"]
