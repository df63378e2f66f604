"""Random junk into every entry point: only IndexedRedisError subclasses (or success), never a builtin
error from inside IndexedRedis."""

from __future__ import annotations

import datetime
import decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from IndexedRedis import IndexedRedisError, IndexedRedisModel, IRField, IRFixedPointField
from IndexedRedis.fields import (
    IRBase64Field,
    IRBytesField,
    IRCompressedField,
    IRFieldChain,
    IRForeignLinkField,
    IRForeignMultiLinkField,
    IRPickleField,
    IRRawField,
    IRUnicodeField,
)
from IndexedRedis.results import CLIENT_OPERATORS


class Target(IndexedRedisModel):
    FIELDS = [IRField("name")]
    INDEXED_FIELDS = ["name"]
    KEY_NAME = "irtest:FuzzTarget"


class Every(IndexedRedisModel):
    FIELDS = [
        IRField("s"),
        IRField("i", valueType=int),
        IRField("f", valueType=float),
        IRField("b", valueType=bool),
        IRField("dt", valueType=datetime.datetime),
        IRField("d", valueType=datetime.date),
        IRField("j", valueType=list),
        IRField("by", valueType=bytes),
        IRField("n", valueType=None),
        IRFixedPointField("fp", decimalPlaces=2),
        IRUnicodeField("u"),
        IRBytesField("bb"),
        IRBase64Field("b64"),
        IRRawField("raw"),
        IRCompressedField("c"),
        IRPickleField("p"),
        IRForeignLinkField("link", Target),
        IRForeignMultiLinkField("links", Target),
        IRFieldChain("chain", [IRField(valueType=int), IRBase64Field()]),
    ]
    INDEXED_FIELDS = ["s", "i", "b", "dt", "d", "by", "n", "fp", "u", "bb", "b64", "c", "link", "links", "chain"]
    KEY_NAME = "irtest:FuzzEvery"


NAMES = [f.name for f in Every.FIELDS]
HUGE = st.sampled_from([10**5000, -(10**5000), 2**63, 2**64, -1, 0, "9" * 5000, "\x1c6", "\x1f7", "٣", "1_0"])
SCALARS = st.one_of(
    st.text(max_size=20),
    st.binary(max_size=20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(),
    HUGE,
    st.none(),
    st.booleans(),
    st.decimals(allow_nan=True, allow_infinity=True),
    st.complex_numbers(max_magnitude=10),
    st.datetimes(),
    st.dates(),
)
JUNK = st.one_of(SCALARS, st.lists(SCALARS, max_size=3), st.dictionaries(st.text(max_size=3), SCALARS, max_size=2))


def _ours(call):
    """Run ``call``; an exception must be one of ours."""
    try:
        return call()
    except IndexedRedisError:
        return None


FUZZ = settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@FUZZ
@given(name=st.sampled_from(NAMES), value=JUNK, op=st.sampled_from(sorted(CLIENT_OPERATORS)))
def test_junk_values_in_fields_filters_and_client_filters(ir_db, name, value, op):
    obj = _ours(lambda: Every(**{name: value}))
    if obj is not None:
        _ours(lambda: setattr(Every(), name, value))
        _ours(lambda: repr(obj))
        pk = _ours(lambda: obj.save())
        if pk is not None:
            _ours(lambda: Every.objects.get(obj.getPk()))
    _ours(lambda: Every.objects.filter(**{name: value}).count())
    _ours(lambda: Every.objects.filter(**{name + "__ne": value}).getPrimaryKeys())
    _ours(lambda: Every.objects.filter(**{name + "__" + op: value}))
    _ours(lambda: Every.objects.all().filter(**{name + "__" + op: value}))
    _ours(lambda: Every.objects.all().filterOr(**{name + "__" + op: value}))


@FUZZ
@given(pk=JUNK)
def test_junk_primary_keys(ir_db, pk):
    _ours(lambda: Every.objects.get(pk))
    _ours(lambda: Every.objects.getMultiple([pk]))
    _ours(lambda: Every.objects.getMultiple(pk))
    _ours(lambda: Every.objects.exists(pk))
    _ours(lambda: Every.deleter.deleteByPk(pk))
    _ours(lambda: Every.deleter.deleteMultipleByPks([pk]))
    _ours(lambda: Every(_id=pk))
    _ours(lambda: Every(link=pk))
    _ours(lambda: Every(links=[pk]))


@FUZZ
@given(key=st.text(max_size=12), value=JUNK)
def test_junk_filter_keys(ir_db, key, value):
    _ours(lambda: Every.objects.filter(**{key: value}))
    _ours(lambda: Every.objects.all().filter(**{key: value}))
    _ours(lambda: Every(**{key: value}))


def test_junk_reaches_the_checks(ir_db):
    # The tests above would pass if every call raised early for one reason: show a few succeed.
    assert Every(i=5, s="x").save() == [1]
    assert Every.objects.filter(i="5").getPrimaryKeys() == [1]
    assert [o.getPk() for o in Every.objects.all().filter(i__gt=decimal.Decimal(4))] == [1]
    assert Every.objects.exists(b" 1 ")
