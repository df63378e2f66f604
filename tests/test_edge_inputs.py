"""Primary keys, stored values and field types at the edges: clear errors, never a wrong answer."""

from __future__ import annotations

import datetime
import decimal

import pytest

from IndexedRedis import (
    IndexedRedisModel,
    InvalidModelException,
    InvalidQueryError,
    InvalidValueError,
    IRField,
    IRFixedPointField,
    IRRawField,
    RedisOperationError,
    irNull,
)
from IndexedRedis.fields import IRForeignLinkField
from tests.models import Song, songs


class Shapes(IndexedRedisModel):
    FIELDS = [
        IRField("n", valueType=int),
        IRFixedPointField("price", decimalPlaces=2),
        IRField("when", valueType=datetime.datetime),
        IRField("items", valueType=list),
        IRField("point", valueType=tuple),
        IRField("text"),
    ]
    INDEXED_FIELDS = ["n"]
    KEY_NAME = "irtest:Shapes"


@pytest.mark.parametrize("bad", ["abc", 1.7, True, -3, b"x1", None, [1]])
def test_lookups_by_a_bad_pk_name_the_model(ir_db, bad):
    for call in (
        lambda: Song.objects.get(bad),
        lambda: Song.objects.exists(bad),
        lambda: Song.objects.getMultiple([1, bad]),
        lambda: Song.deleter.deleteByPk(bad),
        lambda: Song.deleter.deleteMultipleByPks([bad]),
    ):
        with pytest.raises(InvalidValueError, match="Model Song"):
            call()


def test_pk_lists_are_lists(ir_db):
    Song.saver.save(songs())
    with pytest.raises(InvalidValueError, match="list of primary keys"):
        Song.objects.getMultiple("12")
    assert [s.title for s in Song.objects.getMultiple(["1", 2.0, b"3"])] == [s.title for s in songs()[:3]]
    assert Song.objects.get(0) is None


def test_unreadable_stored_values_raise_a_named_error_on_every_read_path(ir_db):
    Song.saver.save(songs())
    ir_db.hset(b"_ir_|irtest:Song:data:1", b"track", b"garbage")
    for call in (lambda: Song.objects.get(1), lambda: Song.objects.all(), lambda: Song.objects.getMultiple([1])):
        with pytest.raises(InvalidValueError, match="'track'"):
            call()


def test_empty_stored_values_of_typed_fields_read_as_unset(ir_db):
    ir_db.hset(
        b"_ir_|irtest:Shapes:data:1",
        mapping={b"n": b"", b"price": b"", b"when": b"", b"items": b"", b"point": b"", b"text": b""},
    )
    ir_db.sadd(b"_ir_|irtest:Shapes:keys", b"1")
    got = Shapes.objects.get(1)
    assert (got.n, got.price, got.when, got.items, got.point) == (irNull,) * 5
    assert got.text == ""


def test_tuple_fields_round_trip_and_sets_are_refused(ir_db):
    s = Shapes(n=1, point=(1, "a", 2.5), items=[1, 2])
    s.save()
    got = Shapes.objects.get(s._id)
    assert got.point == (1, "a", 2.5) and type(got.point) is tuple
    assert not got.hasUnsavedChanges()

    class Bad(IndexedRedisModel):
        FIELDS = [IRField("tags", valueType=set)]
        KEY_NAME = "irtest:BadSet"

    with pytest.raises(InvalidModelException, match="Bad.*tags.*no order"):
        Bad()


def test_a_build_removed_before_the_switch_is_not_switched_in(ir_db):
    class Row(IndexedRedisModel):
        FIELDS = [IRField("v")]
        KEY_NAME = "irtest:GoneRow"

    Row.reset([Row(v="old")])

    def rows():
        yield Row(v="new")
        for key in ir_db.scan_iter(match=b"_ir_|irtest:GoneRow:gen*:building"):
            ir_db.delete(key)  # as repair() would after the marker's TTL ran out

    with pytest.raises(RedisOperationError, match="removed before it could be switched in"):
        Row.reset(rows())
    assert [r.v for r in Row.objects.all()] == ["old"]
    assert Row.objects.verify().ok


def test_field_names_given_as_an_iterator_survive_a_retry(ir_db):
    Song.saver.save(songs())
    first = Song.objects.filter(artist="Björk").allOnlyFields(iter(["title", "year"]))
    assert sorted(o.title for o in first) == ["Hyperballad", "Jóga"]
    assert Song.objects.getMultipleOnlyFields([1, 2], (f for f in ["title"]))[0].title == "Sinnerman"
    with pytest.raises(KeyError, match="nope"):
        Song.objects.allOnlyFields(["title", "nope"])


def test_non_ascii_digits_are_not_primary_keys(ir_db):
    with pytest.raises(InvalidValueError, match="Model Song"):
        Song.objects.get("²")


HUGE = 10**5000  # more digits than Python writes out as text (sys.get_int_max_str_digits)

REFUSED_PKS = [
    HUGE,
    -HUGE,
    2**63,  # above what INCR hands out
    "9" * 5000,
    "\x1c6",  # int() reads \x1c-\x1f as neither digits nor space
    "\x1d6",
    "\x1e6",
    "\x1f6",
    " 6\x1f",
    "٣",  # a digit, but not an ASCII one
    "1_000",
    "+6",
    "6.0",
    float("inf"),
    float("-inf"),
    float("nan"),
    1e300,
    6.5,
    decimal.Decimal("6.5"),
    decimal.Decimal("inf"),
    decimal.Decimal("nan"),
    decimal.Decimal("-6"),
    False,
    b"\xff6",
    b"\x1c6",
    1j,
    [6],
    object(),
]


@pytest.mark.parametrize("bad", REFUSED_PKS, ids=range(len(REFUSED_PKS)))
def test_odd_primary_keys_raise_a_named_error_everywhere(ir_db, bad):
    Song.saver.save(songs())
    for call in (
        lambda: Song.objects.get(bad),
        lambda: Song.objects.exists(bad),
        lambda: Song.objects.getMultiple([1, bad]),
        lambda: Song.objects.getOnlyFields(bad, ["title"]),
        lambda: Song.deleter.deleteByPk(bad),
        lambda: Song.deleter.deleteMultipleByPks([bad]),
        lambda: Song(_id=bad),
    ):
        with pytest.raises(InvalidValueError, match="Model Song"):
            call()
    assert Song.objects.count() == 6


ACCEPTED_PKS = [
    (6, 6),
    (b"6", 6),
    (" 6 ", 6),
    ("\t6\n", 6),
    ("0006", 6),
    (6.0, 6),
    (decimal.Decimal("6"), 6),
    (2**63 - 1, 2**63 - 1),
]


@pytest.mark.parametrize("value,pk", ACCEPTED_PKS, ids=range(len(ACCEPTED_PKS)))
def test_primary_keys_in_other_forms_are_read_as_that_pk(ir_db, value, pk):
    Song.saver.save(songs())
    found = Song.objects.get(value)
    assert (found.getPk(), found.title) == (6, "Idioteque") if pk == 6 else found is None
    assert Song.objects.exists(value) == (pk == 6)
    assert Song(_id=value).getPk() == pk


def test_ints_too_long_to_write_out_raise_a_named_error(ir_db):
    class Huge(IndexedRedisModel):
        FIELDS = [
            IRField("i", valueType=int),
            IRField("s"),
            IRField("f", valueType=float),
            IRFixedPointField("fp", decimalPlaces=2),
            IRRawField("raw"),
            IRForeignLinkField("link", Song),
        ]
        INDEXED_FIELDS = ["i", "s", "fp", "link"]
        KEY_NAME = "irtest:Huge"

    for name in ("i", "s", "f", "fp", "link"):
        with pytest.raises(InvalidValueError, match=f"Model Huge: field '{name}'"):
            Huge(**{name: HUGE})
        with pytest.raises(InvalidValueError, match=f"Model Huge: field '{name}'"):
            Huge().__setattr__(name, HUGE)
    for name in ("i", "s", "fp", "link"):
        with pytest.raises(InvalidQueryError, match=f"Model Huge.*field '{name}'"):
            Huge.objects.filter(**{name: HUGE})
    with pytest.raises(InvalidQueryError, match="Model Huge: cannot filter i__ne=<an int of about 5001 digits>: field 'i'"):
        Huge.objects.filter(i__ne=-HUGE)
    raw = Huge(raw=HUGE)  # IRRawField keeps what is assigned; storing it fails with a named error
    assert "digits" in repr(raw)
    with pytest.raises(InvalidValueError, match="field 'raw'"):
        raw.save()
    assert Huge(i=10**4000).i == 10**4000  # below the limit, nothing changes
    assert not list(ir_db.scan_iter(match=b"_ir_|irtest:Huge:*"))
