"""Field types. ``from IndexedRedis.fields import NAME`` works for every one of them."""

from __future__ import annotations

from . import FieldValueTypes
from .FieldValueTypes import IRDatetimeValue, IRJsonValue
from .base import IRClassicField, IRField
from .binary import IRBase64Field, IRRawField
from .chain import IRFieldChain
from .compressed import COMPRESS_MODE_BZ2, COMPRESS_MODE_LZMA, COMPRESS_MODE_ZLIB, IRCompressedField
from .foreign import IRForeignLinkField, IRForeignLinkFieldBase, IRForeignMultiLinkField
from .null import IR_NULL_BYTES, IR_NULL_STR, IR_NULL_STRINGS, IR_NULL_UNICODE, IRNullType, irNull
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
    "IRDatetimeValue",
    "IRField",
    "IRFieldChain",
    "IRFixedPointField",
    "IRForeignLinkField",
    "IRForeignLinkFieldBase",
    "IRForeignMultiLinkField",
    "IRJsonValue",
    "IRNullType",
    "IR_NULL_BYTES",
    "IR_NULL_STR",
    "IR_NULL_STRINGS",
    "IR_NULL_UNICODE",
    "IRPickleField",
    "IRRawField",
    "IRUnicodeField",
    "irNull",
]
