"""Model.migrate(): the stored definition is compared with the model's; a change is rebuilt into a
new generation while writers keep writing, and no acknowledged write is lost."""

from __future__ import annotations

import json
import multiprocessing
import random
import time

import pytest

from IndexedRedis import (
    DefinitionMismatchError,
    IndexedRedisModel,
    IRField,
    MigrationError,
    clearRedisPools,
    setDefaultRedisConnectionParams,
)
from IndexedRedis.fields import IRFixedPointField, IRPickleField
from IndexedRedis.keys import KeyLayout
from IndexedRedis.migrate import describeModel, rebuildField
from IndexedRedis.schema import getSchema

KEY = "irtest:Mig"


class V1(IndexedRedisModel):
    FIELDS = [IRField("owner"), IRField("n"), IRField("tag"), IRField("dropme")]
    INDEXED_FIELDS = ["owner", "tag"]
    KEY_NAME = KEY


class V2(IndexedRedisModel):
    """V1 after: n became an int and indexed, tag hashed, 'dropme' dropped, 'extra' added."""

    FIELDS = [IRField("owner"), IRField("n", valueType=int), IRField("tag", hashIndex=True), IRField("extra", defaultValue="e")]
    INDEXED_FIELDS = ["owner", "tag", "n"]
    KEY_NAME = KEY


def _pointer(db) -> bytes:
    return db.get(KeyLayout(KEY).genKey)


def _modelKeys(db) -> list:
    return sorted(db.scan_iter(match=b"_ir_|irtest:Mig:*", count=1000))


def _asTuples(objs) -> dict:
    return {o.getPk(): (o.owner, o.n, o.tag) for o in objs}


def test_nothing_to_change_does_nothing(ir_db):
    V1.reset([V1(owner="a", n=str(i), tag="t", dropme="x") for i in range(20)])
    before = _pointer(ir_db)
    keys = _modelKeys(ir_db)
    report = V1.migrate()
    assert not report and report.changes == []
    assert _pointer(ir_db) == before and _modelKeys(ir_db) == keys


def test_reset_keeps_the_definition_beside_the_data(ir_db):
    V1.reset([V1(owner="a", n="1", tag="t")])
    gen = int(_pointer(ir_db))
    stored = json.loads(ir_db.get(KeyLayout(KEY, gen).schemaKey))
    assert stored == describeModel(getSchema(V1))
    assert stored["indexed"] == ["owner", "tag"] and [f["name"] for f in stored["fields"]] == ["owner", "n", "tag", "dropme"]


def test_migrate_applies_every_kind_of_change(ir_db):
    V1.reset([V1(owner=f"o{i % 3}", n=str(i), tag=f"t{i % 4}", dropme="gone") for i in range(1200)])
    seen = []
    report = V2.migrate(progress=seen.append)
    assert set(report.changes) == {
        "field 'extra' added",
        "field 'dropme' dropped",
        "field 'n' changed type or settings",
        "field 'tag': hashIndex on",
        "INDEXED_FIELDS: 'n' added",
    }
    copying = [p for p in seen if p.phase == "copying"]
    assert report.objects == 1200 and copying[-1].done == copying[-1].total == 1200 and len(copying) >= 3
    assert seen[-1].finished and seen[-1].operation == "migrate" and seen[-1].model == "V2"
    assert [p.phase for p in seen if p.done == 0 and p.phase != "copying"][:1] == ["catching up"]
    assert V2.objects.filter(n=7).all()[0].tag == "t3"
    assert V2.objects.filter(tag="t1").count() == 300 and V2.objects.filter(owner="o2", n=5).count() == 1
    obj = V2.objects.get(11)
    assert (obj.n, obj.extra) == (10, "e") and not ir_db.hexists(KeyLayout(KEY, report.generation).data(11), "dropme")
    assert V2.objects.verify().ok
    assert not V2.migrate()  # done: nothing left to change
    # only the new generation's keys remain (and the shared ones)
    gens = {KeyLayout(KEY).ownGen(k) for k in _modelKeys(ir_db)}
    assert gens == {0, report.generation}
    assert not any(b":redo" in k for k in _modelKeys(ir_db))


def test_a_value_the_new_definition_refuses_changes_nothing(ir_db):
    V1.reset([V1(owner="a", n=str(i), tag="t") for i in range(50)] + [V1(owner="a", n="not a number", tag="t")])
    before, keys = _pointer(ir_db), _modelKeys(ir_db)
    with pytest.raises(MigrationError, match=r"Model V2: object pk=51, field 'n'.*convert="):
        V2.migrate()
    assert _pointer(ir_db) == before
    assert _modelKeys(ir_db) == keys
    assert V1.objects.filter(tag="t").count() == 51
    V1.objects.get(1).save()  # the old definition still writes: nothing was switched


def test_convert_maps_old_values(ir_db):
    V1.reset([V1(owner="a", n=["one", "two"][i % 2], tag="t") for i in range(10)])
    report = V2.migrate(convert={"n": {"one": 1, "two": 2}.__getitem__})
    assert report.objects == 10
    assert V2.objects.filter(n=2).count() == 5 and V2.objects.verify().ok


def test_old_definition_is_refused_writes_after_the_switch(ir_db):
    V1.reset([V1(owner="a", n=str(i), tag="t") for i in range(10)])
    old = V1.objects.get(3)  # this process knows generation N under V1
    V2.migrate()
    again = V1.objects.get(3)  # reads still work
    assert again.tag == "t"
    with pytest.raises(DefinitionMismatchError, match=r"Model V1: .*another definition"):
        old.tag = "changed"
        old.save()
    with pytest.raises(DefinitionMismatchError):
        V1(owner="b", n="1", tag="t").save()
    assert V2.objects.get(3).tag == "t" and V2.objects.count() == 10 and V2.objects.verify().ok


def test_a_field_definition_is_rebuilt_from_its_description():
    for field in (IRField("a", valueType=int, hashIndex=True), IRFixedPointField("b", decimalPlaces=2), IRPickleField("c")):
        from IndexedRedis.migrate import describeField

        again = rebuildField(json.loads(json.dumps(describeField(field))))
        assert type(again) is type(field) and describeField(again) == describeField(field)


def test_fixed_point_places_changed(ir_db):
    class P1(IndexedRedisModel):
        FIELDS = [IRFixedPointField("price", decimalPlaces=2)]
        INDEXED_FIELDS = ["price"]
        KEY_NAME = "irtest:MigP"

    class P2(IndexedRedisModel):
        FIELDS = [IRFixedPointField("price", decimalPlaces=3)]
        INDEXED_FIELDS = ["price"]
        KEY_NAME = "irtest:MigP"

    P1.reset([P1(price=1.25), P1(price=2.5)])
    assert ir_db.hget(KeyLayout("irtest:MigP", int(ir_db.get(KeyLayout("irtest:MigP").genKey))).data(1), "price") == b"1.25"
    report = P2.migrate()
    assert report.changes == ["field 'price' changed type or settings"]
    assert ir_db.hget(KeyLayout("irtest:MigP", report.generation).data(1), "price") == b"1.250"
    assert P2.objects.filter(price=2.5).count() == 1 and P2.objects.verify().ok


class U1(IndexedRedisModel):
    FIELDS = [IRField("email"), IRField("name")]
    INDEXED_FIELDS = ["name"]
    KEY_NAME = "irtest:MigU"


class U2(IndexedRedisModel):
    FIELDS = [IRField("email"), IRField("name")]
    INDEXED_FIELDS = ["name"]
    UNIQUE_FIELDS = ["email"]
    KEY_NAME = "irtest:MigU"


def test_adding_a_unique_field(ir_db):
    from IndexedRedis import UniqueConstraintError

    U1.reset([U1(email=f"u{i}@x", name="n") for i in range(30)] + [U1(email="u3@x", name="twice")])
    before = ir_db.get(KeyLayout("irtest:MigU").genKey)
    with pytest.raises(MigrationError, match=r"Model U2: object pk=\d+ holds a value of UNIQUE_FIELDS"):
        U2.migrate()
    assert ir_db.get(KeyLayout("irtest:MigU").genKey) == before
    U1.deleter.deleteByPk(31)
    report = U2.migrate()
    assert report.changes == ["UNIQUE_FIELDS: 'email' added"] and report.objects == 30
    assert U2.objects.get(email="u7@x").getPk() == 8
    with pytest.raises(UniqueConstraintError):
        U2(email="u7@x", name="again").save()
    assert U2.objects.verify().ok


def test_models_migrate_cannot_carry_yet_are_refused(ir_db):
    from IndexedRedis.collections import IRListField

    class Owning(IndexedRedisModel):
        FIELDS = [IRField("a")]
        INDEXED_FIELDS = ["a"]
        items = IRListField()
        KEY_NAME = "irtest:MigE"

    with pytest.raises(MigrationError, match=r"Model Owning: .*collection.*reset\(\)"):
        Owning.migrate()


def test_while_a_migration_runs_each_write_logs_its_pks_in_the_same_round_trip(real_db, roundtrips):
    V1.reset([V1(owner="a", n=str(i), tag="t") for i in range(5)])
    gen = int(_pointer(real_db))
    target = KeyLayout(KEY, 99)
    real_db.set(target.buildingKey, b"1", ex=30)  # a migration into generation 99 is alive
    real_db.set(KeyLayout(KEY).genKey, b"%dM99" % gen)
    obj = V1.objects.get(2)  # finds the pointer (IRSTALE once)
    obj.tag = "u"
    with roundtrips() as rt:
        obj.save()
    assert rt.count == 1 and rt.commands == ["MULTI", "EVAL", "EVALSHA", "EXEC"]
    doomed = V1.objects.get(4)
    with roundtrips() as rt:
        doomed.delete()
    assert rt.count == 1
    new = V1(owner="b", n="9", tag="t")
    new.save()  # a new object: its pk comes from the counter, which the migration reads
    again = V1.objects.get(3)
    again.tag = "v"
    from IndexedRedis import scripts

    real_db.script_flush()
    real_db.script_load(scripts.SAVE.script)  # the write's script is loaded, nothing else: it runs, and is logged
    again.save()
    assert real_db.sismember(target.redoKey, b"3")
    again.tag = "w"
    real_db.script_flush()  # not even the write's: it fails, is loaded and sent again, logged
    again.save()
    assert sorted(real_db.smembers(target.redoKey)) == [b"2", b"3", b"4"]
    with roundtrips() as rt:
        assert V1.objects.filter(tag="u").count() == 1  # reads are not logged
    assert rt.commands == ["EVALSHA"]
    with pytest.raises(Exception, match="another migration of this model is running"):
        V2.migrate()
    real_db.delete(target.buildingKey)  # its client died: the next migrate takes the pointer back
    report = V2.migrate()
    assert report.objects == 5 and V2.objects.get(2).tag == "u" and V2.objects.get(3).tag == "w" and V2.objects.verify().ok
    assert _pointer(real_db) == b"%d" % report.generation


def test_a_reset_during_the_migration_is_migrated_too(real_db, monkeypatch):
    import IndexedRedis.migrate as migrate_module

    monkeypatch.setattr(migrate_module, "PAGE", 20)
    V1.reset([V1(owner="a", n=str(i), tag="before") for i in range(100)])
    resets = []

    def progress(p) -> None:
        if not resets:  # after the first page: the old code replaces the dataset meanwhile
            resets.append(V1.reset([V1(owner="b", n=str(i), tag="during") for i in range(60)]))

    report = V2.migrate(progress=progress)
    assert resets and report.objects == 60
    assert {o.tag for o in V2.objects.all()} == {"during"} and V2.objects.filter(n=59).count() == 1
    assert V2.objects.verify().ok
    gens = {KeyLayout(KEY).ownGen(k) for k in _modelKeys(real_db)}
    assert gens == {0, report.generation}  # the abandoned build and both old generations are gone


# ---------------------------------------------------------------------------- writers throughout
def _writer(url: str, owner: str, seed: int, stop, ready, out) -> None:
    """Create, update and delete own objects until told to stop; on DefinitionMismatchError (the
    migration switched) go on with the new definition, redoing the refused write. Sends back
    the expected objects {pk: (owner, n, tag)} and how many writes it made before the switch."""
    clearRedisPools()
    setDefaultRedisConnectionParams({"url": url})
    rnd = random.Random(seed)
    model = V1
    mine = {o.getPk(): (o.owner, int(o.n), o.tag) for o in V1.objects.filter(owner=owner).all()}
    writes = 0
    writesOld = 0
    while not stop.is_set():
        action = rnd.random()
        n, tag = rnd.randrange(1000), f"t{rnd.randrange(5)}"
        while True:
            try:
                if action < 0.35 or not mine:
                    obj = model(owner=owner, n=str(n) if model is V1 else n, tag=tag)
                    obj.save()
                    mine[obj.getPk()] = (owner, n, tag)
                elif action < 0.8:
                    pk = rnd.choice(sorted(mine))
                    obj = model.objects.get(pk)
                    obj.n = str(n) if model is V1 else n
                    obj.tag = tag
                    obj.save()
                    mine[pk] = (owner, n, tag)
                else:
                    pk = rnd.choice(sorted(mine))
                    assert model.deleter.deleteByPk(pk) == 1
                    del mine[pk]
                break
            except DefinitionMismatchError:
                assert model is V1
                model = V2  # the switch happened: nothing was written; redo it with the new definition
        writes += 1
        if model is V1:
            writesOld = writes
        if writes == 20:
            ready.release()
    out.put((owner, mine, writesOld, writes))


def test_writes_made_during_a_migration_are_kept(real_db, redis_server_url, monkeypatch):
    import IndexedRedis.migrate as migrate_module

    V1.reset([V1(owner=f"w{i % 3}", n=str(i), tag=f"t{i % 5}", dropme="d") for i in range(3000)])
    monkeypatch.setattr(migrate_module, "PAGE", 60)  # many copy steps: writers run between all of them
    ctx = multiprocessing.get_context("fork")
    stop, ready, out = ctx.Event(), ctx.Semaphore(0), ctx.Queue()
    writers = [ctx.Process(target=_writer, args=(redis_server_url, f"w{i}", i, stop, ready, out)) for i in range(3)]
    for p in writers:
        p.start()
    results = []
    try:
        for _ in writers:
            assert ready.acquire(timeout=30)  # every writer is writing before the migration starts
        t0 = time.monotonic()
        report = V2.migrate()
        took = time.monotonic() - t0
        time.sleep(0.3)  # and keeps writing after the switch
    finally:
        stop.set()
        for _ in writers:
            results.append(out.get(timeout=60))
        for p in writers:
            p.join(60)
    assert all(p.exitcode == 0 for p in writers)
    expected = {}
    for _owner, mine, writesOld, writes in results:
        assert writesOld > 20 and writes > writesOld  # each wrote under both definitions
        expected.update(mine)
    assert report.caughtUp > 0  # writes landed while the migration ran, and were copied again
    assert _asTuples(V2.objects.all()) == expected
    assert V2.objects.verify().ok
    for owner, mine, _, _ in results:
        assert set(V2.objects.filter(owner=owner).getPrimaryKeys()) == set(mine)
    print(
        f"\nmigrate with 3 writers: {report.objects} objects, {report.copied} copies, {report.caughtUp} copied again, "
        f"{report.rounds} rounds, {took:.2f} s, locked {report.lockedSeconds * 1000:.1f} ms; "
        f"writes {sum(r[3] for r in results)} ({sum(r[2] for r in results)} under V1)"
    )


class Ex1(IndexedRedisModel):
    FIELDS = [IRField("user"), IRField("n", valueType=int)]
    INDEXED_FIELDS = ["user"]
    EXPIRE = 60
    KEY_NAME = "irtest:MigrateExpire"


class Ex2(IndexedRedisModel):
    FIELDS = [IRField("user"), IRField("n", valueType=int)]
    INDEXED_FIELDS = ["user", "n"]
    EXPIRE = 60
    KEY_NAME = "irtest:MigrateExpire"


class ExOff(IndexedRedisModel):
    FIELDS = [IRField("user"), IRField("n", valueType=int)]
    INDEXED_FIELDS = ["user"]
    KEY_NAME = "irtest:MigrateExpire"


def test_migrate_carries_deadlines(ir_db):
    Ex1.reset([Ex1(user="a", n=i) for i in range(6)])
    objs = Ex1.objects.all()
    objs[0].persist()
    objs[1].expire(0.05)
    objs[2].expire(1000)
    before = int(ir_db.get(b"_ir_|irtest:MigrateExpire:gen") or 0)
    deadline = ir_db.zscore(KeyLayout("irtest:MigrateExpire", before).expKey, objs[2]._id)
    time.sleep(0.08)
    report = Ex2.migrate()
    assert report.generation and Ex2.objects.count() == 5
    got = {o._id: o for o in Ex2.objects.filter(n__ne=-1).all()}
    assert objs[1]._id not in got
    assert got[objs[0]._id].ttl() is None
    assert 998 < got[objs[2]._id].ttl() <= 1000
    gen = report.generation
    assert int(ir_db.zscore(KeyLayout("irtest:MigrateExpire", gen).expKey, objs[2]._id)) == int(deadline)
    assert all(50 < got[o._id].ttl() <= 60 for o in objs[3:])
    assert Ex2.objects.verify().ok


def test_migrate_turning_expire_on_gives_the_default(ir_db):
    ExOff.reset([ExOff(user="a", n=i) for i in range(3)])
    Ex1.migrate()
    assert all(55 < o.ttl() <= 60 for o in Ex1.objects.all())
    ExOff.migrate()  # and off again: every object stays, without deadlines
    assert ExOff.objects.count() == 3 and ExOff.objects.verify().ok


def test_amigrate_runs_off_the_event_loop(real_db):
    import asyncio

    Ex1.reset([Ex1(user="a", n=i) for i in range(4)])

    async def main():
        return await Ex2.amigrate()

    report = asyncio.run(main())
    assert report and Ex2.objects.filter(n=2).count() == 1
