"""The hot-path codec tables give exactly what ``field.toStorage`` / ``fromStorage`` give (no server)."""

from __future__ import annotations

import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from IndexedRedis import (
    IndexedRedisModel,
    IRClassicField,
    IRCompressedField,
    IRField,
    IRFixedPointField,
    IRUnicodeField,
    getDefaultIREncoding,
    irNull,
    setDefaultIREncoding,
)
from IndexedRedis.codec import decoderTable, encoderTable
from IndexedRedis.fields.null import IR_NULL_BYTES
from IndexedRedis.schema import getSchema


class Everything(IndexedRedisModel):
    FIELDS = [
        IRField("text"),
        IRField("number", valueType=int),
        IRField("flag", valueType=bool),
        IRField("blob", valueType=bytes),
        IRField("when", valueType=datetime.datetime),
        IRField("items", valueType=list),
        IRClassicField("classic"),
        IRFixedPointField("price", decimalPlaces=2),
        IRUnicodeField("utf16", encoding="utf-16"),
        IRCompressedField("packed"),
    ]
    KEY_NAME = "irtest:Everything"


SAMPLES = {
    "text": [b"", b"plain", "ünïcode".encode(), b"IRNullType()"],
    "number": [b"0", b"-12", b"123456789012345678901234567890"],
    "flag": [b"1", b"0", b"true", b"False", b"True"],
    "blob": [b"", bytes(range(256))],
    "when": [b"2024-02-29 23:59:59.999999", b"2024-02-29 23:59:59.000001+05:30"],
    "items": [b"[]", b'[1, "a", {"b": null}]'],
    "classic": [b"", b"x"],
    "price": [b"0.00", b"-12.50", b"3.14"],
    "utf16": ["grüß".encode("utf-16")],
}


def _table():
    return decoderTable(getSchema(Everything))


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_table_matches_fromStorage(name):
    name_b = name.encode()
    attr, decode = _table()[name_b]
    field = Everything.FIELDS[name]
    assert attr == name
    for raw in SAMPLES[name] + [IR_NULL_BYTES]:
        got, want = decode(raw), field.fromStorage(raw)
        assert got == want and type(got) is type(want), (name, raw)
    assert decode(IR_NULL_BYTES) is irNull


@given(st.integers())
def test_int_decoder_property(n):
    decode = _table()[b"number"][1]
    assert decode(str(n).encode()) == n and type(decode(str(n).encode())) is int


@given(st.text())
def test_text_decoder_property(s):
    decode = _table()[b"text"][1]
    raw = s.encode(getDefaultIREncoding())
    assert decode(raw) == Everything.FIELDS["text"].fromStorage(raw)


def test_a_new_default_encoding_builds_a_new_table():
    before = getDefaultIREncoding()
    raw = "é".encode("latin-1")
    try:
        setDefaultIREncoding("latin-1")
        assert _table()[b"text"][1](raw) == "é"
    finally:
        setDefaultIREncoding(before)
    assert _table()[b"text"][1]("é".encode("utf-8")) == "é"


def _encoders():
    return {name: encode for name, encode, _, _ in encoderTable(getSchema(Everything))}


def _same(encode, field, value):
    try:
        want = field.toStorage(value)
    except Exception as exc:  # the fast path must fail the same way
        with pytest.raises(type(exc)):
            encode(value)
        return
    got = encode(value)
    assert got == want and type(got) is bytes, (field, value, got, want)


@pytest.mark.parametrize(
    "name, values",
    [
        ("text", ["", "plain", "ünïcode", irNull, 12, b"bytes"]),
        ("number", [0, -5, 2**70, True, "12", irNull]),
        ("flag", [True, False, 1, 0, irNull]),
        ("blob", [b"", bytes(range(256)), bytearray(b"x"), irNull]),
        ("classic", ["", "x", irNull]),
        ("price", [0.0, -0.0, 1.5, 3.14, 2.675, 0.125, 0.015, 1e14, 1e20, float("inf"), float("nan"), 7, "1.25", irNull]),
        ("items", [[], [1, "a"], irNull]),
        ("when", [datetime.datetime(2024, 2, 29, 1, 2, 3, 4), irNull]),
    ],
)
def test_encoders_match_toStorage(name, values):
    encode, field = _encoders()[name], Everything.FIELDS[name]
    for value in values:
        _same(encode, field, value)


@given(st.floats(allow_nan=True, allow_infinity=True))
def test_fixed_point_encoder_property(x):
    _same(_encoders()["price"], Everything.FIELDS["price"], x)


@given(st.integers(min_value=-(10**12), max_value=10**12))
def test_fixed_point_encoder_on_cents(cents):
    _same(_encoders()["price"], Everything.FIELDS["price"], cents / 100)


@pytest.mark.parametrize("places", [0, 1, 2, 5, 10, 20])
def test_fixed_point_encoder_matches_for_every_precision(places):
    from IndexedRedis.codec import _encoder

    field = IRFixedPointField("p", decimalPlaces=places)
    encode = _encoder(field, "utf-8")
    values = [0.0, -0.0, 0.1, 1.5, 5.0, 1234567.891, 99999999999.99, 1e15, 1e16, 1e22, 123.456e-7, -2.5, 3.0e-5]
    for value in values + [0.30000000000000004, 2.675, float("inf"), float("nan")]:
        _same(encode, field, value)


@given(st.floats(allow_nan=False, allow_infinity=False), st.sampled_from([0, 2, 5, 10, 20]))
def test_fixed_point_encoder_property_every_precision(x, places):
    from IndexedRedis.codec import _encoder

    field = IRFixedPointField("p", decimalPlaces=places)
    _same(_encoder(field, "utf-8"), field, x)


def test_text_encoder_failure_names_the_field():
    from IndexedRedis.exceptions import InvalidValueError

    before = getDefaultIREncoding()
    try:
        setDefaultIREncoding("ascii")
        encode = _encoders()["text"]
        with pytest.raises(InvalidValueError, match="'text'"):
            encode("é")
    finally:
        setDefaultIREncoding(before)


@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
        lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=5), children, max_size=4),
        max_leaves=12,
    )
)
def test_json_codecs_match_the_fields_own(value):
    field = Everything.FIELDS["items"]  # a list field
    encode, decode = _encoders()["items"], _table()[b"items"][1]
    boxed = [value]
    _same(encode, field, boxed)
    raw = field.toStorage(boxed)
    got, want = decode(raw), field.fromStorage(raw)
    assert got == want and type(got) is type(want)


def test_json_codecs_on_odd_input():
    field = Everything.FIELDS["items"]
    encode, decode = _encoders()["items"], _table()[b"items"][1]
    for raw in (b"", b"{not json", b'{"a": 1}', b"\xff", IR_NULL_BYTES):
        try:
            want = field.fromStorage(raw)
        except Exception as exc:
            with pytest.raises(type(exc)):
                decode(raw)
        else:
            assert decode(raw) == want
    _same(encode, field, [object()])  # not JSON: the same named error
    _same(encode, field, [float("nan")])
