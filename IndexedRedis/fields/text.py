"""Text fields with a chosen encoding: IRUnicodeField (str) and IRBytesField (bytes)."""

from __future__ import annotations

import codecs
from typing import Any, Optional, TypeVar

from ..compat_str import getDefaultIREncoding
from ..exceptions import InvalidValueError
from .base import IRField, _short, asBytes
from .null import irNull

_T = TypeVar("_T")


def _encodingProblem(encoding: Optional[str]) -> Optional[str]:
    if encoding is None:
        return None
    try:
        codecs.lookup(encoding)
    except (LookupError, TypeError):
        return f"unknown encoding {encoding!r}; use a codec name such as 'utf-8', 'utf-16' or 'latin-1'"
    return None


class EncodedField(IRField[_T]):
    """Base of the field types taking an ``encoding`` (None: the IndexedRedis default encoding)."""

    VALUE_TYPE: Any = str

    def __init__(
        self, name: str = "", encoding: Optional[str] = None, defaultValue: Any = irNull, hashIndex: bool = False
    ) -> None:
        self.encoding = encoding
        super().__init__(name, valueType=self.VALUE_TYPE, defaultValue=defaultValue, hashIndex=hashIndex)

    def _definitionProblem(self) -> Optional[str]:
        return _encodingProblem(self.encoding)


class IRUnicodeField(EncodedField[str]):
    """Text stored in ``encoding`` (default: the IndexedRedis default encoding). Values are str.

    Indexed by the md5 of the stored bytes (``hashIndex`` is always True).
    """

    STORED_IS_TEXT = False

    def __init__(
        self, name: str = "", encoding: Optional[str] = None, defaultValue: Any = irNull, hashIndex: bool = True
    ) -> None:
        super().__init__(name, encoding=encoding, defaultValue=defaultValue, hashIndex=True)

    def _typeLabel(self) -> str:
        return f"IRUnicodeField({self.encoding or getDefaultIREncoding()})"

    def _fromInput(self, value: Any) -> Any:
        if isinstance(value, str):
            return str.__str__(value)
        if isinstance(value, (bytes, bytearray)):
            return bytes(value).decode(self.encoding or getDefaultIREncoding())
        if isinstance(value, (int, float)):
            return str(value)
        raise InvalidValueError(f"field {self.name!r} holds text; got {type(value).__name__} {_short(value)}")

    def _toStorage(self, value: Any) -> bytes:
        return self._fromInput(value).encode(self.encoding or getDefaultIREncoding())

    def _fromStorage(self, raw: bytes) -> Any:
        return raw.decode(self.encoding or getDefaultIREncoding())


class IRBytesField(EncodedField[bytes]):
    """Bytes; a str given to it is encoded with ``encoding`` (default: the IndexedRedis default encoding).

    Indexed by the md5 of the stored bytes (``hashIndex`` is always True).
    """

    VALUE_TYPE = bytes
    STORED_IS_TEXT = False

    def __init__(
        self, name: str = "", encoding: Optional[str] = None, defaultValue: Any = irNull, hashIndex: bool = True
    ) -> None:
        super().__init__(name, encoding=encoding, defaultValue=defaultValue, hashIndex=True)

    def _typeLabel(self) -> str:
        return f"IRBytesField({self.encoding or getDefaultIREncoding()})"

    def _fromInput(self, value: Any) -> Any:
        return asBytes(self, value, self.encoding)

    def _toStorage(self, value: Any) -> bytes:
        return self._fromInput(value)

    def _fromStorage(self, raw: bytes) -> Any:
        return bytes(raw)


__all__ = ["IRBytesField", "IRUnicodeField"]
