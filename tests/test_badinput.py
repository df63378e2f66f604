"""Awkward values survive storage, indexing and filtering; wrong values fail clearly and write nothing."""

from __future__ import annotations

import pytest

from IndexedRedis import IndexedRedisModel, InvalidModelException, InvalidValueError, IRBytesField, IRField
from tests.models import Song

AWKWARD = ["a:b", "with space", "new\nline", "tab\there", "ünïcødé ✓ 中文", "", "*?[glob]", "x" * 10_000, "IRNull?"]


class Blob(IndexedRedisModel):
    FIELDS = [IRField("key"), IRField("big"), IRBytesField("raw", encoding="utf-8")]
    INDEXED_FIELDS = ["key", "raw"]
    KEY_NAME = "irtest:Blob"


@pytest.mark.parametrize("value", AWKWARD, ids=range(len(AWKWARD)))
def test_awkward_values_store_index_and_filter(ir_db, value):
    b = Blob(key=value, raw=value, big=value)
    b.save()
    Blob(key=value + "-other").save()
    got = Blob.objects.filter(key=value).all()
    assert [o.getPk() for o in got] == [b.getPk()]
    assert got[0].big == value and got[0].raw == value.encode("utf-8")
    assert Blob.objects.filter(raw=value.encode("utf-8")).count() == 1
    assert Blob.objects.filter(key__ne=value).count() == 1


def test_one_megabyte_values(ir_db):
    big = "é" * 500_000  # 1 MB in utf-8
    b = Blob(key=big, big=big)
    b.save()
    assert Blob.objects.filter(key=big).first().big == big


def test_wrong_value_in_a_batch_writes_nothing(ir_db):
    good = Song(artist="good", year=1)
    bad = Song(artist="bad", year=2)
    bad.__dict__["year"] = object()  # slipped past assignment checks
    with pytest.raises(InvalidValueError) as info:
        Song.saver.save([good, bad])
    assert "Song" in str(info.value) and "year" in str(info.value)
    assert good.getPk() is None
    assert Song.objects.count() == 0
    assert not list(ir_db.scan_iter(match=b"_ir_|irtest:Song:*"))


def test_wrong_types_raise_named_errors():
    with pytest.raises(InvalidValueError, match="year"):
        Song(year=[1])
    with pytest.raises(InvalidValueError, match="live"):
        Song(live="maybe")
    with pytest.raises(InvalidValueError, match="price"):
        Song(price="cheap")
    with pytest.raises(InvalidValueError, match="tags"):
        Song(tags={"not": "a list"})
    with pytest.raises(InvalidValueError, match="encode|IRBytesField"):

        class B(IndexedRedisModel):
            FIELDS = [IRField("b", valueType=bytes)]
            KEY_NAME = "irtest:B"

        B(b="text")


def test_saving_an_object_of_another_model_through_a_saver_is_refused(ir_db):
    with pytest.raises(InvalidValueError, match="Blob"):
        Song.saver.save([Blob(key="x")])


@pytest.mark.parametrize("name", ["a__ne", "a__b", "__x", "x__", "cat__id"])
@pytest.mark.parametrize("indexed", [True, False], ids=["indexed", "not indexed"])
def test_field_names_with_double_underscores_are_refused(name, indexed):
    model = type(
        "Dunder",
        (IndexedRedisModel,),
        {"FIELDS": [IRField("a"), IRField(name)], "INDEXED_FIELDS": [name] if indexed else [], "KEY_NAME": "irtest:Dunder"},
    )
    with pytest.raises(InvalidModelException) as info:
        model.validateModel()
    message = str(info.value)
    assert message.startswith(f"Model Dunder: field name {name!r} contains '__'") and "rename the field" in message


class Under(IndexedRedisModel):
    FIELDS = [IRField("a_"), IRField("_b"), IRField("c", valueType=int)]
    INDEXED_FIELDS = ["a_", "_b"]
    KEY_NAME = "irtest:Under"


def test_single_underscores_at_either_end_filter_with_operators(ir_db):
    Under.saver.save([Under(a_="x", _b="y", c=1), Under(a_="z", _b="y", c=2)])
    assert [o.c for o in Under.objects.filter(a___ne="x").all()] == [2]
    assert [o.c for o in Under.objects.filter(_b="y", a_="x").all()] == [1]
    assert [o.c for o in Under.objects.all().filter(a___ne="x", _b__eq="y", c__gt=1)] == [2]
