"""Text/bytes helpers and the default encoding of string fields.

``getDefaultIREncoding()`` is the system default encoding unless that is ascii, then utf-8.
"""

from __future__ import annotations

import sys
from typing import Any, Optional  # noqa: F401


def _systemDefault() -> str:
    enc = sys.getdefaultencoding() or "utf-8"
    if enc.lower().replace("-", "").replace("_", "") in ("ascii", "usascii", "ansix3.41968"):
        return "utf-8"
    return enc


# Read on every string conversion: kept resolved, not recomputed.
_defaultEncoding: str = _systemDefault()


def getDefaultIREncoding() -> str:
    """The encoding string fields use when they name none."""
    return _defaultEncoding


def setDefaultIREncoding(encoding: str) -> None:
    """Change the default encoding of string fields (affects values stored from now on)."""
    import codecs

    global _defaultEncoding
    try:
        codecs.lookup(encoding)
    except (LookupError, TypeError) as exc:
        from .exceptions import InvalidValueError

        raise InvalidValueError(f"Unknown encoding {encoding!r} given to setDefaultIREncoding") from exc
    _defaultEncoding = encoding


def to_unicode(value: Any, encoding: Optional[str] = None) -> str:
    """Return ``value`` as str: bytes are decoded with ``encoding`` (default: the IR default)."""
    if isinstance(value, str):
        return value
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).decode(encoding or getDefaultIREncoding())
    return str(value)


def tobytes(value: Any, encoding: Optional[str] = None) -> bytes:
    """Return ``value`` as bytes: str is encoded with ``encoding`` (default: the IR default)."""
    if isinstance(value, bytes):
        return value
    if isinstance(value, (bytearray, memoryview)):
        return bytes(value)
    if not isinstance(value, str):
        value = str(value)
    return value.encode(encoding or getDefaultIREncoding())


def isStringy(value: Any) -> bool:
    """True for str and bytes."""
    return isinstance(value, (str, bytes))


# Names kept from IndexedRedis 6.x, which also ran on Python 2 (where text and encoded strings differed).
encoded_str_type = str  # the type of text values
defaultIREncoding = _defaultEncoding  # the default encoding when IndexedRedis was imported; see getDefaultIREncoding()


def isBaseStringy(value: Any) -> bool:
    """True for str (text)."""
    return isinstance(value, str)


def isEncodedString(value: Any) -> bool:
    """True for str (text)."""
    return isinstance(value, str)


def isEmptyString(value: Any) -> bool:
    """True for ``''`` and ``b''``."""
    return isinstance(value, (str, bytes)) and len(value) == 0


__all__ = [
    "defaultIREncoding",
    "encoded_str_type",
    "getDefaultIREncoding",
    "isBaseStringy",
    "isEmptyString",
    "isEncodedString",
    "isStringy",
    "setDefaultIREncoding",
    "to_unicode",
    "tobytes",
]
