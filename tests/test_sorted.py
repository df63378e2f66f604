"""Sorted indexes (SORTED_FIELDS): ranges, IN, ordering and slices answered by the server."""

from __future__ import annotations

import datetime
import multiprocessing
import time
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from IndexedRedis import (
    IndexedRedisModel,
    InvalidModelException,
    InvalidQueryError,
    InvalidValueError,
    IRField,
    IRFixedPointField,
    clearRedisPools,
    irNull,
    setDefaultRedisConnectionParams,
)
from IndexedRedis import sorting


class Item(IndexedRedisModel):
    FIELDS = [
        IRField("name"),
        IRField("n", valueType=int),
        IRFixedPointField("price", decimalPlaces=2),
        IRField("flag", valueType=bool),
        IRField("when", valueType=datetime.datetime),
        IRField("day", valueType=datetime.date),
        IRField("ratio", valueType=float),
        IRField("cat"),
    ]
    INDEXED_FIELDS = ["cat", "n"]
    SORTED_FIELDS = ["name", "n", "price", "flag", "when", "day", "ratio"]
    KEY_NAME = "irtest:SortedItem"


def _zset(db, field):
    return db.zrange(b"_ir_|irtest:SortedItem:sort:" + field.encode(), 0, -1, withscores=True)


def test_sorted_set_layout_is_pinned(ir_db):
    a = Item(name="b", n=-3, price=1.5, flag=True, when=datetime.datetime(1970, 1, 2, 0, 0, 1, 5), day=datetime.date(1970, 1, 11))
    a.save()
    b = Item(name="a", n=7, price="0.25", flag=False, ratio=0.5, cat="x")
    b.save()
    assert _zset(ir_db, "n") == [(b"%020d" % a._id, -3.0), (b"%020d" % b._id, 7.0)]
    assert _zset(ir_db, "price") == [(b"%020d" % b._id, 25.0), (b"%020d" % a._id, 150.0)]
    assert _zset(ir_db, "flag") == [(b"%020d" % b._id, 0.0), (b"%020d" % a._id, 1.0)]
    assert _zset(ir_db, "when") == [(b"%020d" % b._id, float("-inf")), (b"%020d" % a._id, 86_401_000_005.0)]
    assert _zset(ir_db, "day") == [(b"%020d" % b._id, float("-inf")), (b"%020d" % a._id, 10.0)]
    assert _zset(ir_db, "name") == [(b"\x01a\x00%020d" % b._id, 0.0), (b"\x01b\x00%020d" % a._id, 0.0)]
    b.name = None
    b.save()
    assert _zset(ir_db, "name")[0] == (b"\x00%020d" % b._id, 0.0)
    a.delete()
    assert [m for m, _ in _zset(ir_db, "n")] == [b"%020d" % b._id]


values = st.fixed_dictionaries(
    {
        "name": st.one_of(st.none(), st.text(alphabet="abcé", max_size=4)),
        "n": st.one_of(st.none(), st.integers(-(2**53), 2**53)),
        "price": st.one_of(st.none(), st.decimals(min_value=-(10**9), max_value=10**9, places=2, allow_nan=False)),
        "flag": st.one_of(st.none(), st.booleans()),
        "when": st.one_of(
            st.none(),
            st.datetimes(min_value=datetime.datetime(1700, 1, 1), max_value=datetime.datetime(2250, 1, 1)),
            st.datetimes(
                min_value=datetime.datetime(1800, 1, 1),
                max_value=datetime.datetime(2200, 1, 1),
                timezones=st.just(datetime.timezone(datetime.timedelta(hours=-5, minutes=-30))),
            ),
        ),
        "day": st.one_of(st.none(), st.dates(min_value=datetime.date(1, 1, 1), max_value=datetime.date(9999, 12, 31))),
        "ratio": st.one_of(st.none(), st.floats(allow_nan=False, allow_infinity=False, width=64)),
    }
)


@given(values)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_scripts_and_python_score_alike(real_db, vals):
    """lib.lua (on save) and sorting.py (for bounds and reindex) give every value the same place."""
    obj = Item(**{k: v for k, v in vals.items() if v is not None})
    obj.save()
    raw = real_db.hgetall(b"_ir_|irtest:SortedItem:data:%d" % obj._id)
    for field, kind in Item._ir_getSchema().sortedFields:
        stored = raw.get(field.name.encode())
        want = sorting.member(kind, obj._id, stored)
        got = dict(_zset(real_db, field.name))
        assert want in got, (field.name, stored)
        if kind != "l":
            s = sorting.score(kind, stored)
            assert got[want] == (float("-inf") if s == "-inf" else float(s)), (field.name, stored)
    obj.delete()


def test_values_beyond_exact_scores_are_refused(ir_db):
    with pytest.raises(InvalidValueError, match="SORTED_FIELDS.*2\\*\\*53"):
        Item(n=2**53 + 1).save()
    assert Item.objects.count() == 0


def test_bad_declarations_and_filters():
    bad = type(
        "BadSorted",
        (IndexedRedisModel,),
        {"FIELDS": [IRField("tags", valueType=list)], "SORTED_FIELDS": ["tags"], "KEY_NAME": "x:b"},
    )
    with pytest.raises(InvalidModelException, match="cannot be in SORTED_FIELDS"):
        bad()
    missing = type("MissingSorted", (IndexedRedisModel,), {"FIELDS": [IRField("a")], "SORTED_FIELDS": ["b"], "KEY_NAME": "x:m"})
    with pytest.raises(InvalidModelException, match="'b' is not in FIELDS"):
        missing()
    with pytest.raises(InvalidQueryError, match="needs a sorted index on 'cat'"):
        Item.objects.filter(cat__gt="a")
    with pytest.raises(InvalidQueryError, match="order_by\\('cat'\\) needs a sorted index"):
        Item.objects.order_by("cat")
    with pytest.raises(InvalidQueryError, match="__startswith is for text"):
        Item.objects.filter(n__startswith=1)
    with pytest.raises(InvalidQueryError, match="not indexed"):
        Item.objects.filter(name__in=["a"])
    with pytest.raises(InvalidQueryError, match="negative"):
        Item.objects.order_by("n")[-1]


# ----------------------------------------------------------------------------- against brute force
rows = st.lists(
    st.fixed_dictionaries(
        {
            "name": st.one_of(st.none(), st.text(alphabet="abc", max_size=3)),
            "n": st.one_of(st.none(), st.integers(-5, 5)),
            "price": st.one_of(st.none(), st.sampled_from([Decimal("0.50"), Decimal("1.00"), Decimal("-2.25"), Decimal("3.00")])),
            "cat": st.sampled_from(["x", "y", "z"]),
        }
    ),
    max_size=25,
)
conditions = st.lists(
    st.one_of(
        st.tuples(st.just("cat"), st.sampled_from(["eq", "ne"]), st.sampled_from(["x", "y", "z"])),
        st.tuples(st.just("cat"), st.just("in"), st.lists(st.sampled_from(["x", "y", "z"]), min_size=1, max_size=2)),
        st.tuples(st.just("n"), st.sampled_from(["gt", "gte", "lt", "lte"]), st.integers(-6, 6)),
        st.tuples(st.just("n"), st.just("range"), st.tuples(st.integers(-6, 6), st.integers(-6, 6))),
        st.tuples(
            st.just("price"), st.sampled_from(["gt", "lte"]), st.sampled_from([Decimal("0.5"), Decimal("1"), Decimal("-3")])
        ),
        st.tuples(
            st.just("name"), st.sampled_from(["gt", "gte", "lt", "lte", "startswith"]), st.text(alphabet="abc", max_size=2)
        ),
    ),
    max_size=3,
)


def _holds(obj, field, op, value):
    v = getattr(obj, field)
    if op == "eq":
        return v == value
    if op == "ne":
        return v != value
    if op == "in":
        return v in value
    if v is irNull:
        return False
    if field == "price":
        v = Decimal(str(v))
    if field == "name":
        v = v.encode()
        value = value.encode() if not isinstance(value, tuple) else value
    if op == "startswith":
        return v.startswith(value)
    if op == "range":
        lo, hi = value
        return lo <= v <= hi
    return {"gt": v > value, "gte": v >= value, "lt": v < value, "lte": v <= value}[op]


def _sortKey(obj, field):
    v = getattr(obj, field)
    if v is irNull:
        return (0, b"" if field == "name" else 0)
    return (1, v.encode() if field == "name" else v)


@given(
    rows,
    conditions,
    st.sampled_from([None, "n", "-n", "price", "-price", "name", "-name"]),
    st.integers(0, 6),
    st.one_of(st.none(), st.integers(0, 6)),
)
@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_queries_match_brute_force(ir_db, data, conds, order, start, length):
    for key in ir_db.scan_iter(match=b"_ir_|irtest:SortedItem:*"):
        ir_db.delete(key)
    objs = [Item(**{k: v for k, v in d.items() if v is not None}) for d in data]
    if objs:
        Item.saver.save(objs)
    query = Item.objects.filter(**{f"{f}__{op}" if op != "eq" else f: v for f, op, v in conds[:1]})
    for f, op, v in conds[1:]:
        query = query.filter(**{f"{f}__{op}" if op != "eq" else f: v})
    expected = [o for o in objs if all(_holds(o, f, op, v) for f, op, v in conds)]
    if order:
        field = order.lstrip("-")
        desc = order.startswith("-")
        expected.sort(key=lambda o: (_sortKey(o, field), o._id), reverse=desc)
        query = query.order_by(order)
    else:
        expected.sort(key=lambda o: o._id)
    stop = None if length is None else start + length
    sliced = query[start:stop]
    want = [o._id for o in expected[start:stop]]
    got = [o._id for o in sliced.all()]
    if not order:
        got = sorted(got)
    assert got == want
    assert sliced.count() == len(want)
    assert sorted(query.getPrimaryKeys()) == sorted(o._id for o in expected)
    assert query.count() == len(expected)
    first = query.first()
    if order:
        assert (first._id if first else None) == (expected[0]._id if expected else None)
        last = query.last()
        assert (last._id if last else None) == (expected[-1]._id if expected else None)


def test_ordered_page_is_one_round_trip(real_db, roundtrips):
    Item.saver.save([Item(n=i, price=i / 4, cat="x" if i % 2 else "y") for i in range(300)])
    Item.objects.filter(price__gte=1).order_by("-price")[:20].all()  # scripts loaded
    with roundtrips() as rt:
        page = Item.objects.filter(price__range=(10, 40), cat="x").order_by("-price")[:20].all()
    assert rt.count == 1 and len(page) == 20 and page[0].price == 39.75
    with roundtrips() as rt:
        assert Item.objects.filter(n__gte=100).count() == 200
    assert rt.count == 1


def test_an_empty_slice_of_an_ordered_query_is_empty(ir_db):
    Item.saver.save([Item(n=i, cat="x") for i in range(5)])
    for order in ("n", "-n"):
        assert Item.objects.order_by(order)[0:0].all() == [] and Item.objects.order_by(order)[2:2].all() == []
        assert Item.objects.filter(cat="x").order_by(order)[1:1].all() == []
        assert Item.objects.order_by(order)[1:3].count() == 2 and Item.objects.order_by(order)[3:3].count() == 0


def test_at_index_reads_one_row_in_one_round_trip(real_db, roundtrips):
    Item.saver.save([Item(n=i, cat="x" if i % 2 else "y") for i in range(30)])
    query = Item.objects.filter(cat="x").order_by("-n")
    query.at(0)  # scripts loaded
    with roundtrips() as rt:
        third = query.at(2)
    assert rt.count == 1 and third.n == 25
    with roundtrips() as rt:
        assert query[3].n == 23
    assert rt.count == 1
    with pytest.raises(IndexError, match="no result at index 15"):
        query.at(15)
    with pytest.raises(InvalidQueryError, match="negative"):
        query.at(-1)
    with pytest.raises(InvalidQueryError, match="int index"):
        query.at("2")


def test_reindex_builds_sorted_sets(real_db):
    Item.saver.save([Item(n=i, name=f"n{i}") for i in range(30)])
    before = {f: _zset(real_db, f) for f in ("n", "name")}
    real_db.delete(b"_ir_|irtest:SortedItem:sort:n", b"_ir_|irtest:SortedItem:sort:name")
    assert Item.objects.filter(n__gte=0).count() == 0
    Item.objects.reindex()
    assert {f: _zset(real_db, f) for f in ("n", "name")} == before
    assert Item.objects.filter(n__gte=10).count() == 20


def test_big_range_delete_in_steps(real_db):
    Item.saver.save([Item(n=i, cat="x") for i in range(1200)])
    assert Item.objects.filter(n__gte=100, cat="x").delete() == 1100
    assert Item.objects.count() == 100 and Item.objects.filter(n__lt=100).count() == 100
    assert Item.objects.verify().ok


def _mover(url: str, pks, seconds: float) -> None:
    clearRedisPools()
    setDefaultRedisConnectionParams({"url": url})
    deadline = time.monotonic() + seconds
    i = 0
    while time.monotonic() < deadline:
        obj = Item.objects.get(pks[i % len(pks)])
        obj.n = (obj.n + 37) % 100
        obj.save()
        i += 1


def test_ranges_stay_exact_under_concurrent_updates(real_db, redis_server_url):
    objs = [Item(n=i % 100, cat="x") for i in range(200)]
    Item.saver.save(objs)
    ctx = multiprocessing.get_context("fork")
    procs = [ctx.Process(target=_mover, args=(redis_server_url, [o._id for o in objs[k::2]], 2.0)) for k in range(2)]
    for p in procs:
        p.start()
    reads = 0
    while any(p.is_alive() for p in procs):
        got = Item.objects.filter(n__range=(20, 40)).all()
        assert all(20 <= o.n <= 40 for o in got)  # never an object outside its range
        page = Item.objects.order_by("-n")[:10].all()
        assert [o.n for o in page] == sorted((o.n for o in page), reverse=True)
        reads += 1
    for p in procs:
        p.join()
        assert p.exitcode == 0
    assert reads > 5
    assert Item.objects.verify().ok  # indexes and sorted sets agree with the data
    final = Item.objects.all()
    assert sorted(o._id for o in Item.objects.filter(n__range=(20, 40)).all()) == sorted(o._id for o in final if 20 <= o.n <= 40)


def test_verify_and_repair_sorted_sets(real_db):
    objs = [Item(n=i, name=f"n{i}") for i in range(20)]
    Item.saver.save(objs)
    assert Item.objects.verify().ok
    real_db.zrem(b"_ir_|irtest:SortedItem:sort:n", b"%020d" % objs[3]._id)  # missing
    real_db.zadd(b"_ir_|irtest:SortedItem:sort:n", {b"%020d" % objs[4]._id: 999})  # wrong score
    real_db.zadd(b"_ir_|irtest:SortedItem:sort:name", {b"\x01zz\x00%020d" % 777: 0})  # of no object
    report = Item.objects.verify()
    assert sorted(report.sortedMisplaced) == [("n", objs[3]._id), ("n", objs[4]._id)]
    assert report.sortedExtra == [("name", 21, 20)]
    assert "sorted set of 'n': pk" in str(report)
    assert Item.objects.repair().ok
    assert Item.objects.filter(n__gte=3, n__lte=4).count() == 2 and Item.objects.order_by("-n")[0].n == 19


# Every test of this module runs against the sync API and against the asyncio one (conftest.api).
pytestmark = pytest.mark.usefixtures("api")
