"""The index key registry: kept exact by the write scripts, built once for data without one, and
what lets reset, verify, repair, reindex and destroyModel ignore the rest of the keyspace."""

from __future__ import annotations

import pytest

from IndexedRedis import IndexedRedisModel, IRField
from IndexedRedis.keys import REGISTRY_COMPLETE, REGISTRY_OPEN
from IndexedRedis.schema import getSchema


class Shelf(IndexedRedisModel):
    FIELDS = [IRField("room"), IRField("n", valueType=int), IRField("label")]
    INDEXED_FIELDS = ["room", "n"]
    KEY_NAME = "irtest:Shelf"


P = b"_ir_|irtest:Shelf:"


def _layout():
    schema = getSchema(Shelf)
    return schema.layoutFor(schema.knownGeneration(schema.client()))


def _registered(db) -> set:
    layout = _layout()
    return set(db.smembers(layout.registryKey)) - {REGISTRY_OPEN, REGISTRY_COMPLETE}


def _indexKeys(db) -> set:
    return set(db.scan_iter(match=_layout().idxPrefix.replace(b"[", b"\\[") + b"*", count=1000))


def test_reset_starts_a_complete_registry_that_writes_keep_exact(ir_db):
    Shelf.reset([Shelf(room=f"r{i % 3}", n=i) for i in range(6)])
    layout = _layout()
    assert ir_db.sismember(layout.registryKey, REGISTRY_COMPLETE)
    assert _registered(ir_db) == _indexKeys(ir_db) and len(_indexKeys(ir_db)) == 3 + 6
    objs = Shelf.objects.all()
    for o in objs:
        o.room = "moved"  # the r0/r1/r2 sets empty: they leave the registry
    Shelf.saver.save(objs)
    assert _registered(ir_db) == _indexKeys(ir_db)
    assert layout.idx("room", "r1") not in _registered(ir_db)
    Shelf.objects.filter(n=3).delete()
    Shelf.deleter.deleteByPk(objs[0]._id)
    assert _registered(ir_db) == _indexKeys(ir_db)
    Shelf(room="new", n=99).save()
    assert _registered(ir_db) == _indexKeys(ir_db)
    assert Shelf.objects.reindex() == len(_indexKeys(ir_db))
    assert _registered(ir_db) == _indexKeys(ir_db)
    assert Shelf.objects.verify().ok


def test_data_without_registry_gets_one_on_the_first_verify(ir_db, roundtrips):
    Shelf.saver.save([Shelf(room="a", n=i) for i in range(5)])  # generation 0: never reset
    layout = _layout()
    assert not ir_db.exists(layout.registryKey)  # writers keep only a registry that exists
    with roundtrips() as rt:
        report = Shelf.objects.verify()
    assert report.ok and report.registryBuilt and "SCAN" in rt.commands
    assert _registered(ir_db) == _indexKeys(ir_db)
    Shelf(room="b", n=7).save()  # kept from now on
    assert _registered(ir_db) == _indexKeys(ir_db)
    with roundtrips() as rt:
        report = Shelf.objects.verify()
    assert report.ok and not report.registryBuilt and "SCAN" not in rt.commands


def test_an_index_key_the_registry_misses_is_reported_and_registered_by_repair(ir_db):
    Shelf.reset([Shelf(room="a", n=1)])
    layout = _layout()
    ir_db.srem(layout.registryKey, layout.idx("room", "a"))  # as a 6.x client writing the data would leave it
    report = Shelf.objects.verify()
    assert report.unregisteredKeys == [layout.idx("room", "a")]
    assert "not in the key registry" in str(report)
    assert Shelf.objects.repair().ok
    assert layout.idx("room", "a") in _registered(ir_db)


@pytest.mark.parametrize("what", ["reset", "verify", "repair", "reindex", "destroyModel"])
def test_model_wide_operations_never_scan_the_keyspace(real_db, roundtrips, what):
    real_db.mset({f"unrelated:{i}": b"v" for i in range(2000)})
    Shelf.reset([Shelf(room="a", n=i) for i in range(4)])
    run = {
        "reset": lambda: Shelf.reset([Shelf(room="b", n=i) for i in range(4)]),
        "verify": Shelf.objects.verify,
        "repair": Shelf.objects.repair,
        "reindex": Shelf.objects.reindex,
        "destroyModel": Shelf.deleter.destroyModel,
    }[what]
    with roundtrips() as rt:
        run()
    assert "SCAN" not in rt.commands and "KEYS" not in rt.commands, rt.commands
    assert rt.count <= 12, rt.commands
    if what == "destroyModel":
        assert list(real_db.scan_iter(match=b"_ir_|irtest:Shelf:*")) == []
    assert real_db.dbsize() >= 2000


def _abandonBuild(db, gen: int, rows: int) -> None:
    """The keys a reset whose client died mid-build leaves: a listed generation, no marker."""
    schema = getSchema(Shelf)
    layout = schema.layout.forGen(gen)
    pipe = db.pipeline(transaction=False)
    pipe.sadd(schema.layout.gensKey, gen)
    pipe.sadd(layout.registryKey, REGISTRY_OPEN, REGISTRY_COMPLETE)
    for pk in range(1000, 1000 + rows):
        pipe.hset(layout.data(pk), mapping={b"room": b"x", b"n": str(pk).encode()})
        pipe.sadd(layout.keysKey, pk)
        pipe.sadd(layout.idx("n", str(pk)), pk)
        pipe.sadd(layout.registryKey, layout.idx("n", str(pk)))
    pipe.execute()


def test_verify_cost_does_not_grow_with_keys_of_other_generations(real_db, roundtrips):
    Shelf.reset([Shelf(room="a", n=i) for i in range(4)])
    counts = []
    for gen, rows in ((500, 10), (501, 3000)):
        _abandonBuild(real_db, gen, rows)
        with roundtrips() as rt:
            report = Shelf.objects.verify()
        counts.append((rt.count, len(rt.commands)))
        assert report.leftoverGenerations == [(gen, 2 * rows)]
        if gen == 500:
            assert Shelf.objects.repair().ok
    assert counts[0] == counts[1], counts
    with roundtrips() as rt:
        assert Shelf.objects.repair().ok
    # 6,020 keys in about 12 UNLINK batches: nowhere near one round trip per key
    assert rt.count < 60, rt.count
    assert sorted(int(g) for g in real_db.smembers(P + b"gens")) == [int(real_db.get(P + b"gen"))]
