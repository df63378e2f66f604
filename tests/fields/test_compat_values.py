"""Field values as 6.0.3 code gives them: fixed point rounding, dates, and stored values a field cannot read."""

from __future__ import annotations

import datetime
import decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from IndexedRedis import IndexedRedisModel, InvalidValueError
from IndexedRedis.fields import IRField, IRFixedPointField, IRForeignLinkField, IRForeignMultiLinkField


@pytest.mark.parametrize(
    "value, stored",
    [
        (1.299, b"1.30"),
        (2.675, b"2.67"),  # the float is 2.67499999...: round() and '%.2f' give 2.67 too
        (0.305, b"0.30"),
        (1.005, b"1.00"),
        ("2.675", b"2.68"),  # text: half-even on its digits
        (decimal.Decimal("2.665"), b"2.66"),
        (-0.004, b"0.00"),  # no negative zero: it would be another index key than 0.00
        (-0.0, b"0.00"),
        (19.999, b"20.00"),
    ],
)
def test_fixed_point_rounds_extra_decimals_like_6x(value, stored):
    f = IRFixedPointField("price", decimalPlaces=2)
    assert f.toStorage(f.fromInput(value)) == stored
    assert f.toIndex(value) == stored


@given(st.floats(min_value=-1e12, max_value=1e12, allow_nan=False, allow_infinity=False), st.integers(0, 8))
def test_fixed_point_agrees_with_round(value, places):
    f = IRFixedPointField("p", decimalPlaces=places)
    assert f.fromInput(value) == round(value, places) or (f.fromInput(value) == 0 and round(value, places) == 0)
    assert f.toStorage(f.fromInput(value)) == f.toIndex(value)


def test_fixed_point_with_many_places_keeps_the_digits_given():
    f = IRFixedPointField("p", decimalPlaces=30)
    assert f.toStorage(f.fromInput(1.1)) == b"1." + b"1" + b"0" * 29


def test_rounded_values_filter_on_the_server(ir_db):
    class Price(IndexedRedisModel):
        FIELDS = [IRFixedPointField("amount", decimalPlaces=2)]
        INDEXED_FIELDS = ["amount"]
        KEY_NAME = "irtest:Price"

    p = Price(amount=3 * 1.1 / 3 * 1.0049)  # many decimals
    p.save()
    assert p.amount == 1.11
    assert Price.objects.filter(amount=1.11).getPrimaryKeys() == [p.getPk()]
    assert Price.objects.filter(amount="1.105").getPrimaryKeys() == []  # text 1.105 is 1.10 half-even
    z = Price(amount=-0.001)
    z.save()
    assert Price.objects.filter(amount=0).getPrimaryKeys() == [z.getPk()]


def test_date_value_type(ir_db):
    class Event(IndexedRedisModel):
        FIELDS = [IRField("day", valueType=datetime.date)]
        INDEXED_FIELDS = ["day"]
        KEY_NAME = "irtest:Event"

    e = Event(day=datetime.date(2024, 2, 29))
    e.save()
    got = Event.objects.get(e.getPk())
    assert got.day == datetime.date(2024, 2, 29) and type(got.day) is datetime.date
    assert Event.objects.filter(day="2024-02-29").getPrimaryKeys() == [e.getPk()]
    assert Event(day="2024-03-01").day == datetime.date(2024, 3, 1)
    with pytest.raises(InvalidValueError, match="day.*date\\(\\)"):
        Event(day=datetime.datetime(2024, 1, 1, 12))
    with pytest.raises(InvalidValueError, match="day.*ISO"):
        Event(day="29/02/2024")


@pytest.mark.parametrize(
    "field, raw",
    [
        (IRField("n", valueType=int), b"not a number"),
        (IRField("j", valueType=dict), b"{not json"),
        (IRField("w", valueType=datetime.datetime), b"yesterday"),
        (IRField("d", valueType=decimal.Decimal), b"abc"),
        (IRField("s"), b"\xff\xfe\xfa"),
        (IRForeignLinkField("link", foreignModel="self"), b"seven"),
        (IRForeignMultiLinkField("links", foreignModel="self"), b"1,two"),
    ],
    ids=lambda v: getattr(v, "name", None) or repr(v),
)
def test_stored_value_a_field_cannot_read_raises_a_named_error(field, raw):
    with pytest.raises(InvalidValueError) as info:
        field.fromStorage(raw)
    assert repr(field.name) in str(info.value) and "another field type" in str(info.value)


class UpperField(IRField):
    """A custom field with the private hooks whose _toStorage returns str."""

    def __init__(self, name="", defaultValue=None):
        IRField.__init__(self, name=name, valueType=str, defaultValue=defaultValue)

    def _fromInput(self, value):
        return str(value).upper()

    def _toStorage(self, value):
        return value.upper()

    def _fromStorage(self, value):
        return value.decode("utf-8").upper()


def test_custom_field_returning_str_from_toStorage(ir_db):
    class Shout(IndexedRedisModel):
        FIELDS = [UpperField("word"), IRField("other")]
        INDEXED_FIELDS = ["word"]
        KEY_NAME = "irtest:Shout"

    s = Shout(word="hey")
    s.save()
    assert Shout.objects.filter(word="hey").getPrimaryKeys() == [s.getPk()]
    got = Shout.objects.get(s.getPk())
    assert got.word == "HEY"
    assert not got.hasUnsavedChanges() and got.getUpdatedFields() == {}
    assert got.asDict(forStorage=True, strKeys=True)["word"] == "HEY"  # text fields give str


def test_custom_field_returning_something_unstorable_is_named():
    class Broken(IRField):
        def _toStorage(self, value):
            return object()

    with pytest.raises(InvalidValueError, match="'b'.*_toStorage returned object"):
        Broken("b").toStorage("x")
