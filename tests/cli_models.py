"""Models for tests/test_cli.py: one field of every type, a linked model, an expiring model."""

import datetime
import decimal

from IndexedRedis import IndexedRedisModel
from IndexedRedis.fields import (
    IRBase64Field,
    IRBytesField,
    IRClassicField,
    IRCompressedField,
    IRField,
    IRFieldChain,
    IRFixedPointField,
    IRForeignLinkField,
    IRForeignMultiLinkField,
    IRPickleField,
    IRRawField,
    IRUnicodeField,
)


class CliArtist(IndexedRedisModel):
    FIELDS = [IRField("name")]
    INDEXED_FIELDS = ["name"]
    KEY_NAME = "irtest:cli:Artist"


class CliEvery(IndexedRedisModel):
    FIELDS = [
        IRField("text"),
        IRClassicField("classic"),
        IRField("count", valueType=int),
        IRField("ratio", valueType=float),
        IRField("flag", valueType=bool),
        IRField("when", valueType=datetime.datetime),
        IRField("day", valueType=datetime.date),
        IRField("doc", valueType=dict),
        IRField("items", valueType=list),
        IRField("anything", valueType=None),
        IRField("blob", valueType=bytes),
        IRBytesField("encoded", encoding="utf-8"),
        IRUnicodeField("uni", encoding="utf-16"),
        IRBase64Field("b64"),
        IRRawField("raw"),
        IRCompressedField("packed"),
        IRFixedPointField("price", decimalPlaces=2),
        IRPickleField("pickled"),
        IRFieldChain("chain", [IRField(valueType=int), IRBase64Field()]),
        IRForeignLinkField("artist", CliArtist),
        IRForeignMultiLinkField("others", CliArtist),
    ]
    INDEXED_FIELDS = ["text", "count", "flag", "artist"]
    SORTED_FIELDS = ["count"]
    UNIQUE_FIELDS = ["text"]
    KEY_NAME = "irtest:cli:Every"


class CliExpiring(IndexedRedisModel):
    FIELDS = [IRField("name")]
    KEY_NAME = "irtest:cli:Expiring"
    EXPIRE = 0


def everyValues(i: int) -> dict:
    """Values of object i of CliEvery: binary, unicode, nulls and edge values in turn."""
    return (
        {
            "text": f"t{i} é ✓ :*?[" if i % 3 else f"t{i}",
            "classic": f"c {i}",
            "count": i * 1000003 - 7,
            "ratio": [0.1, -2.5e300, float("inf"), 1 / 3][i % 4],
            "flag": bool(i % 2),
            "when": datetime.datetime(2024, 1, 10, 12, 30, 15, 123456) + datetime.timedelta(days=i),
            "day": datetime.date(2000, 2, 29) + datetime.timedelta(days=i),
            "doc": {"n": i, "s": "ü", "nested": [1, None, True]},
            "items": [i, "x", {"k": None}],
            "anything": b"\x00\xff" + bytes([i % 256]),
            "blob": bytes(range(256))[i % 7 :],
            "encoded": f"enc {i} ☃",
            "uni": f"uni {i} 𝄞",
            "b64": b"\x00b64\xfe" * (i % 3 + 1),
            "raw": b"raw\x00" + str(i).encode(),
            "packed": b"squeeze " * (i + 1),
            "price": decimal.Decimal(i) / 4,
            "pickled": {"tuple": (i, "p"), "set": {1, 2}},
            "chain": i * 7,
            "others": [],
        }
        if i % 5
        else {"text": f"t{i}", "count": i}
    )  # every fifth object: most fields left at their defaults
