"""Binary fields: IRRawField (bytes, untouched) and IRBase64Field (bytes stored as base64)."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from ..exceptions import InvalidValueError
from .base import IRField, asBytes
from .null import irNull
from .text import EncodedField


class IRRawField(IRField):
    """Bytes in, bytes out, no conversion at all. Not indexable."""

    CAN_INDEX = False
    NOT_INDEXABLE_REASON = "raw bytes are stored undecoded; to index binary values use IRBytesField or IRBase64Field"

    def __init__(self, name: str = "", defaultValue: Any = irNull) -> None:
        super().__init__(name, valueType=bytes, defaultValue=defaultValue, hashIndex=False)

    def _fromInput(self, value: Any) -> Any:
        if isinstance(value, bytes):
            return value
        if isinstance(value, (bytearray, memoryview)):
            return bytes(value)
        if isinstance(value, str):
            raise InvalidValueError(
                f"field {self.name!r} (IRRawField) stores bytes untouched; got str {value!r:.60}. "
                "Encode it first, or use IRBytesField(name, encoding='utf-8')"
            )
        raise InvalidValueError(f"field {self.name!r} (IRRawField) holds bytes; got {type(value).__name__} {value!r:.60}")

    def _toStorage(self, value: Any) -> bytes:
        return self._fromInput(value)

    def _fromStorage(self, raw: bytes) -> Any:
        return bytes(raw)


class IRBase64Field(EncodedField):
    """Bytes stored as base64 text (a str value is encoded with ``encoding`` first). Values are bytes."""

    VALUE_TYPE = bytes

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
