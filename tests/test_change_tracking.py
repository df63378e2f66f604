"""Saves write exactly the fields that changed, whether assigned or changed in place."""

from __future__ import annotations

import copy
import pickle

from IndexedRedis import IndexedRedisModel, IRCompressedField, IRField, IRFixedPointField, IRPickleField
from IndexedRedis.codec import holdsImmutableValues
from IndexedRedis.fields import IRFieldChain, IRUnicodeField
from IndexedRedis.plans import changedStorage
from IndexedRedis.schema import getSchema


class Doc(IndexedRedisModel):
    FIELDS = [
        IRField("title"),
        IRField("n", valueType=int),
        IRFixedPointField("price", decimalPlaces=2),
        IRField("tags", valueType=list),
        IRField("meta", valueType=dict),
        IRPickleField("blob"),
        IRCompressedField("body"),
        IRFieldChain("text", [IRUnicodeField(encoding="utf-16"), IRCompressedField()]),
    ]
    INDEXED_FIELDS = ["title", "n"]
    KEY_NAME = "irtest:Doc"


def _changed(obj):
    return set(changedStorage(getSchema(Doc), obj))


def test_which_fields_count_as_immutable():
    kinds = {f.name: holdsImmutableValues(f) for f in Doc.FIELDS}
    assert kinds == {
        "title": True,
        "n": True,
        "price": True,
        "tags": False,
        "meta": False,
        "blob": False,
        "body": True,
        "text": False,
    }


def test_assignments_and_in_place_changes_are_both_saved(ir_db):
    d = Doc(title="a", n=1, price=1.5, tags=["x"], meta={"k": 1}, blob={"s": {1}}, body=b"zz", text="héllo")
    d.save()
    got = Doc.objects.get(d._id)
    assert _changed(got) == set()
    got.n = 2  # assignment
    got.tags.append("y")  # in place
    got.meta["k"] = 2  # in place
    got.blob["s"].add(2)  # in place, pickled
    assert _changed(got) == {"n", "tags", "meta", "blob"}
    got.save()
    assert _changed(got) == set()
    again = Doc.objects.get(d._id)
    assert (again.n, again.tags, again.meta, again.blob) == (2, ["x", "y"], {"k": 2}, {"s": {1, 2}})
    assert Doc.objects.filter(n=2).count() == 1 and Doc.objects.filter(n=1).count() == 0
    again.title = "a"  # assigned the same value: nothing to write
    assert _changed(again) == set()
    del again.price  # back to the default
    assert _changed(again) == {"price"}


def test_copies_and_pickles_keep_pending_changes(ir_db):
    d = Doc(title="a", n=1)
    d.save()
    got = Doc.objects.get(d._id)
    got.n = 5
    for other in (copy.copy(got), copy.deepcopy(got), pickle.loads(pickle.dumps(got))):
        assert "n" in _changed(other)
    twin = copy.copy(got)
    got.save()
    assert Doc.objects.get(d._id).n == 5
    twin.title = "b"
    twin.save()  # the copy still writes what it changed
    final = Doc.objects.get(d._id)
    assert (final.title, final.n) == ("b", 5)


def test_reload_clears_assignments(ir_db):
    d = Doc(title="a", n=1)
    d.save()
    got = Doc.objects.get(d._id)
    got.n = 9
    got.reload()
    assert got.n == 1 and _changed(got) == set()


def test_a_field_missing_from_the_stored_hash_is_written_on_the_next_save(ir_db):
    d = Doc(title="a", n=1)
    d.save()
    ir_db.hdel(f"_ir_|irtest:Doc:data:{d._id}".encode(), b"title")
    ir_db.srem(b"_ir_|irtest:Doc:idx:title:a", d._id)
    got = Doc.objects.get(d._id)
    got.n = 2
    assert _changed(got) == {"n", "title"}
    got.save()
    assert Doc.objects.verify().ok
