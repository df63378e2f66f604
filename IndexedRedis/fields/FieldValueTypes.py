"""Value types for ``IRField(valueType=...)`` that need more than a builtin.

``IRDatetimeValue``: a ``datetime.datetime`` that can also be built from its stored text.
``IRJsonValue``: builds a dict/list from JSON text (use ``valueType=dict`` or ``list``).

Datetimes are stored as ``YYYY-MM-DD HH:MM:SS`` (with ``.ffffff`` when the microseconds are not
zero) and ``+HH:MM`` appended for aware values, so they round-trip to the microsecond and keep
their UTC offset.
"""

from __future__ import annotations

import datetime
import json
from typing import Any, Union

from ..exceptions import InvalidValueError
from .base import _short


def formatDatetime(value: datetime.datetime) -> bytes:
    """The stored form of a datetime (microseconds when not zero; offset when aware)."""
    if not isinstance(value, datetime.datetime):
        raise InvalidValueError(f"expected a datetime, got {type(value).__name__} {_short(value)}")
    return datetime.datetime.isoformat(value, sep=" ").encode("ascii")


def parseDatetime(value: Union[str, bytes]) -> datetime.datetime:
    """Parse the stored form (or any ISO 8601 text Python reads) back to a datetime."""
    if isinstance(value, bytes):
        value = value.decode("ascii")
    text = value.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    try:
        return datetime.datetime.fromisoformat(text)
    except ValueError:
        pass
    for fmt in ("%Y-%m-%d %H:%M:%S.%f%z", "%Y-%m-%d %H:%M:%S%z", "%Y-%m-%d"):
        try:
            return datetime.datetime.strptime(text, fmt)
        except ValueError:
            continue
    raise InvalidValueError(f"{_short(value)} is not a datetime in ISO format (YYYY-MM-DD HH:MM:SS[.ffffff][+HH:MM])")


class IRDatetimeValue(datetime.datetime):
    """A datetime built from a datetime, or from text (``'2015-05-12 12:00:00'``).

    Built from text, the value is whole seconds: a fraction in the text is dropped, as
    IndexedRedis 6.0.3 did. (Fields of ``valueType=datetime`` read their stored text to the
    microsecond; this applies only to ``IRDatetimeValue(text)`` called directly.)
    """

    def __new__(cls, *args: Any, **kwargs: Any) -> "IRDatetimeValue":  # type: ignore[misc]
        if len(args) == 1 and not kwargs:
            arg = args[0]
            if isinstance(arg, (str, bytes)):
                arg = parseDatetime(arg).replace(microsecond=0)
            if isinstance(arg, datetime.datetime):
                return super().__new__(
                    cls,
                    arg.year,
                    arg.month,
                    arg.day,
                    arg.hour,
                    arg.minute,
                    arg.second,
                    arg.microsecond,
                    arg.tzinfo,
                    fold=arg.fold,
                )
        return super().__new__(cls, *args, **kwargs)

    def __str__(self) -> str:
        return formatDatetime(self).decode("ascii")


class IRJsonValue:
    """``IRJsonValue(text)`` returns the dict/list that JSON text describes."""

    def __new__(cls, value: Any = None) -> Any:  # type: ignore[misc]
        if value is None:
            return {}
        if isinstance(value, (str, bytes)):
            return json.loads(value)
        return value


__all__ = ["IRDatetimeValue", "IRJsonValue", "formatDatetime", "parseDatetime"]
