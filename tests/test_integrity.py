"""verify() finds every kind of damage, repair() fixes it, and both work in batches."""

from __future__ import annotations

import IndexedRedis.integrity as integrity
from IndexedRedis import IndexedRedisModel, IRField
from IndexedRedis.cli import main as cli


class Track(IndexedRedisModel):
    FIELDS = [IRField("artist"), IRField("year", valueType=int), IRField("note")]
    INDEXED_FIELDS = ["artist", "year"]
    KEY_NAME = "irtest:Integrity"


P = b"_ir_|irtest:Integrity:"


def _damage(db, pks):
    a, b, c, d = pks[:4]
    db.srem(P + b"idx:artist:A", a)  # missing entry
    db.sadd(P + b"idx:artist:Z", b)  # stale entry: b stores artist A
    db.sadd(P + b"idx:year:1999", c)  # stale entry in a big index key (see the test)
    db.delete(P + b"data:%d" % d)  # dangling pk (its index entries become stale too)
    db.hset(P + b"data:999999", mapping={b"artist": b"Q", b"year": b"1"})  # orphan data
    db.sadd(P + b"idx:note:x", a)  # entries for a field that is not indexed
    db.set(P + b"gen77:keys", b"junk")  # leftover of an abandoned reset (no building marker)


def test_verify_reports_each_kind_of_damage_and_repair_fixes_it(ir_db, monkeypatch):
    monkeypatch.setattr(integrity, "BATCH", 7)  # small pages: the SSCAN path of big index keys runs too
    objs = [Track(artist="A", year=1999 if i % 2 else 2000, note="n") for i in range(40)]
    Track.saver.save(objs)
    pks = [o._id for o in objs]
    assert Track.objects.verify().ok
    _damage(ir_db, [pks[0], pks[2], pks[4], pks[6]])

    # Keys made by hand are in no registry: a plain verify sees the damage to what the model
    # lists (the missing entry, the dangling pk and its stale entries), a deep one sees it all.
    plain = Track.objects.verify()
    assert {(k, pk) for k, pk, _, _ in plain.missingEntries} == {(P + b"idx:artist:A", pks[0])}
    assert plain.danglingPks == [pks[6]] and not plain.orphanData

    report = Track.objects.verify(deep=True)
    assert not report.ok
    assert {(k, pk) for k, pk, _, _ in report.missingEntries} == {(P + b"idx:artist:A", pks[0])}
    stale = {(k, pk) for k, pk, _, _ in report.staleEntries}
    assert (P + b"idx:artist:Z", pks[2]) in stale
    assert (P + b"idx:year:1999", pks[4]) in stale  # year:1999 holds 20 members > BATCH
    assert (P + b"idx:note:x", pks[0]) in stale
    assert (P + b"idx:artist:A", pks[6]) in stale  # the data of pks[6] is gone
    assert report.danglingPks == [pks[6]]
    assert report.orphanData == [999999]
    assert [g for g, _ in report.leftoverGenerations] == [77]
    assert report.objectsChecked == 40 and report.indexKeysChecked == 5
    assert "missing index entry" in str(report) and "leftover generation 77" in str(report)

    final = Track.objects.repair(deep=True)
    assert final.ok, str(final)
    assert Track.objects.filter(artist="A").count() == 39  # the object whose data was deleted is gone
    assert Track.objects.filter(artist="Q").getPrimaryKeys() == [999999]  # the orphan hash is adopted
    assert Track.objects.filter(year=1999).count() == 20
    assert ir_db.exists(P + b"gen77:keys") == 0


def test_verify_of_many_objects_takes_a_few_round_trips_per_page(real_db, roundtrips):
    Track.saver.save([Track(artist=f"a{i % 50}", year=1900 + i % 100, note="n") for i in range(3000)])
    with roundtrips() as rt:
        report = Track.objects.verify()
    assert report.ok and report.objectsChecked == 3000 and report.indexKeysChecked == 150
    # pass 1: per page of pks, SSCAN + HMGETs + SISMEMBERs; pass 2: per SCAN page, at most 5
    assert rt.count < 3 * (3000 // 500 + 2) + 5 * (3200 // 500 + 10), rt.count


def test_command_line_verify_and_repair(ir_db, capsys, monkeypatch):
    if ir_db.connection_pool.connection_kwargs.get("server") is not None:  # fakeredis: no URL for the CLI
        return
    Track.saver.save([Track(artist="A", year=1)])
    ir_db.sadd(P + b"idx:artist:Z", 1)
    url = "redis://{host}:{port}/{db}".format(**ir_db.connection_pool.connection_kwargs)
    assert cli(["verify", "tests.test_integrity:Track", "--url", url]) != 0
    assert "stale index entry" in capsys.readouterr().out
    assert cli(["repair", "tests.test_integrity:Track", "--url", url]) == 0
    assert cli(["verify", "tests.test_integrity:Track", "--url", url]) == 0
