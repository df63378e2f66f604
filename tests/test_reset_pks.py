"""reset keeps the pks it is given (the SQL ids), so links between models survive a reset; links to
pks that do not exist are refused on save; reset's client memory does not grow with its input."""

from __future__ import annotations

import gc
import tracemalloc

import pytest

from IndexedRedis import (
    IndexedRedisModel,
    IRField,
    InvalidValueError,
    irNull,
)
from IndexedRedis.fields import IRForeignLinkField, IRForeignMultiLinkField
from IndexedRedis.reset import PkList


class Category(IndexedRedisModel):
    FIELDS = [IRField("slug")]
    INDEXED_FIELDS = ["slug"]
    KEY_NAME = "irtest:ResetCategory"


class Product(IndexedRedisModel):
    FIELDS = [
        IRField("name"),
        IRForeignLinkField("category", Category),
        IRForeignMultiLinkField("also", Category),
    ]
    INDEXED_FIELDS = ["category"]
    KEY_NAME = "irtest:ResetProduct"


class LaxProduct(IndexedRedisModel):
    FIELDS = [IRField("name"), IRForeignLinkField("category", Category)]
    KEY_NAME = "irtest:ResetLaxProduct"
    ALLOW_DANGLING_LINKS = True


def _sqlRows(n):
    """Rows as a SQL query would give them: (id, slug)."""
    return [(i, f"cat{i}") for i in range(1, n + 1)]


def test_reset_keeps_given_pks_and_links_survive(ir_db):
    Category.reset(Category(_id=cid, slug=slug) for cid, slug in _sqlRows(50))
    Product.reset(Product(_id=1000 + i, name=f"p{i}", category=1 + i % 50, also=[1, 2]) for i in range(500))
    assert sorted(Category.objects.getPrimaryKeys()) == list(range(1, 51))
    # The categories are rebuilt from SQL: the same ids, new data.
    pks = Category.reset(Category(_id=cid, slug=slug.upper()) for cid, slug in _sqlRows(50))
    assert pks == list(range(1, 51))
    products = Product.objects.all()
    assert len(products) == 500
    assert all(p.category is not irNull for p in products)
    assert {p.category.slug for p in products} == {f"CAT{i}" for i in range(1, 51)}
    assert Product.objects.filter(category=7).count() == 10
    assert Product.objects.get(1000).also[1].slug == "CAT2"


def test_reset_mixes_given_and_new_pks_and_raises_the_counter(ir_db):
    pks = Category.reset([Category(_id=500, slug="given"), Category(slug="new"), Category(_id=3, slug="small")])
    assert pks[0] == 500 and pks[2] == 3 and pks[1] > 500
    later = Category(slug="later")
    later.save()
    assert later._id > pks[1]  # the pk counter never hands out a kept pk
    assert sorted(Category.objects.getPrimaryKeys()) == sorted([500, pks[1], 3, later._id])


def test_reset_refuses_duplicate_pks_and_keeps_the_old_dataset(ir_db):
    Category.reset([Category(_id=1, slug="old")])
    # SCAN may return a key twice while Redis resizes its table: compare sets of keys.
    before = sorted(set(ir_db.scan_iter(match=b"_ir_|irtest:ResetCategory:*")))
    rows = [Category(_id=i, slug=f"s{i}") for i in range(1, 1200)] + [Category(_id=77, slug="again")]
    with pytest.raises(InvalidValueError, match="pk 77 is given to reset twice"):
        Category.reset(rows)
    assert [c.slug for c in Category.objects.all()] == ["old"]
    after = [k for k in sorted(set(ir_db.scan_iter(match=b"_ir_|irtest:ResetCategory:*"))) if b":op:" not in k]
    assert after == [k for k in before if b":op:" not in k]
    # The objects given keep the pks they were given (they are not marked as saved).
    assert rows[0]._id == 1 and rows[0].getUpdatedFields() != {}


def test_failed_reset_puts_back_what_held_objects_had(ir_db):
    kept = Category(slug="fetched")
    kept.save()
    fetched = Category.objects.get(kept._id)
    fresh = Category(slug="fresh")

    def rows():
        yield fetched
        yield fresh
        yield from (Category(slug=f"x{i}") for i in range(600))
        raise RuntimeError("the SQL cursor failed")

    with pytest.raises(RuntimeError):
        Category.reset(rows())
    assert fetched._id == kept._id and not fetched.hasUnsavedChanges()
    assert fresh._id is None
    assert Category.objects.count() == 1


def test_pk_list_is_compact_and_equal_to_a_list():
    pks = PkList()
    for pk in list(range(1, 1001)) + [5000, 5001, 7]:
        pks.append(pk)
    assert len(pks) == 1003 and pks[0] == 1 and pks[999] == 1000 and pks[-1] == 7 and pks[1000] == 5000
    assert pks == list(range(1, 1001)) + [5000, 5001, 7]
    assert len(pks._runs) == 3
    assert pks[1:3] == [2, 3]
    with pytest.raises(IndexError):
        pks[1003]


def _resetPeak(n: int) -> int:
    gc.collect()
    tracemalloc.start()
    try:
        Category.reset(Category(slug=f"s{i}") for i in range(n))
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_reset_memory_does_not_grow_with_rows(real_db):
    _resetPeak(1000)  # warm: scripts, codec tables
    small = _resetPeak(5_000)
    big = _resetPeak(40_000)
    # 8x the rows: the peak stays that of a few chunks in flight (it grew ~8x when every object was kept).
    assert big < small * 1.6, (small, big)


def test_save_refuses_a_link_to_a_missing_pk(ir_db):
    Category.reset([Category(_id=1, slug="one")])
    with pytest.raises(InvalidValueError, match=r"Product: field 'category' links to Category pk 99, which does not exist"):
        Product(name="bad", category=99).save()
    assert Product.objects.count() == 0
    with pytest.raises(InvalidValueError, match="pk 42"):
        Product(name="bad", category=1, also=[1, 42]).save()
    p = Product(name="good", category=1)
    p.save()
    p.category = 98
    with pytest.raises(InvalidValueError, match="pk 98"):
        p.save()
    assert Product.objects.get(p._id).category.slug == "one"
    with pytest.raises(InvalidValueError, match="pk 97"):
        Product.saver.save([Product(name="a", category=1), Product(name="b", category=97)])
    assert Product.objects.count() == 1
    # A linked object saved in the same (cascading) save is fine, and so is one that exists.
    Product(name="new cat", category=Category(slug="made now")).save()
    assert Product.objects.all().filter(name="new cat")[0].category.slug == "made now"


def test_dangling_links_allowed_by_option(ir_db):
    lax = LaxProduct(name="x", category=12345)
    lax.save()
    assert LaxProduct.objects.get(lax._id).category is irNull


def test_link_check_costs_one_round_trip_only_when_links_change(ir_db, roundtrips):
    Category.reset([Category(_id=1, slug="one"), Category(_id=2, slug="two")])
    p = Product(name="p", category=1)
    p.save()
    with roundtrips() as rt:
        p.name = "renamed"
        p.save()
    assert rt.count == 1
    with roundtrips() as rt:
        p.category = 2
        p.save()
    assert rt.count == 2  # the linked pk is looked up first


# Every test of this module runs against the sync API and against the asyncio one (conftest.api).
pytestmark = pytest.mark.usefixtures("api")
