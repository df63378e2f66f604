"""reset(): readers see the old dataset or the new one, never a mix; failures leave the old one intact."""

from __future__ import annotations

import multiprocessing

import pytest

from IndexedRedis import (
    IndexedRedisModel,
    IRField,
    ObjectNotFoundError,
    RedisOperationError,
    clearRedisPools,
    setDefaultRedisConnectionParams,
)
from IndexedRedis.reset import dropGeneration


class Row(IndexedRedisModel):
    FIELDS = [IRField("batch"), IRField("n", valueType=int), IRField("payload")]
    INDEXED_FIELDS = ["batch", "n"]
    KEY_NAME = "irtest:Row"


def _rows(batch: str, count: int):
    for i in range(count):
        yield Row(batch=batch, n=i % 10, payload="x" * 20)


def _keys(db) -> list:
    return sorted(k for k in db.scan_iter(match=b"_ir_|irtest:Row:*", count=1000))


def test_reset_replaces_everything(ir_db):
    Row.saver.save(list(_rows("A", 50)))
    pks = Row.reset(_rows("B", 30))
    assert len(pks) == 30 and len(set(pks)) == 30
    assert Row.objects.count() == 30
    assert Row.objects.filter(batch="A").count() == 0
    assert sorted(Row.objects.filter(batch="B").getPrimaryKeys()) == sorted(pks)
    assert Row.objects.filter(batch="B", n=3).count() == 3
    # Nothing of the old dataset is left: only the new generation and the shared counters.
    keys = _keys(ir_db)
    assert all(b":gen" in k or k.endswith(b":next") for k in keys), keys
    assert Row.objects.verify().ok


def test_reset_twice_and_to_empty(ir_db):
    Row.reset(_rows("A", 10))
    Row.reset(_rows("B", 10))
    assert {o.batch for o in Row.objects.all()} == {"B"}
    Row.reset([])
    assert Row.objects.count() == 0
    assert Row.objects.all() == []
    Row.saver.save(Row(batch="C", n=1))
    assert Row.objects.filter(batch="C").count() == 1


def test_new_pks_never_reuse_old_ones(ir_db):
    old = Row.reset(_rows("A", 5))
    new = Row.reset(_rows("B", 5))
    assert min(new) > max(old)


def test_reset_streams_an_iterator_in_chunks(ir_db, monkeypatch):
    import IndexedRedis.reset as reset_module

    monkeypatch.setattr(reset_module, "RESET_CHUNK", 7)
    calls = []
    original = reset_module.saveCall

    def counting(layout, entries, **kwargs):
        calls.append(len(entries))
        return original(layout, entries, **kwargs)

    monkeypatch.setattr(reset_module, "saveCall", counting)
    pks = Row.reset(_rows("S", 50))
    assert len(pks) == 50
    assert calls == [7] * 7 + [1]
    assert Row.objects.count() == 50


def test_error_while_producing_objects_leaves_old_dataset_and_no_garbage(ir_db):
    Row.reset(_rows("A", 20))
    before = _keys(ir_db)

    def broken():
        yield from _rows("B", 2500)  # more than one chunk is written before the error
        raise RuntimeError("SQL went away")

    with pytest.raises(RuntimeError, match="SQL went away"):
        Row.reset(broken())
    assert Row.objects.count() == 20
    assert {o.batch for o in Row.objects.all()} == {"A"}
    after = [k for k in _keys(ir_db) if not k.endswith(b":gennext")]
    assert after == [k for k in before if not k.endswith(b":gennext")]
    assert Row.objects.verify().ok


def test_bad_value_in_new_objects_leaves_old_dataset(ir_db):
    Row.reset(_rows("A", 5))
    bad = Row(batch="B", n=1)
    bad.__dict__["n"] = object()  # bypasses assignment checks: fails when converted for storage
    with pytest.raises(Exception) as info:
        Row.reset([Row(batch="B", n=2), bad])
    assert "Row" in str(info.value)
    assert {o.batch for o in Row.objects.all()} == {"A"}


def test_client_with_stale_generation_follows_the_pointer(ir_db):
    Row.reset(_rows("A", 5))
    other = Row.connectAlt({})  # same server, its own schema and generation cache
    assert other.objects.count() == 5
    Row.reset(_rows("B", 3))
    # `other` still believes the previous generation is current; every kind of call must follow.
    assert other.objects.count() == 3
    assert {o.batch for o in other.objects.all()} == {"B"}
    pk = Row.objects.getPrimaryKeys()[0]
    Row.reset(_rows("C", 4))
    assert other.objects.get(pk) is None
    assert other.objects.filter(batch="C").count() == 4
    obj = other.objects.first()
    Row.reset(_rows("D", 4))
    obj.payload = "changed"
    with pytest.raises(ObjectNotFoundError):
        obj.save()  # its row was replaced by the reset: not resurrected into the new dataset
    assert Row.objects.filter(batch="D").count() == 4 and Row.objects.count() == 4


def test_6x_layout_is_generation_zero_and_is_replaced(ir_db):
    # Data as IndexedRedis 6.x writes it.
    ir_db.hset(b"_ir_|irtest:Row:data:1", mapping={b"batch": b"old", b"n": b"1", b"payload": b"p"})
    ir_db.sadd(b"_ir_|irtest:Row:keys", b"1")
    ir_db.sadd(b"_ir_|irtest:Row:idx:batch:old", b"1")
    ir_db.sadd(b"_ir_|irtest:Row:idx:n:1", b"1")
    ir_db.set(b"_ir_|irtest:Row:next", b"1")
    assert [o.batch for o in Row.objects.filter(batch="old").all()] == ["old"]
    Row.reset(_rows("new", 3))
    assert not ir_db.exists(b"_ir_|irtest:Row:data:1", b"_ir_|irtest:Row:keys", b"_ir_|irtest:Row:idx:batch:old")
    assert Row.objects.count() == 3


def test_verify_reports_an_abandoned_build_and_repair_removes_it(ir_db):
    from IndexedRedis.schema import getSchema

    Row.reset(_rows("A", 3))
    schema = getSchema(Row)
    abandoned = schema.layout.forGen(99)
    ir_db.hset(abandoned.data(500), b"batch", b"Z")
    ir_db.sadd(abandoned.keysKey, b"500")
    # Written by hand, generation 99 is in no list of the model: only a deep verify (a SCAN of
    # the keyspace) finds it, and from then on it is listed.
    assert Row.objects.verify().ok
    report = Row.objects.verify(deep=True)
    assert not report.ok and [g for g, _ in report.leftoverGenerations] == [99]
    assert [g for g, _ in Row.objects.verify().leftoverGenerations] == [99]
    # While its building marker lives, a build in progress is not garbage.
    ir_db.set(abandoned.buildingKey, b"1", ex=60)
    assert Row.objects.verify().ok
    ir_db.delete(abandoned.buildingKey)
    assert Row.objects.repair().ok
    assert not ir_db.exists(abandoned.data(500))
    assert dropGeneration(schema, 99) == 0


def _reader(url: str, stop, bad, reads) -> None:
    clearRedisPools()
    setDefaultRedisConnectionParams({"url": url})
    while not stop.is_set():
        rows = Row.objects.all()
        batches = {r.batch for r in rows}
        if len(batches) != 1 or len(rows) != 400:
            bad.value += 1
        for batch in batches:
            if Row.objects.filter(batch=batch).count() not in (0, 400):
                bad.value += 1
        reads.value += 1


def test_readers_never_see_a_mix_during_back_to_back_resets(real_db, redis_server_url):
    Row.reset(_rows("gen-start", 400))
    ctx = multiprocessing.get_context("fork")
    stop, bad, reads = ctx.Event(), ctx.Value("i", 0), ctx.Value("i", 0)
    readers = [ctx.Process(target=_reader, args=(redis_server_url, stop, bad, reads)) for _ in range(2)]
    for p in readers:
        p.start()
    try:
        import IndexedRedis.reset as reset_module

        original = reset_module.RESET_CHUNK
        reset_module.RESET_CHUNK = 50  # many build steps per reset: many chances to catch a half-done one
        try:
            i = 0
            # at least 25 resets, and on until the readers have checked at least 50 results
            # (a slow machine slows both sides); bounded either way
            while (i < 25 or reads.value < 50) and i < 400:
                Row.reset(_rows(f"gen-{i}", 400))
                i += 1
        finally:
            reset_module.RESET_CHUNK = original
    finally:
        stop.set()
        for p in readers:
            p.join(60)
    assert reads.value >= 50
    assert bad.value == 0


def test_error_with_a_chunk_in_flight_waits_for_it_then_cleans_up(ir_db, monkeypatch):
    """The generator fails while the previous chunk is still being written: nothing is left behind."""
    import IndexedRedis.reset as reset_module

    monkeypatch.setattr(reset_module, "RESET_CHUNK", 5)
    Row.reset(_rows("old", 3))
    before = sorted(ir_db.scan_iter(match=b"_ir_|irtest:Row:*"))

    def rows():
        yield from _rows("new", 12)  # two chunks sent, the third still being gathered
        raise RuntimeError("source failed")

    with pytest.raises(RuntimeError, match="source failed"):
        Row.reset(rows())
    assert sorted(o.batch for o in Row.objects.all()) == ["old"] * 3
    after = sorted(k for k in ir_db.scan_iter(match=b"_ir_|irtest:Row:*") if k != b"_ir_|irtest:Row:gennext")
    assert after == [k for k in before if k != b"_ir_|irtest:Row:gennext"]
    assert Row.objects.verify().ok
    # the pooled connection is still usable
    assert Row.objects.count() == 3


def test_reset_after_script_flush_loads_its_scripts_again(ir_db, monkeypatch):
    import IndexedRedis.reset as reset_module

    monkeypatch.setattr(reset_module, "RESET_CHUNK", 4)
    Row.reset(_rows("A", 3))
    ir_db.script_flush()
    assert len(Row.reset(_rows("B", 10))) == 10
    assert sorted(o.n for o in Row.objects.filter(batch="B").all()) == list(range(10))
    assert Row.objects.verify().ok


@pytest.mark.parametrize("retried", [False, True])
def test_a_lost_reply_of_the_switch_never_deletes_the_current_dataset(real_db, execute_spy, retried):
    import redis

    from IndexedRedis import scripts

    Row.reset(_rows("old", 3))

    def lossy(call):
        if call.script is scripts.SWAP_GENERATION:
            # the switch runs on the server, and a client configured to retry sends it again
            if retried:
                return 2, None
            return 1, redis.exceptions.ConnectionError("connection lost before the reply")
        return 1, None

    restore = execute_spy(before=lossy)
    # With a retry, the retry finds the switch done; without, reset reads the pointer and finds its
    # generation current. Either way the reset succeeded, and says so.
    pks = Row.reset(_rows("new", 5))
    assert len(pks) == 5
    restore()
    assert sorted(o.batch for o in Row.objects.all()) == ["new"] * 5
    leftovers = Row.objects.verify()
    if retried:
        # the retried switch does not say which generation it replaced, but the replaced one is
        # listed in `gens` with no marker: the reset reclaims it before returning
        assert leftovers.ok, str(leftovers)
    else:
        # the reset raised before its drop phase: the old generation is listed...
        assert leftovers.leftoverGenerations and not (leftovers.missingEntries or leftovers.staleEntries)
    assert Row.objects.repair().ok  # ...and removed by repair
    assert sorted(o.batch for o in Row.objects.all()) == ["new"] * 5


def test_when_the_switch_cannot_be_confirmed_the_objects_keep_their_new_pks(real_db, execute_spy):
    import redis

    from IndexedRedis import scripts

    Row.reset(_rows("old", 2))
    state = {"swapped": False}

    def lossy(call):
        if call.script is scripts.SWAP_GENERATION:
            state["swapped"] = True
            return 1, redis.exceptions.ConnectionError("reply lost")
        if state["swapped"] and call.command and call.command[0] == "GET":
            return 0, redis.exceptions.ConnectionError("still down")
        return 1, None

    restore = execute_spy(before=lossy)
    objs = list(_rows("new", 3))
    with pytest.raises(RedisOperationError):
        Row.reset(objs)
    restore()
    assert sorted(o._id for o in Row.objects.all()) == sorted(o._id for o in objs)  # N is current, pks kept
    objs[0].payload = "edited"
    objs[0].save()  # an update, not a second row
    assert Row.objects.count() == 3


# Every test of this module runs against the sync API and against the asyncio one (conftest.api).
pytestmark = pytest.mark.usefixtures("api")
