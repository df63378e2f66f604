"""Per-model decoders of the hot path: stored bytes -> python value, one plain function per field.

``field.fromStorage`` is the reference: it handles null, then dispatches on the field's kind.
For the common exact types (IRField of str / int / bool / bytes, IRClassicField,
IRFixedPointField) that dispatch is done once here, so decoding a fetched hash costs one
small function call per field. Every other field type decodes through its own
``fromStorage``. The default encoding is captured when the table is built; ``decoderTable``
builds a new table when ``setDefaultIREncoding`` changed it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Dict, Tuple

from . import compat_str
from .fields.base import IRClassicField, IRField, _toBool
from .fields.null import IR_NULL_BYTES, irNull
from .fields.numeric import IRFixedPointField

if TYPE_CHECKING:  # pragma: no cover
    from .schema import ModelSchema

Decoder = Callable[[bytes], Any]
DecoderTable = Dict[bytes, Tuple[str, Decoder]]


def _decoder(field: IRField, encoding: str) -> Decoder:
    cls = type(field)
    null = IR_NULL_BYTES
    if cls is IRFixedPointField:

        def fixed(raw: bytes) -> Any:
            return irNull if raw == null else float(raw)

        return fixed
    if not (cls is IRField or (isinstance(field, IRClassicField) and cls.fromStorage is IRClassicField.fromStorage)):
        return field.fromStorage
    kind = getattr(field, "_kind", None)
    if kind == "str":

        def text(raw: bytes) -> Any:
            return irNull if raw == null else raw.decode(encoding)

        return text
    if kind == "int":

        def integer(raw: bytes) -> Any:
            return irNull if raw == null else int(raw)

        return integer
    if kind == "bytes":

        def binary(raw: bytes) -> Any:
            return irNull if raw == null else raw

        return binary
    if kind == "bool":
        name = field.name

        def boolean(raw: bytes) -> Any:
            if raw == b"1":
                return True
            if raw == b"0":
                return False
            return irNull if raw == null else _toBool(name, raw)

        return boolean
    return field.fromStorage


def decoderTable(schema: "ModelSchema") -> DecoderTable:
    """``{stored field name: (attribute name, decoder)}`` for the model, for the current default encoding."""
    encoding = compat_str.getDefaultIREncoding()
    cached = schema.__dict__.get("_decoderTable")
    if cached is not None and cached[0] == encoding:
        return cached[1]
    table: DecoderTable = {f.name.encode("utf-8"): (f.name, _decoder(f, encoding)) for f in schema.fields}
    schema.__dict__["_decoderTable"] = (encoding, table)
    return table


__all__ = ["decoderTable"]
