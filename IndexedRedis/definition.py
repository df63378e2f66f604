"""The definition a model's stored data follows, as JSON (kept in Redis beside the data by
``reset`` and ``migrate``, under ``layout.schemaKey``), and what differs between two of them.
Pure code: ``schema.py`` compares definitions (DefinitionMismatchError), ``migrate.py`` acts on
the differences.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any, Dict, List, Optional

from .fields.base import IRField
from .fields.null import irNull

if TYPE_CHECKING:  # pragma: no cover
    from .schema import ModelSchema

SCHEMA_VERSION = 1


# ---------------------------------------------------------------------------- descriptions
def _qualified(cls: type) -> str:
    return f"{cls.__module__}:{cls.__qualname__}"


def _describeValue(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if value is irNull:
        return {"irNull": True}
    if isinstance(value, type):
        return {"class": _qualified(value)}
    if isinstance(value, IRField):
        return describeField(value)
    if isinstance(value, (list, tuple)):
        return [_describeValue(v) for v in value]
    return {"repr": re.sub(r" at 0x[0-9a-fA-F]+", "", repr(value))}  # stable across processes


def describeField(field: IRField) -> Dict[str, Any]:
    """A field as JSON: its class and its public settings (``defaultValue`` aside: it changes
    what a new object holds, not how stored values read)."""
    settings = {
        k: _describeValue(v)
        for k, v in sorted(field.__dict__.items())
        if not k.startswith("_") and k not in ("defaultValue", "ownerModel")
    }
    return {"name": field.name, "class": _qualified(type(field)), "settings": settings}


def describeModel(schema: "ModelSchema") -> Dict[str, Any]:
    """The definition a model's stored data follows, as JSON-able data (kept in Redis by reset and
    migrate under ``layout.schemaKey``)."""
    model = schema.model
    return {
        "version": SCHEMA_VERSION,
        "fields": [describeField(f) for f in schema.fields],
        "indexed": [f.name for f in schema.indexedFields],
        "sorted": [f.name for f, _ in schema.sortedFields],
        "unique": [n if isinstance(n, str) else [str(x) for x in n] for n in (getattr(model, "UNIQUE_FIELDS", None) or [])],
        "nullEscape": schema.escapeNullMarker,
        "expire": schema.expiry,
    }


def descriptionBytes(schema: "ModelSchema") -> bytes:
    return json.dumps(describeModel(schema), sort_keys=True, separators=(",", ":")).encode("utf-8")


def _format(desc: Dict[str, Any]) -> Dict[str, Any]:
    """How a field's stored values read: its description without ``hashIndex`` (which only
    names its index keys)."""
    settings = {k: v for k, v in desc["settings"].items() if k != "hashIndex"}
    return {"class": desc["class"], "settings": settings}


def changesBetween(old: Optional[Dict[str, Any]], new: Dict[str, Any]) -> List[str]:
    """What differs between two descriptions, in words (empty: nothing to do)."""
    if old is None:
        return ["no stored definition (data written by 6.0.3 or by saves only): every object is rebuilt"]
    out: List[str] = []
    oldFields = {d["name"]: d for d in old.get("fields", [])}
    newFields = {d["name"]: d for d in new["fields"]}
    for name in newFields:
        if name not in oldFields:
            out.append(f"field {name!r} added")
    for name in oldFields:
        if name not in newFields:
            out.append(f"field {name!r} dropped")
    for name, d in newFields.items():
        o = oldFields.get(name)
        if o is None:
            continue
        if _format(o) != _format(d):
            out.append(f"field {name!r} changed type or settings")
        if bool(o["settings"].get("hashIndex")) != bool(d["settings"].get("hashIndex")):
            out.append(f"field {name!r}: hashIndex {'on' if d['settings'].get('hashIndex') else 'off'}")
    for key, label in (("indexed", "INDEXED_FIELDS"), ("sorted", "SORTED_FIELDS"), ("unique", "UNIQUE_FIELDS")):
        before, after = old.get(key, []), new.get(key, [])
        for name in after:
            if name not in before:
                out.append(f"{label}: {name!r} added")
        for name in before:
            if name not in after:
                out.append(f"{label}: {name!r} removed")
    if bool(old.get("nullEscape")) != bool(new.get("nullEscape")):
        out.append("NULL_MARKER_ESCAPE changed")
    if bool(old.get("expire")) != bool(new.get("expire")):
        out.append(f"EXPIRE turned {'on' if new.get('expire') else 'off'}")
    return out


__all__ = ["SCHEMA_VERSION", "changesBetween", "describeField", "describeModel", "descriptionBytes"]
