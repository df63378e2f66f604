"""A filter the server cannot run says what would work instead, and what it says works."""

from __future__ import annotations

import pytest

from IndexedRedis import IndexedRedisModel, InvalidQueryError, IRField, IRQueryableList, irNull
from IndexedRedis.fields import IRForeignLinkField, IRForeignMultiLinkField


class Category(IndexedRedisModel):
    FIELDS = [IRField("slug"), IRField("title")]
    INDEXED_FIELDS = ["slug"]
    KEY_NAME = "irtest:HintCategory"


class Product(IndexedRedisModel):
    FIELDS = [
        IRField("name"),
        IRField("year", valueType=int),
        IRField("note"),
        IRForeignLinkField("category", Category),
        IRForeignMultiLinkField("also", Category),
    ]
    INDEXED_FIELDS = ["name", "year", "category"]
    KEY_NAME = "irtest:HintProduct"


@pytest.fixture
def shop(ir_db):
    books, games = Category(slug="books", title="Books"), Category(slug="games", title="Games")
    Category.saver.save([books, games])
    Product.saver.save(
        [
            Product(name="novel", year=2001, category=books, also=[games]),
            Product(name="chess", year=1990, category=games, also=[books, games]),
            Product(name="atlas", year=2010, category=books, note="big"),
        ]
    )
    return books, games


def _message(call) -> str:
    with pytest.raises(InvalidQueryError) as info:
        call()
    return str(info.value)


def _names(objs):
    return sorted(o.name for o in objs)


def test_a_filter_through_a_link_says_to_look_the_linked_objects_up_first(shop):
    message = _message(lambda: Product.objects.filter(category__slug="books"))
    assert message.startswith("Model Product: filter 'category__slug'")
    assert "pks = Category.objects.filter(slug=...).getPrimaryKeys()" in message
    assert "filter(category=pk)" in message and ".all().filter(category__id__in=pks)" in message
    assert ".all().filter(category__slug" not in message  # QueryableList cannot run that
    pks = Category.objects.filter(slug="books").getPrimaryKeys()
    assert _names(Product.objects.filter(category=pks[0]).all()) == ["atlas", "novel"]
    assert _names(Product.objects.all().filter(category__id__in=pks)) == ["atlas", "novel"]
    # the same filter on the client says the same
    assert "getPrimaryKeys()" in _message(lambda: Product.objects.all().filter(category__slug="books"))


def test_through_a_multi_link_or_to_a_field_that_is_not_indexed(shop):
    message = _message(lambda: Product.objects.filter(also__title="Books"))
    assert "pks = [o.getPk() for o in Category.objects.all().filter(title=...)]" in message
    assert ".all().filter(also__id__containsAny=pks)" in message
    pks = [o.getPk() for o in Category.objects.all().filter(title="Books")]
    assert _names(Product.objects.all().filter(also__id__containsAny=pks)) == ["chess"]
    assert "has no field 'nope'" in _message(lambda: Product.objects.filter(category__nope=1))


def test_an_operator_the_client_knows_is_suggested_on_the_client(shop):
    message = _message(lambda: Product.objects.filter(year__gt=2000))
    assert "needs a sorted index on 'year'" in message and ".all().filter(year__gt=...)" in message
    assert _names(Product.objects.all().filter(year__gt=2000)) == ["atlas", "novel"]
    message = _message(lambda: Product.objects.filter(category__contains=[1]))
    assert "uses operator 'contains'" in message and ".all().filter(category__id__contains=...)" in message
    # __in on an indexed field runs on the server (a union of the value sets)
    assert _names(Product.objects.filter(category__in=[shop[1].getPk()]).all()) == ["chess"]
    assert _names(Product.objects.all().filter(category__id__in=[shop[1].getPk()])) == ["chess"]


def test_a_field_that_is_not_indexed(shop):
    message = _message(lambda: Product.objects.filter(note="big"))
    assert "add 'note' to INDEXED_FIELDS" in message and ".all().filter(note=...)" in message
    assert _names(Product.objects.all().filter(note="big")) == ["atlas"]
    message = _message(lambda: Product.objects.filter(also=[1]))
    assert ".all().filter(also__id__eq=...)" in message
    assert _names(Product.objects.all().filter(also__id__eq=[shop[0].getPk(), shop[1].getPk()])) == ["chess"]


def test_an_unknown_operator_or_field_lists_what_exists(shop):
    message = _message(lambda: Product.objects.filter(year__around=2000))
    assert "'around' is not an operator" in message and "containsAny" in message and ".all()" not in message
    assert "fields are ['name', 'year', 'note', 'category', 'also']" in _message(lambda: Product.objects.filter(colour=1))


def test_client_side_filters_raise_our_errors(shop):
    everything = Product.objects.all()
    cases = {
        "year__around": lambda: everything.filter(year__around=1),
        "year__gt": lambda: everything.filter(year__gt="x"),
        "name__ieq": lambda: everything.filter(name__ieq=5),
        "year__isnull": lambda: everything.filterOr(year__isnull="yes"),
        "name__splitcontains": lambda: everything.filter(name__splitcontains="x"),
    }
    for key, call in cases.items():
        message = _message(call)
        assert message.startswith("Model Product: client-side filter") and key in message, message
    assert isinstance(InvalidQueryError("x"), ValueError)  # old `except ValueError` still catches them

    def broken(value):
        raise KeyError("the caller's own error")

    with pytest.raises(KeyError, match="the caller's own error"):
        everything.filter(year__customMatch=broken)


def test_containsAny_on_a_null_value_matches_nothing():
    class Holder:
        def __init__(self, x):
            self.x = x

    items = IRQueryableList([Holder(irNull), Holder(["a", "b"]), Holder(5)])
    assert [h.x for h in items.filter(x__containsAny=["a"])] == [["a", "b"]]
    assert [h.x for h in items.filter(x__notcontainsAny=["a"])] == [irNull, 5]
    assert [h.x for h in items.filterOr(x__containsAny=["z"], x__isnull=True)] == [irNull]
