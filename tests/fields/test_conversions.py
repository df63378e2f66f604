"""Every field type: pure conversion round trips (no server), defaults, null, bad input."""

from __future__ import annotations

import datetime
import decimal
import hashlib
import pickle

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from IndexedRedis import InvalidValueError, setDefaultIREncoding
from IndexedRedis.compat_str import getDefaultIREncoding
from IndexedRedis.fields import (
    IRBase64Field,
    IRBytesField,
    IRClassicField,
    IRCompressedField,
    IRField,
    IRFieldChain,
    IRFixedPointField,
    IRPickleField,
    IRRawField,
    IRUnicodeField,
    irNull,
)
from IndexedRedis.fields.FieldValueTypes import IRDatetimeValue, IRJsonValue
from IndexedRedis.fields.null import IR_NULL_BYTES


def roundtrip(field, value):
    return field.fromStorage(field.toStorage(field.fromInput(value)))


# --------------------------------------------------------------------------- IRField value types
@given(st.text().filter(lambda s: s != "IRNullType()"))
def test_str_round_trips(value):
    assert roundtrip(IRField("s"), value) == value


def test_the_null_marker_text_reads_as_irnull():
    # irNull is stored as the text 'IRNullType()' (the 6.0.3 layout), so that exact string reads back as irNull.
    assert roundtrip(IRField("s"), "IRNullType()") is irNull


@given(st.integers(min_value=-(2**70), max_value=2**70))
def test_int_round_trips_as_plain_int(value):
    out = roundtrip(IRField("i", valueType=int), value)
    assert out == value and type(out) is int


@given(st.floats(allow_nan=False))
def test_float_round_trips(value):
    assert roundtrip(IRField("f", valueType=float), value) == value


@pytest.mark.parametrize("raw, expected", [(b"1", True), (b"0", False), (b"true", True), (b"FALSE", False), (b"True", True)])
def test_bool_reads_6x_and_own_forms(raw, expected):
    assert IRField("b", valueType=bool).fromStorage(raw) is expected


@pytest.mark.parametrize("value, expected", [(1, True), (0, False), ("true", True), ("False", False), (True, True)])
def test_bool_input(value, expected):
    f = IRField("b", valueType=bool)
    assert f.fromInput(value) is expected
    assert f.toStorage(f.fromInput(value)) == (b"True" if expected else b"False")  # as 6.0.3 stores bools


@given(st.datetimes(timezones=st.none() | st.timezones()))
@settings(max_examples=200)
def test_datetime_round_trips_to_the_microsecond_with_offset(value):
    out = roundtrip(IRField("d", valueType=datetime.datetime), value)
    # Same wall time to the microsecond and same UTC offset. (Plain == is not used: Python never
    # calls a zoneinfo time inside a DST gap or fold equal to one in another tzinfo.)
    assert out.replace(tzinfo=None) == value.replace(tzinfo=None)
    assert out.utcoffset() == value.utcoffset()


def test_datetime_value_types():
    d = IRDatetimeValue("2021-03-04 05:06:07.000008")
    assert d == datetime.datetime(2021, 3, 4, 5, 6, 7)  # built from text: whole seconds
    assert IRDatetimeValue(datetime.datetime(2021, 3, 4, 5, 6, 7, 8)).microsecond == 8
    # a field reads its stored text to the microsecond
    got = IRField("d", valueType=IRDatetimeValue).fromStorage(b"2021-03-04 05:06:07.000008")
    assert got == datetime.datetime(2021, 3, 4, 5, 6, 7, 8)
    assert IRJsonValue('{"a": [1]}') == {"a": [1]}


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda c: st.lists(c) | st.dictionaries(st.text(), c),
    max_leaves=20,
)


@given(st.lists(json_values))
def test_list_json_round_trips(value):
    assert roundtrip(IRField("l", valueType=list), value) == value


@given(st.dictionaries(st.text(), json_values))
def test_dict_json_round_trips(value):
    assert roundtrip(IRField("d", valueType=dict), value) == value


def test_bytes_valueType_rejects_str():
    f = IRField("b", valueType=bytes)
    assert roundtrip(f, b"\x00\xff") == b"\x00\xff"
    with pytest.raises(InvalidValueError, match="IRBytesField"):
        f.fromInput("text")


class Colour:
    def __init__(self, name):
        self.name = str(name)

    def __str__(self):
        return self.name

    def __eq__(self, other):
        return isinstance(other, Colour) and other.name == self.name


def test_custom_value_type():
    f = IRField("c", valueType=Colour)
    assert roundtrip(f, Colour("red")) == Colour("red")
    assert f.fromInput("blue") == Colour("blue")
    assert f.toIndex("blue") == b"blue"


def test_null_and_defaults():
    f = IRField("x", valueType=int)
    assert f.getDefaultValue() is irNull
    assert f.toStorage(irNull) == IR_NULL_BYTES == b"IRNullType()"
    assert f.fromStorage(b"IRNullType()") is irNull
    assert f.fromStorage(None) is irNull
    assert f.fromInput(None) is irNull
    assert irNull != "" and irNull != 0 and irNull == irNull and not irNull
    assert pickle.loads(pickle.dumps(irNull)) is irNull
    g = IRField("y", valueType=list, defaultValue=[1])
    a, b = g.getDefaultValue(), g.getDefaultValue()
    assert a == [1] and a is not b  # mutable defaults are never shared
    assert IRClassicField("c").getDefaultValue() == "" and IRClassicField("c").fromStorage(None) == ""


def test_hash_index_on_big_values():
    f = IRField("g", hashIndex=True)
    big = "ACGT" * 25_000  # 100 KB
    idx = f.toIndex(big)
    assert idx == hashlib.md5(big.encode()).hexdigest().encode() and len(idx) == 32
    assert f.toIndex(big) == f.toIndex("ACGT" * 25_000)
    assert f.toIndex(big + "A") != idx


def test_default_encoding(monkeypatch):
    import IndexedRedis.compat_str as cs

    monkeypatch.setattr(cs, "_defaultEncoding", cs._defaultEncoding)
    assert getDefaultIREncoding() == "utf-8"
    setDefaultIREncoding("latin-1")
    assert IRField("s").toStorage("é") == b"\xe9"
    with pytest.raises(InvalidValueError):
        setDefaultIREncoding("no-such-codec")


# --------------------------------------------------------------------------- other families
@given(st.text())
def test_unicode_field_utf16(value):
    f = IRUnicodeField("u", encoding="utf-16")
    assert f.toStorage(value) == value.encode("utf-16")
    assert roundtrip(f, value) == value


def test_bytes_field_encodes_str():
    f = IRBytesField("b", encoding="utf-16")
    assert f.fromInput("é") == "é".encode("utf-16")
    assert roundtrip(f, b"\x00\x01") == b"\x00\x01"


def test_raw_and_base64_keep_all_256_bytes():
    every = bytes(range(256))
    assert roundtrip(IRRawField("r"), every) == every
    f = IRBase64Field("b")
    assert f.toStorage(every) == __import__("base64").b64encode(every)
    assert roundtrip(f, every) == every
    raw = IRRawField("r")
    assert raw.fromInput("text") == "text" and raw.toStorage("text") == b"text"  # kept as assigned, stored encoded
    assert not IRRawField("r").isIndexable and IRBase64Field("b").isIndexable


@pytest.mark.parametrize("mode", ["zlib", "bz2", "lzma", "gzip"])
def test_compressed_modes(mode):
    f = IRCompressedField("c", compressMode=mode)
    data = (b"IndexedRedis " * 800_000)[:10_000_000]  # 10 MB
    stored = f.toStorage(data)
    assert len(stored) < len(data) // 50
    assert f.fromStorage(stored) == data
    assert f.toStorage(data) == stored  # deterministic: indexable
    assert f.getCompressMod().__name__ == {"gzip": "zlib"}.get(mode, mode)


def test_compressed_unknown_mode_is_a_definition_problem():
    assert "compressMode" in IRCompressedField("c", compressMode="xz7")._definitionProblem()


@pytest.mark.parametrize(
    "value, stored",
    [(12.5, b"12.50"), ("12.5", b"12.50"), (decimal.Decimal("0.1"), b"0.10"), (0.1 + 0.2, b"0.30"), (-3, b"-3.00"), (0, b"0.00")],
)
def test_fixed_point(value, stored):
    f = IRFixedPointField("p", decimalPlaces=2)
    assert f.toStorage(f.fromInput(value)) == stored
    assert f.toIndex(value) == stored


def test_fixed_point_too_precise_and_bad():
    f = IRFixedPointField("p", decimalPlaces=2)
    assert f.fromInput(0.305) == round(0.305, 2)  # rounded, not refused
    with pytest.raises(InvalidValueError):
        f.fromInput(float("nan"))
    with pytest.raises(InvalidValueError):
        f.fromInput("cheap")
    assert IRFixedPointField("p", decimalPlaces=-1)._definitionProblem()
    assert f.isIndexable and f.toStorage(f.fromInput(5)) == b"5.00"
    assert IRFixedPointField("q").toStorage(1.5) == b"1.50000"  # default 5 places


@given(st.decimals(min_value=-(10**9), max_value=10**9, places=3, allow_nan=False))
def test_fixed_point_property(value):
    f = IRFixedPointField("p", decimalPlaces=3)
    assert f.fromStorage(f.toStorage(f.fromInput(value))) == float(value)
    assert f.toIndex(value) == f.toIndex(float(value)) == f.toIndex(str(value))


def test_pickle_field():
    f = IRPickleField("p")
    value = {"a": [1, 2, {3}], "b": datetime.date(2020, 1, 1)}
    assert roundtrip(f, value) == value
    assert not f.isIndexable and "pickle" in f.notIndexableReason
    with pytest.raises(InvalidValueError, match="cannot pickle"):
        f.toStorage(lambda: 1)


def test_chain_order_and_type():
    chain = IRFieldChain("c", [IRUnicodeField(encoding="utf-16"), IRCompressedField()], defaultValue="none")
    stored = chain.toStorage("héllo")
    assert __import__("zlib").decompress(stored) == "héllo".encode("utf-16")
    assert chain.fromStorage(stored) == "héllo"
    assert chain.getDefaultValue() == "none"
    assert chain.isIndexable
    b64 = IRFieldChain("b", [IRCompressedField(), IRBase64Field()])
    data = bytes(range(256)) * 10
    assert roundtrip(b64, data) == data


def test_chain_definition_problems():
    assert not IRFieldChain("c", [IRUnicodeField(), IRPickleField()]).isIndexable
    assert "IRPickleField" in IRFieldChain("c", [IRUnicodeField(), IRPickleField()]).notIndexableReason
    assert IRFieldChain("c", [])._definitionProblem()
    assert IRFieldChain("c", ["notafield"])._definitionProblem()
    assert "compressMode" in IRFieldChain("c", [IRCompressedField(compressMode="nope")])._definitionProblem()


def test_fields_survive_pickle_and_copy():
    import copy

    for f in (
        IRField("a", valueType=int),
        IRFixedPointField("p", 2),
        IRCompressedField("c", compressMode="bz2"),
        IRFieldChain("ch", [IRUnicodeField(encoding="utf-16"), IRBase64Field()]),
    ):
        for clone in (pickle.loads(pickle.dumps(f)), copy.copy(f), copy.deepcopy(f)):
            assert clone == f and type(clone) is type(f)
            assert clone.toStorage(clone.fromInput("12.5" if isinstance(f, IRFixedPointField) else "1")) == f.toStorage(
                f.fromInput("12.5" if isinstance(f, IRFixedPointField) else "1")
            )
