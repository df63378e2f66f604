"""Binary fields: IRRawField (bytes, untouched) and IRBase64Field (bytes stored as base64)."""

from __future__ import annotations

import base64
import binascii
from typing import Any, Optional

from ..compat_str import getDefaultIREncoding
from ..exceptions import InvalidValueError
from .base import IRField, _short, asBytes
from .null import irNull
from .text import EncodedField


class IRRawField(IRField[Any]):
    """A value stored without conversion. Not indexable.

    Assignment keeps the value exactly as given (an int 5 stays 5, irNull stays irNull). It is
    stored as the bytes given, otherwise as ``str(value)`` encoded (irNull and None as ``''``).
    Fetched values are always bytes. The default is ``''``.
    """

    CAN_INDEX = False
    NOT_INDEXABLE_REASON = "raw values are stored undecoded; to index binary values use IRBytesField or IRBase64Field"
    KEEPS_ASSIGNED = True
    STORED_IS_TEXT = False

    def __init__(self, name: str = "", defaultValue: Any = "") -> None:
        super().__init__(name, valueType=bytes, defaultValue=defaultValue, hashIndex=False)

    def getDefaultValue(self) -> Any:
        return self.defaultValue

    def fromInput(self, value: Any) -> Any:
        return value

    def toStorage(self, value: Any) -> bytes:
        if value is None or value is irNull:
            return b""
        if isinstance(value, bytes):
            return value
        if isinstance(value, (bytearray, memoryview)):
            return bytes(value)
        try:
            return str(value).encode(getDefaultIREncoding())
        except (ValueError, TypeError, UnicodeError) as exc:  # an int too long to write out, a failing __str__
            raise InvalidValueError(
                f"field {self.name!r} (IRRawField) cannot store {type(value).__name__} value {_short(value)}: {exc}"
            ) from exc

    def fromStorage(self, raw: Any) -> Any:
        if raw is None:
            return self.getDefaultValue()
        return raw.encode(getDefaultIREncoding()) if isinstance(raw, str) else bytes(raw)

    def forStorageDict(self, value: Any) -> Any:
        return value

    def _fromInput(self, value: Any) -> Any:
        return value

    def _toStorage(self, value: Any) -> bytes:
        return self.toStorage(value)

    def _fromStorage(self, raw: bytes) -> Any:
        return bytes(raw)


class IRBase64Field(EncodedField[bytes]):
    """Bytes stored as base64 text (a str value is encoded with ``encoding`` first). Values are bytes.

    Indexed by the md5 of the stored text (``hashIndex`` is always True).
    """

    VALUE_TYPE = bytes
    STORED_IS_TEXT = False

    def __init__(self, name: str = "", encoding: Optional[str] = None, defaultValue: Any = irNull) -> None:
        super().__init__(name, encoding=encoding, defaultValue=defaultValue, hashIndex=True)

    def _fromInput(self, value: Any) -> Any:
        return asBytes(self, value, self.encoding)

    def _toStorage(self, value: Any) -> bytes:
        return base64.b64encode(self._fromInput(value))

    def _fromStorage(self, raw: bytes) -> Any:
        try:
            return base64.b64decode(raw, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise InvalidValueError(f"field {self.name!r} (IRBase64Field): stored value is not base64: {exc}") from exc


__all__ = ["IRBase64Field", "IRRawField"]
