"""Field types. ``from IndexedRedis.fields import NAME`` works for every one of them."""

from __future__ import annotations

from . import FieldValueTypes
from .base import IRClassicField, IRField
from .binary import IRBase64Field, IRRawField
from .chain import IRFieldChain
from .compressed import COMPRESS_MODE_BZ2, COMPRESS_MODE_LZMA, COMPRESS_MODE_ZLIB, IRCompressedField
from .foreign import IRForeignLinkField, IRForeignMultiLinkField
from .null import IR_NULL_BYTES, IR_NULL_STR, IRNullType, irNull
from .numeric import IRFixedPointField
from .pickled import IRPickleField
from .text import IRBytesField, IRUnicodeField

__all__ = [
    "COMPRESS_MODE_BZ2",
    "COMPRESS_MODE_LZMA",
    "COMPRESS_MODE_ZLIB",
    "FieldValueTypes",
    "IRBase64Field",
    "IRBytesField",
    "IRClassicField",
    "IRCompressedField",
    "IRField",
    "IRFieldChain",
    "IRFixedPointField",
    "IRForeignLinkField",
    "IRForeignMultiLinkField",
    "IRNullType",
    "IR_NULL_BYTES",
    "IR_NULL_STR",
    "IRPickleField",
    "IRRawField",
    "IRUnicodeField",
    "irNull",
]
