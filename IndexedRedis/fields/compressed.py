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


class IRCompressedField(IRField):
    """Compressed in Redis, plain bytes on the object (a str value is encoded first).

    ``compressMode``: ``'zlib'`` (default; ``'gzip'``/``'gz'`` are accepted for it), ``'bz2'`` or
    ``'lzma'``. Indexable: equal values compress to equal bytes (fixed settings).
    Use ``IRFieldChain(name, [IRUnicodeField(encoding=...), IRCompressedField()])`` to get str back.
    """

    def __init__(
        self,
        name: str = "",
        compressMode: Optional[str] = COMPRESS_MODE_ZLIB,
        defaultValue: Any = irNull,
        hashIndex: bool = False,
    ) -> None:
        self.compressMode = compressMode
        super().__init__(name, valueType=bytes, defaultValue=defaultValue, hashIndex=hashIndex)
        if compressMode is None:  # no mode given: the default
            compressMode = self.compressMode = COMPRESS_MODE_ZLIB
        self._mode = _ALIASES.get(str(compressMode).lower()) if isinstance(compressMode, str) else None

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
        return asBytes(self, value)

    def _toStorage(self, value: Any) -> bytes:
        data = self._fromInput(value)
        mode = self._mode
        if mode == "zlib":
            return zlib.compress(data, 6)
        if mode == "bz2":
            return bz2.compress(data, 9)
        return lzma.compress(data, format=lzma.FORMAT_XZ, preset=6)

    def _fromStorage(self, raw: bytes) -> Any:
        try:
            return self.getCompressMod().decompress(raw)
        except (zlib.error, OSError, lzma.LZMAError, ValueError, EOFError) as exc:
            raise InvalidValueError(f"field {self.name!r}: stored value is not {self._mode} data: {exc}") from exc


__all__ = ["COMPRESS_MODE_BZ2", "COMPRESS_MODE_LZMA", "COMPRESS_MODE_ZLIB", "IRCompressedField"]
