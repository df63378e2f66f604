"""Big results are read in chunks that still come from one instant (readplans.rowsOp, rows.lua)."""

from __future__ import annotations

import pytest

import IndexedRedis.readplans as readplans
from IndexedRedis import IndexedRedisModel, IRField, scripts


class Item(IndexedRedisModel):
    FIELDS = [IRField("kind"), IRField("n", valueType=int), IRField("note")]
    INDEXED_FIELDS = ["kind"]
    KEY_NAME = "irtest:Item"


@pytest.fixture
def items(ir_db, monkeypatch):
    monkeypatch.setattr(readplans, "READ_CHUNK", 3)
    Item.saver.save([Item(kind="a" if i % 2 else "b", n=i, note=f"note {i}") for i in range(10)])
    return ir_db


@pytest.fixture
def _spy(execute_spy):
    return execute_spy


def _fetchCalls(spy, afterFetch=None):
    """Count fetch.lua / rows.lua calls; run ``afterFetch()`` after each fetch.lua call."""
    seen = {"fetch": 0, "rows": 0}

    def after(call):
        if call.script is scripts.FETCH:
            seen["fetch"] += 1
            if afterFetch is not None:
                afterFetch()
        elif call.script is scripts.ROWS:
            seen["rows"] += 1

    spy(after=after)
    return seen


def test_big_result_is_read_in_chunks(items, monkeypatch, _spy):
    seen = _fetchCalls(_spy)
    objs = Item.objects.all()
    assert sorted(o.n for o in objs) == list(range(10))
    assert seen == {"fetch": 1, "rows": 3}  # 3 rows with the pks, then 3 + 3 + 1
    only = Item.objects.filter(kind="a").allOnlyFields(["n"])
    assert sorted(o.n for o in only) == [1, 3, 5, 7, 9]
    assert all(o.note == o.FIELDS["note"].getDefaultValue() for o in only)
    assert seen == {"fetch": 2, "rows": 4}
    assert sorted(o.n for o in Item.objects.filter(kind__ne="a").allByAge()) == [0, 2, 4, 6, 8]


def test_small_result_is_one_call(items, monkeypatch, _spy):
    seen = _fetchCalls(_spy)
    assert list(Item.objects.filter(kind="zzz").all()) == []
    monkeypatch.setattr(readplans, "READ_CHUNK", 100)
    assert len(Item.objects.all()) == 10
    assert seen == {"fetch": 2, "rows": 0}


def test_a_write_between_chunks_restarts_the_read(items, monkeypatch, _spy):
    """The result must be all from before or all from after the write, never a mix."""
    victims = sorted(Item.objects.all(), key=lambda o: o.n)
    state = {"writes": 0}

    def writeOnce():
        if state["writes"] == 0:
            state["writes"] += 1
            for obj in victims:  # one atomic save changing every object
                obj.note = "changed"
            Item.saver.save(victims)

    seen = _fetchCalls(_spy, writeOnce)
    objs = Item.objects.all()
    assert {o.note for o in objs} == {"changed"}
    assert seen["fetch"] == 2  # the first chunked read was abandoned and started over


def test_writers_that_never_stop_end_in_one_whole_call(items, monkeypatch, _spy):
    victim = Item.objects.first()
    counter = {"i": 0}

    def writeAlways():
        counter["i"] += 1
        victim.note = f"write {counter['i']}"
        victim.save()

    seen = _fetchCalls(_spy, writeAlways)
    objs = Item.objects.all()
    assert len(objs) == 10
    assert seen["fetch"] == readplans.CHUNK_ATTEMPTS + 1
    # the last call read everything at once, before that call's own follow-up write
    got = [o.note for o in objs if o._id == victim._id][0]
    assert got == f"write {readplans.CHUNK_ATTEMPTS}"


def test_chunked_read_follows_a_reset(items, monkeypatch, _spy):
    """A reset between chunks moves the generation: the read is planned again on the new dataset."""
    state = {"done": False}

    def resetOnce():
        if not state["done"]:
            state["done"] = True
            Item.reset([Item(kind="c", n=100 + i, note="new") for i in range(7)])

    _fetchCalls(_spy, resetOnce)
    objs = Item.objects.all()
    assert sorted(o.n for o in objs) == [100 + i for i in range(7)]


def test_destroy_and_refill_between_chunks_is_not_mixed(ir_db, monkeypatch, _spy):
    """destroyModel deletes the write counter; a new one must not repeat the value a reader holds."""
    monkeypatch.setattr(readplans, "READ_CHUNK", 3)
    Item.deleter.destroyModel()
    Item.saver.save([Item(kind="a", n=i, note="old") for i in range(10)])  # one write: a fresh counter
    state = {"done": False}

    def destroyAndRefill():
        if not state["done"]:
            state["done"] = True
            Item.deleter.destroyModel()  # the counter and the pk counter go too
            Item.saver.save([Item(kind="a", n=100 + i, note="new") for i in range(10)])  # same pks, one write

    seen = _fetchCalls(_spy, destroyAndRefill)
    notes = {o.note for o in Item.objects.all()}
    assert notes == {"new"} and seen["fetch"] == 2


def test_destroy_between_chunks_of_data_without_a_counter_is_noticed(ir_db, monkeypatch, _spy):
    """Data in the 6.0.3 layout has no write counter; the first chunked read creates one."""
    monkeypatch.setattr(readplans, "READ_CHUNK", 3)
    Item.saver.save([Item(kind="a", n=i, note="old") for i in range(10)])
    ir_db.delete(b"_ir_|irtest:Item:ver")
    state = {"done": False}

    def destroyOnce():
        if not state["done"]:
            state["done"] = True
            Item.deleter.destroyModel()

    seen = _fetchCalls(_spy, destroyOnce)
    assert len(Item.objects.all()) == 0  # the state after the destroy, not 3 rows of the one before
    assert seen["fetch"] == 2


# Every test of this module runs against the sync API and against the asyncio one (conftest.api).
pytestmark = pytest.mark.usefixtures("api")
