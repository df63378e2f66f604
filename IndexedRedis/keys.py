"""The only place that builds Redis key names.

The layout is that of IndexedRedis 6.0.3, so data written by either version is read by
the other without migration (``tests/test_keys.py`` pins it byte for byte)::

    _ir_|KEY:data:PK            hash: field name -> stored value
    _ir_|KEY:idx:FIELD:VALUE    set of pks whose FIELD stores VALUE (md5 hex of it with hashIndex)
    _ir_|KEY:keys               set of every pk of the model
    _ir_|KEY:next               integer: the last pk handed out (INCR)

Key names are bytes, since an index key embeds a stored value, which may be binary.
"""

from __future__ import annotations

from typing import Union

PREFIX = b"_ir_|"

Value = Union[bytes, str]


def _b(value: Value) -> bytes:
    return value if isinstance(value, bytes) else value.encode("utf-8")


def globEscape(value: bytes) -> bytes:
    """Escape glob characters so a SCAN MATCH pattern matches ``value`` literally."""
    out = bytearray()
    for ch in value:
        if ch in b"*?[]\\":
            out += b"\\"
        out.append(ch)
    return bytes(out)


class KeyLayout:
    """Key names of one model (one ``KEY_NAME``)."""

    __slots__ = ("keyName", "base", "dataPrefix", "idxPrefix", "keysKey", "nextKey")

    def __init__(self, keyName: Value) -> None:
        self.keyName = _b(keyName)
        self.base = PREFIX + self.keyName + b":"
        self.dataPrefix = self.base + b"data:"
        self.idxPrefix = self.base + b"idx:"
        self.keysKey = self.base + b"keys"
        self.nextKey = self.base + b"next"

    def data(self, pk: Union[int, str, bytes]) -> bytes:
        """``_ir_|KEY:data:PK``: the hash holding one object's fields."""
        if isinstance(pk, int):
            return self.dataPrefix + str(pk).encode()
        return self.dataPrefix + _b(pk)

    def idxFieldPrefix(self, field: Value) -> bytes:
        """``_ir_|KEY:idx:FIELD:``: every index key of one field starts with this."""
        return self.idxPrefix + _b(field) + b":"

    def idx(self, field: Value, indexValue: Value) -> bytes:
        """``_ir_|KEY:idx:FIELD:VALUE``: the set of pks whose field stores that value."""
        return self.idxPrefix + _b(field) + b":" + _b(indexValue)

    # Patterns for SCAN (never KEYS).
    def allPattern(self) -> bytes:
        return globEscape(self.base) + b"*"

    def idxPattern(self) -> bytes:
        return globEscape(self.idxPrefix) + b"*"

    def idxFieldPattern(self, field: Value) -> bytes:
        return globEscape(self.idxFieldPrefix(field)) + b"*"

    def __repr__(self) -> str:
        return f"KeyLayout({self.keyName!r})"


__all__ = ["KeyLayout", "PREFIX", "globEscape"]
