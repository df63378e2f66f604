"""Per-model codec tables of the hot path: one plain function per field for each direction.

``field.fromStorage`` / ``field.toStorage`` are the reference: they handle null, then dispatch
on the field's kind. For the common exact types (IRField of str / int / bool / bytes,
IRClassicField, IRFixedPointField) that dispatch is done once here, so converting a whole
object costs one small function call per field; any value off the fast path (irNull, a
subclass, a value needing conversion) goes through the field's own method, as does every
other field type. The default encoding and the field settings are captured when a table is
built; the tables are built again when ``setDefaultIREncoding`` changed the one or a field
setting (``Model.FIELDS['price'].decimalPlaces = 5``) changed the other.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Tuple

from . import compat_str
from .fields.base import IRClassicField, IRField, fieldSettingsVersion
from .fields.null import IR_NULL_BYTES, irNull
from .fields.numeric import IRFixedPointField

if TYPE_CHECKING:  # pragma: no cover
    from .schema import ModelSchema

_jsonEncode = json.JSONEncoder(ensure_ascii=False).encode  # the settings of IRField's JSON, built once
_jsonLoads = json.loads

Decoder = Callable[[bytes], Any]
DecoderTable = Dict[bytes, Tuple[str, Decoder]]
Encoder = Callable[[Any], bytes]
EncoderTable = List[Tuple[str, Encoder, IRField, bool]]  # name, encoder, field, holds immutable values


def _decoder(field: IRField, encoding: str) -> Decoder:
    # Each fast decoder handles the values it was made for and hands anything else (irNull, a
    # value it cannot read) to the field's own fromStorage, which knows the rules and the errors.
    slow = field.fromStorage
    null = IR_NULL_BYTES
    if type(field) is IRFixedPointField:

        def fixed(raw: bytes) -> Any:
            try:
                return float(raw) if raw != null else irNull
            except ValueError:
                return slow(raw)

        return fixed
    if not _isPlain(field):
        return slow
    kind = getattr(field, "_kind", None)
    if kind == "str" and not field._ir_escapeNull:

        def text(raw: bytes) -> Any:
            try:
                return raw.decode(encoding) if raw != null else irNull
            except UnicodeError:
                return slow(raw)

        return text
    if kind == "int":

        def integer(raw: bytes) -> Any:
            try:
                return int(raw) if raw != null else irNull
            except ValueError:
                return slow(raw)

        return integer
    if kind == "bool":

        def boolean(raw: bytes) -> Any:
            if raw == b"True":
                return True
            if raw == b"False":
                return False
            return slow(raw)

        return boolean
    if kind == "json" and field.valueType in (list, dict):
        wanted = field.valueType

        def jsonValue(raw: bytes) -> Any:
            if raw != null:
                try:
                    value = _jsonLoads(raw.decode("utf-8"))
                except ValueError:  # UnicodeDecodeError and JSONDecodeError both are
                    return slow(raw)
                if value.__class__ is wanted:
                    return value
            return slow(raw)

        return jsonValue
    return slow


def _decoderFor(field: IRField, encoding: str, model: Any) -> Decoder:
    # A link field's holders keep the model of the object they are on (a 'self' link resolves there).
    linkDecoder = getattr(field, "decoderFor", None)
    return linkDecoder(model) if linkDecoder is not None else _decoder(field, encoding)


def _isPlain(field: IRField) -> bool:
    """IRField itself, or IRClassicField (and plain-string fields) with the conversions of IRField."""
    cls = type(field)
    return cls is IRField or (
        isinstance(field, IRClassicField)
        and cls.toStorage is IRField.toStorage
        and cls._toStorage is IRField._toStorage
        and cls.fromStorage is IRClassicField.fromStorage
    )


def _encoder(field: IRField, encoding: str) -> Encoder:
    slow = field.toStorage
    if type(field) is IRFixedPointField:
        places = field.decimalPlaces
        if not isinstance(places, int):
            return slow
        zero = slow(0.0)

        def fixed(value: Any) -> bytes:
            # The exact path rounds the shortest repr of a float. When that repr is plain
            # digits with at most `places` decimals, the stored text is the repr padded with
            # zeros; anything else (exponents, more decimals, inf/nan, other types) takes it.
            if value.__class__ is float:
                if value == 0:
                    return zero  # -0.0 is stored as 0
                text = repr(value)
                head, dot, tail = text.partition(".")
                if dot and len(tail) <= places and "e" not in tail:
                    return (text + "0" * (places - len(tail))).encode("ascii")
                if dot and places == 0 and tail == "0":
                    return head.encode("ascii")
            return slow(value)

        return fixed
    if not _isPlain(field):
        return slow
    kind = getattr(field, "_kind", None)
    if field._ir_escapeNull and kind in ("str", "bytes"):
        return slow  # the field's own toStorage escapes a value equal to the null marker
    if kind == "str":

        def text(value: Any) -> bytes:
            if value.__class__ is str:
                try:
                    return value.encode(encoding)
                except UnicodeError:
                    return slow(value)  # raises the error that names the field
            return slow(value)

        return text
    if kind == "int":

        def integer(value: Any) -> bytes:
            if value.__class__ is int:
                return b"%d" % value
            return slow(value)

        return integer
    if kind == "bool":

        def boolean(value: Any) -> bytes:
            if value is True:
                return b"True"
            if value is False:
                return b"False"
            return slow(value)

        return boolean
    if kind == "json" and field.valueType in (list, dict):

        def jsonText(value: Any) -> bytes:
            if value.__class__ is list or value.__class__ is dict:
                try:
                    return _jsonEncode(value).encode("utf-8")
                except (TypeError, ValueError):
                    return slow(value)  # raises the error that names the field
            return slow(value)

        return jsonText
    if kind == "bytes":

        def binary(value: Any) -> bytes:
            if value.__class__ is bytes:
                return value
            return slow(value)

        return binary
    return slow


_IMMUTABLE_KINDS = frozenset(("str", "int", "float", "bool", "bytes", "datetime", "date"))


def holdsImmutableValues(field: IRField) -> bool:
    """True when the field's values can only change by assignment (str, numbers, bytes, dates).

    Only field types known here qualify (subclasses and other types may hold mutable values).
    """
    from .fields.binary import IRBase64Field
    from .fields.compressed import IRCompressedField
    from .fields.text import IRBytesField, IRUnicodeField

    cls = type(field)
    if cls in (IRFixedPointField, IRUnicodeField, IRBytesField, IRBase64Field, IRCompressedField):
        return True
    return _isPlain(field) and getattr(field, "_kind", None) in _IMMUTABLE_KINDS


def encoderTable(schema: "ModelSchema") -> EncoderTable:
    """``[(attribute name, encoder, field, holds immutable values)]`` for the model, in field order."""
    version = (compat_str.getDefaultIREncoding(), fieldSettingsVersion())
    cached = schema.__dict__.get("_encoderTable")
    if cached is not None and cached[0] == version:
        return cached[1]
    encoding = version[0]
    table: EncoderTable = [(f.name, _encoder(f, encoding), f, holdsImmutableValues(f)) for f in schema.fields]
    schema.__dict__["_encoderTable"] = (version, table)
    return table


def decoderTable(schema: "ModelSchema") -> DecoderTable:
    """``{stored field name: (attribute name, decoder)}`` for the model, for the current default encoding."""
    version = (compat_str.getDefaultIREncoding(), fieldSettingsVersion())
    cached = schema.__dict__.get("_decoderTable")
    if cached is not None and cached[0] == version:
        return cached[1]
    encoding = version[0]
    table: DecoderTable = {f.name.encode("utf-8"): (f.name, _decoderFor(f, encoding, schema.model)) for f in schema.fields}
    schema.__dict__["_decoderTable"] = (version, table)
    return table


def decoderList(schema: "ModelSchema") -> List[Tuple[str, Decoder, Any]]:
    """``[(attribute name, decoder, absent value maker)]`` in field order, for rows read with HMGET
    of every field (``schema.fieldNameBytes``); the third is the field's ``fromStorage``, called
    with None for a field the hash does not hold."""
    version = (compat_str.getDefaultIREncoding(), fieldSettingsVersion())
    cached = schema.__dict__.get("_decoderList")
    if cached is not None and cached[0] == version:
        return cached[1]  # type: ignore[no-any-return]
    table = decoderTable(schema)
    out = [(table[f.name.encode("utf-8")][0], table[f.name.encode("utf-8")][1], f.fromStorage) for f in schema.fields]
    schema.__dict__["_decoderList"] = (version, out)
    return out


__all__ = ["decoderList", "decoderTable", "encoderTable"]
