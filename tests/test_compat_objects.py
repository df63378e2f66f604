"""6.0.3 habits on objects: constructor input, diff called every way, change tracking, model errors."""

from __future__ import annotations

import pytest

from IndexedRedis import IndexedRedisModel, InvalidFieldError, InvalidModelException, InvalidValueError, IRField, irNull
from tests.models import Song


def test_positional_constructor_arguments_raise_a_named_error():
    with pytest.raises(InvalidValueError, match=r"Song.*keyword arguments.*Song\(artist=") as info:
        Song("Nina Simone")
    assert isinstance(info.value, TypeError)  # what 6.x code may catch


@pytest.mark.parametrize("bad", ["abc", 0, -3, 1.5, True, object()])
def test_bad_primary_key_given_to_the_constructor(bad):
    with pytest.raises(InvalidValueError, match="Song.*_id") as info:
        Song(_id=bad, artist="A")
    assert isinstance(info.value, ValueError)


def test_primary_key_given_to_the_constructor_is_an_int():
    assert Song(_id="12")._id == 12 and Song(_id=7.0)._id == 7


def test_diff_on_an_instance_with_includeMeta_given_positionally(ir_db):
    a, b = Song(artist="A", year=1), Song(artist="A", year=2)
    a.save()
    expected = {"year": (1, 2), "_id": (a.getPk(), None)}
    assert a.diff(b, True) == expected
    assert a.diff(b, includeMeta=True) == expected
    assert a.diff(a, b, True) == expected  # 6.x: a static method, also reachable through an instance
    assert Song.diff(a, b, True) == expected
    assert IndexedRedisModel.diff(a, b) == {"year": (1, 2)}


def test_getUpdatedFields_is_empty_after_save_and_fetch(ir_db):
    s = Song(artist="A", year=1)
    assert s.getUpdatedFields() == {"artist": (irNull, "A"), "year": (irNull, 1)}
    s.save()
    assert s.getUpdatedFields() == {} and s.getUpdatedFields(cascadeObjects=True) == {}
    assert Song.objects.get(s.getPk()).getUpdatedFields() == {}


def test_FIELDS_by_unknown_name_names_the_model():
    with pytest.raises(InvalidFieldError, match="Song.*'nope'") as info:
        Song.FIELDS["nope"]
    assert isinstance(info.value, KeyError)


class _Mixin:
    def describe(self):
        return "mixin method"


def test_field_clashing_with_a_mixin_attribute_is_refused_on_first_use():
    Clash = type("Clash", (_Mixin, IndexedRedisModel), {"KEY_NAME": "irtest:Clash", "FIELDS": [IRField("describe")]})
    with pytest.raises(InvalidModelException, match=r"Clash.*'describe'.*_Mixin"):
        Clash()


def test_subclass_of_a_model_may_repeat_its_fields(ir_db):
    class Base(IndexedRedisModel):
        FIELDS = [IRField("a")]
        INDEXED_FIELDS = ["a"]
        KEY_NAME = "irtest:Base"

    Base(a="x").save()  # accessors are installed on Base

    class Child(Base):
        FIELDS = [IRField("a"), IRField("b")]
        INDEXED_FIELDS = ["a"]
        KEY_NAME = "irtest:Child"

    Child(a="y", b="z").save()
    assert [c.b for c in Child.objects.filter(a="y").all()] == ["z"]
    assert Base.objects.count() == 1
