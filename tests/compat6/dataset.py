"""The cross-version dataset: one model with every field type, and the objects written to it.

This module imports neither IndexedRedis 7 nor 6.0.3: each side passes its own package to
``defineModels`` and gets the same models built with that package's field classes. Values
cross the process boundary as tagged JSON (``encodeValue`` / ``decodeValue``).
"""

from __future__ import annotations

import base64
import datetime
import json
from typing import Any, Dict, List

# Key names start with this; the test deletes only keys under it.
KEY_PREFIX = "xver6"
TARGET_KEY = KEY_PREFIX + "Target"
ITEM_KEY = KEY_PREFIX + "Item"

# Fields 6.0.3 can index (it refuses float, list, dict, valueType=None, pickle and raw). No
# valueType=datetime.date field: 6.0.3 can neither store nor read a date value.
INDEXED = [
    "s", "i", "b", "dt", "classic", "fixed", "b64", "byt", "uni", "zl", "bz", "xz",
    "chainUZ", "chainBF", "hs", "link", "multi",
]  # fmt: skip


def defineModels(ir: Any) -> Dict[str, Any]:
    """``{"Target": cls, "Item": cls}`` built from the package ``ir`` (``import IndexedRedis``)."""
    F = ir.fields

    class Target(ir.IndexedRedisModel):
        FIELDS = [F.IRField("name")]
        INDEXED_FIELDS = ["name"]
        KEY_NAME = TARGET_KEY

    class Item(ir.IndexedRedisModel):
        FIELDS = [
            F.IRField("s"),
            F.IRField("i", valueType=int),
            F.IRField("b", valueType=bool),
            F.IRField("dt", valueType=datetime.datetime),
            F.IRField("lst", valueType=list),
            F.IRField("dct", valueType=dict),
            F.IRField("flt", valueType=float),
            F.IRField("none", valueType=None),
            F.IRClassicField("classic"),
            F.IRFixedPointField("fixed", decimalPlaces=2),
            F.IRBase64Field("b64"),
            F.IRBytesField("byt"),
            F.IRUnicodeField("uni", encoding="utf-16"),
            F.IRCompressedField("zl", compressMode="zlib"),
            F.IRCompressedField("bz", compressMode="bz2"),
            F.IRCompressedField("xz", compressMode="lzma"),
            F.IRPickleField("pick"),
            F.IRRawField("raw"),
            F.IRFieldChain("chainUZ", [F.IRUnicodeField(encoding="utf-8"), F.IRCompressedField()]),
            F.IRFieldChain("chainBF", [F.IRBase64Field(), F.IRField()]),
            F.IRField("hs", hashIndex=True),
            F.IRForeignLinkField("link", Target),
            F.IRForeignMultiLinkField("multi", Target),
        ]
        INDEXED_FIELDS = list(INDEXED)
        KEY_NAME = ITEM_KEY

    return {"Target": Target, "Item": Item}


TARGETS = ["t-one", "t-two", "t-three"]

# Item values by object label. Links name targets by their index in TARGETS. A field left out
# is never assigned (its default / irNull).
ITEMS: Dict[str, Dict[str, Any]] = {
    "full": {
        "s": "héllo wörld",
        "i": 42,
        "b": True,
        "dt": datetime.datetime(2015, 5, 12, 12, 0, 0, 203511),
        "lst": [1, "two", 3.5],
        "dct": {"a": 1, "b": [True, None]},
        "flt": 2.5,
        "none": b"none\x00\xffbytes",
        "classic": "classic text",
        "fixed": 1.5,
        "b64": b"\x00\x01\xfe\xffbase64",
        "byt": b"raw bytes \x00\xff",
        "uni": "ünïcode ☃",
        "zl": "zlib " * 20,
        "bz": "bz2 " * 20,
        "xz": "lzma " * 20,
        "pick": {"k": [1, 2, 3], "t": (1, "x")},
        "raw": b"raw\x00\xff",
        "chainUZ": "chain ünicode " * 5,
        "chainBF": "chain base64 text",
        "hs": "hashed text",
        "link": 0,
        "multi": [1, 2],
    },
    "other": {
        "s": "second",
        "i": 0,
        "b": False,
        "dt": datetime.datetime(2016, 1, 2, 3, 4, 5),
        "lst": ["x"],
        "dct": {"z": "y"},
        "flt": -0.25,
        "none": "text in a None field",
        "classic": "other classic",
        "fixed": 2,
        "b64": b"other b64",
        "byt": b"other bytes",
        "uni": "other unicode",
        "zl": "other zlib",
        "bz": "other bz2",
        "xz": "other lzma",
        "pick": [1, 2],
        "raw": "raw text",
        "chainUZ": "other chain",
        "chainBF": "other chainBF",
        "hs": "other hashed",
        "link": 1,
        "multi": [0],
    },
    "empty": {
        "s": "",
        "lst": [],
        "dct": {},
        "none": b"",
        "classic": "",
        "b64": b"",
        "byt": b"",
        "uni": "",
        "zl": "",
        "bz": "",
        "xz": "",
        "raw": b"",
        "chainUZ": "",
        "chainBF": "",
        "hs": "",
    },
    "unset": {},
}

# Changes made by the update step, by object label.
UPDATES: Dict[str, Dict[str, Any]] = {
    "full": {
        "s": "changed",
        "i": 43,
        "b": False,
        "dt": datetime.datetime(2017, 6, 7, 8, 9, 10),
        "fixed": 3.25,
        "b64": b"changed b64",
        "byt": b"changed bytes",
        "uni": "changed ünicode",
        "zl": "changed zlib",
        "bz": "changed bz2",
        "xz": "changed lzma",
        "raw": b"changed raw",
        "chainUZ": "changed chain",
        "chainBF": "changed chainBF",
        "hs": "changed hashed",
        "link": 2,
        "multi": [0, 2],
    },
    "unset": {"s": "now set", "zl": "", "b": True},
}
# Deleted by the delete step. Its bool is unset: 6.0.3 cannot fetch an object whose bool is set
# (see _V6_CANNOT below), and it deletes by fetching first.
DELETED = "empty"

# What 6.0.3 cannot do, so the 6.0.3 side of the update step leaves it out:
# - change an IRForeignLinkField of a saved object (its save raises ValueError);
# - change an IRBase64Field, or a chain holding one, of a saved object (it indexes the new value
#   by a twice-encoded form and leaves the old index entry behind, so no filter finds it);
# - fetch an object whose IRField(valueType=bool) is set (it raises ValueError for b'True'), so it
#   fetches such an object without that field and cannot change it.
_V6_CANNOT = {"link", "b64", "chainBF"}


def updatesBy6(label: str) -> Dict[str, Any]:
    """The part of ``UPDATES[label]`` that 6.0.3 can make."""
    skip = set(_V6_CANNOT)
    if "b" in ITEMS[label]:
        skip.add("b")
    return {k: v for k, v in UPDATES.get(label, {}).items() if k not in skip}


def finalValues(updates: Dict[str, Dict[str, Any]]) -> Dict[str, Dict[str, Any]]:
    """Each remaining object's values after ``updates`` and the delete step."""
    out = {}
    for label, values in ITEMS.items():
        if label != DELETED:
            out[label] = {**values, **updates.get(label, {})}
    return out


def assignments(values: Dict[str, Any], targets: List[Any]) -> Dict[str, Any]:
    """``values`` with link indexes replaced by the target objects."""
    out = dict(values)
    if "link" in out:
        out["link"] = targets[out["link"]]
    if "multi" in out:
        out["multi"] = [targets[n] for n in out["multi"]]
    return out


# ----------------------------------------------------------------------------- tagged JSON


def encodeValue(value: Any, null: Any) -> Any:
    """A JSON-ready form of ``value`` that keeps its type (``null`` is the package's irNull)."""
    if value is null or type(value).__name__ == "IRNullType":
        return {"t": "irNull"}
    if isinstance(value, bool):
        return {"t": "bool", "v": value}
    if isinstance(value, (bytes, bytearray)):
        return {"t": "bytes", "v": base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, str):
        return {"t": "str", "v": str(value)}
    if isinstance(value, int):
        return {"t": "int", "v": int(value)}
    if isinstance(value, float):
        return {"t": "float", "v": repr(float(value))}
    if isinstance(value, datetime.datetime):
        return {"t": "datetime", "v": value.isoformat()}
    if isinstance(value, datetime.date):
        return {"t": "date", "v": value.isoformat()}
    if isinstance(value, tuple):
        return {"t": "tuple", "v": [encodeValue(v, null) for v in value]}
    if isinstance(value, list):
        return {"t": "list", "v": [encodeValue(v, null) for v in value]}
    if isinstance(value, dict):
        return {"t": "dict", "v": [[encodeValue(k, null), encodeValue(v, null)] for k, v in value.items()]}
    if value is None:
        return {"t": "None"}
    return {"t": "other", "type": type(value).__name__, "v": repr(value)}


def decodeValue(tagged: Any, null: Any) -> Any:
    """The value ``encodeValue`` was given (plain types; ``null`` for irNull)."""
    t, v = tagged["t"], tagged.get("v")
    if t == "irNull":
        return null
    if t == "bytes":
        return base64.b64decode(v)
    if t == "float":
        return float(v)
    if t == "datetime":
        return datetime.datetime.fromisoformat(v)
    if t == "date":
        return datetime.date.fromisoformat(v)
    if t == "tuple":
        return tuple(decodeValue(x, null) for x in v)
    if t == "list":
        return [decodeValue(x, null) for x in v]
    if t == "dict":
        return {decodeValue(k, null): decodeValue(x, null) for k, x in v}
    if t == "None":
        return None
    if t == "other":
        raise ValueError(f"cannot decode a {tagged['type']}: {v}")
    return v


def dumps(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True)
