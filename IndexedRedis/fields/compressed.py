"""IRCompressedField: bytes compressed with zlib (default), bz2 or lzma in storage."""

from __future__ import annotations

import bz2
import lzma
import zlib
from typing import Any, Optional

from ..exceptions import InvalidValueError
from .base import IRField, asBytes
from .null import irNull

COMPRESS_MODE_ZLIB = "zlib"
COMPRESS_MODE_BZ2 = "bz2"
COMPRESS_MODE_LZMA = "lzma"

# 'gzip' (the spec's example) and 'gz' name zlib mode: the data is in zlib's format.
_ALIASES = {"zlib": "zlib", "gzip": "zlib", "gz": "zlib", "bz2": "bz2", "bzip2": "bz2", "lzma": "lzma", "xz": "lzma"}
_MODULES = {"zlib": zlib, "bz2": bz2, "lzma": lzma}


class IRCompressedField(IRField[Any]):
    """Compressed in Redis; on the object, the value as assigned (str or bytes), and bytes once fetched.

    ``compressMode``: ``'zlib'`` (default; ``'gzip'``/``'gz'`` are accepted for it), ``'bz2'`` or
    ``'lzma'``. A str value is encoded with the default encoding, then compressed (zlib and bz2
    at level 9, lzma with its default settings); an empty value is stored as the empty string.
    Indexed by the md5 of the stored bytes (``hashIndex`` is always True).
    Use ``IRFieldChain(name, [IRUnicodeField(encoding=...), IRCompressedField()])`` to get str back.
    """

    KEEPS_ASSIGNED = True
    STORED_IS_TEXT = False

    def __init__(
        self,
        name: str = "",
        compressMode: Optional[str] = COMPRESS_MODE_ZLIB,
        defaultValue: Any = irNull,
        hashIndex: bool = True,
    ) -> None:
        self.compressMode = compressMode
        super().__init__(name, valueType=bytes, defaultValue=defaultValue, hashIndex=True)
        self._settingChanged("compressMode")

    def _settingChanged(self, name: str) -> None:
        super()._settingChanged(name)
        if name == "compressMode":
            mode = self.compressMode
            if mode is None:  # no mode given: the default
                self.__dict__["compressMode"] = mode = COMPRESS_MODE_ZLIB
            self._mode = _ALIASES.get(str(mode).lower()) if isinstance(mode, str) else None

    def _definitionProblem(self) -> Optional[str]:
        if self._mode is None:
            return f"unknown compressMode {self.compressMode!r}; use 'zlib' (COMPRESS_MODE_ZLIB), 'bz2' or 'lzma'"
        return None

    def getCompressMod(self) -> Any:
        """The module that compresses this field (zlib, bz2 or lzma)."""
        return _MODULES[self._mode or "zlib"]

    def _typeLabel(self) -> str:
        return f"IRCompressedField({self._mode or self.compressMode})"

    def _fromInput(self, value: Any) -> Any:
        if isinstance(value, (str, bytes)):
            return value
        return asBytes(self, value)

    def _toStorage(self, value: Any) -> bytes:
        data = asBytes(self, value)
        if not data:
            return b""
        mode = self._mode
        if mode == "zlib":
            return zlib.compress(data, 9)
        if mode == "bz2":
            return bz2.compress(data, 9)
        return lzma.compress(data)

    def _fromStorage(self, raw: bytes) -> Any:
        if not raw:
            return b""
        try:
            return self.getCompressMod().decompress(raw)
        except (zlib.error, OSError, lzma.LZMAError, ValueError, EOFError) as exc:
            raise InvalidValueError(f"field {self.name!r}: stored value is not {self._mode} data: {exc}") from exc


__all__ = ["COMPRESS_MODE_BZ2", "COMPRESS_MODE_LZMA", "COMPRESS_MODE_ZLIB", "IRCompressedField"]
