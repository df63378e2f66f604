"""verify() finds every kind of damage, repair() fixes it, and both work in batches."""

from __future__ import annotations

import pytest

import IndexedRedis.integrity as integrity
from IndexedRedis import IndexedRedisModel, InvalidValueError, IRField
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


# ---------------------------------------------------------------------------- verify under live writes
def _writer(url: str, seed: int, stop, writes) -> None:
    """Saves, updates and deletes its own objects at full speed until told to stop (60 s at most)."""
    import random
    import time

    from IndexedRedis import clearRedisPools, setDefaultRedisConnectionParams

    clearRedisPools()
    setDefaultRedisConnectionParams({"url": url})
    rnd = random.Random(seed)
    mine = [Track(artist=f"w{seed}", year=i, note="n") for i in range(50)]
    Track.saver.save(mine)
    deadline = time.monotonic() + 60
    while not stop.is_set() and time.monotonic() < deadline:
        op = rnd.random()
        if op < 0.5 and mine:
            obj = rnd.choice(mine)
            obj.artist = f"w{seed}-{rnd.randrange(20)}"
            obj.year = rnd.randrange(100)
            obj.save()
        elif op < 0.75 or not mine:
            batch = [Track(artist=f"w{seed}-{rnd.randrange(20)}", year=rnd.randrange(100)) for _ in range(3)]
            Track.saver.save(batch)
            mine.extend(batch)
        else:
            obj = mine.pop(rnd.randrange(len(mine)))
            obj.delete()
        writes.value += 1


def test_verify_under_live_writes_reports_only_real_damage(real_db, redis_server_url, capsys):
    import multiprocessing
    import time

    stable = [Track(artist="S", year=1, note="n") for _ in range(20)]
    # The writer of seed 0 moves its objects off artist "w0" as it goes; this one keeps the set
    # (and its registry entry) alive, so the damage put in it below is in an index set in use.
    anchor = Track(artist="w0", year=1, note="anchor")
    Track.saver.save(stable + [anchor])
    ctx = multiprocessing.get_context("fork")
    stop, writes = ctx.Event(), ctx.Value("i", 0)
    writers = [ctx.Process(target=_writer, args=(redis_server_url, seed, stop, writes)) for seed in range(3)]
    for p in writers:
        p.start()
    try:
        deadline = time.monotonic() + 20
        while writes.value < 200 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert writes.value >= 200, "the writers did not start"
        for _ in range(5):
            before = writes.value
            report = Track.objects.verify()
            assert report.ok, str(report)
            assert writes.value > before  # the pass really ran under writes
        assert cli(["verify", "tests.test_integrity:Track", "--url", redis_server_url]) == 0
        # Real damage is still reported under the same load: a stale entry in a set the writers
        # use, and a missing one.
        victim, other = stable[0]._id, stable[1]._id
        real_db.sadd(P + b"idx:artist:w0", victim)
        real_db.srem(P + b"idx:year:1", other)
        for _ in range(2):
            report = Track.objects.verify()
            assert [(k, pk) for k, pk, _, _ in report.staleEntries] == [(P + b"idx:artist:w0", victim)], str(report)
            assert [(k, pk) for k, pk, _, _ in report.missingEntries] == [(P + b"idx:year:1", other)], str(report)
        assert Track.objects.repair().ok
    finally:
        stop.set()
        for p in writers:
            p.join(30)
    assert all(p.exitcode == 0 for p in writers)
    assert Track.objects.verify().ok
    capsys.readouterr()


# ---------------------------------------------------------------------------- dangling links
from IndexedRedis.fields import IRForeignLinkField, IRForeignMultiLinkField  # noqa: E402


class Shelf(IndexedRedisModel):
    FIELDS = [IRField("name")]
    INDEXED_FIELDS = ["name"]
    KEY_NAME = "irtest:IntegrityShelf"


class Book(IndexedRedisModel):
    FIELDS = [IRField("title"), IRForeignLinkField("shelf", Shelf), IRForeignMultiLinkField("related", "self")]
    INDEXED_FIELDS = ["title", "shelf"]
    KEY_NAME = "irtest:IntegrityBook"


def test_verify_reports_dangling_links(ir_db, capsys):
    shelves = [Shelf(name="a"), Shelf(name="b")]
    Shelf.saver.save(shelves)
    first = Book(title="one", shelf=shelves[0])
    first.save()
    second = Book(title="two", shelf=shelves[1], related=[first])
    second.save()
    third = Book(title="three", shelf=shelves[1], related=[first, second])
    third.save()
    assert Book.objects.verify().ok
    goneShelf, goneBook = shelves[1]._id, first._id
    shelves[1].delete()
    first.delete()
    report = Book.objects.verify()
    assert not report.ok
    assert report.danglingLinks == sorted(
        [
            (second._id, "shelf", "Shelf", goneShelf),
            (third._id, "shelf", "Shelf", goneShelf),
            (second._id, "related", "Book", goneBook),
            (third._id, "related", "Book", goneBook),
        ]
    )
    assert f"dangling link: pk {second._id}, field 'shelf' links to Shelf pk {goneShelf}" in str(report)
    # repair leaves links alone (the application decides), and says so
    assert Book.objects.repair().danglingLinks == report.danglingLinks
    second.shelf = shelves[0]
    second.related = []
    second.save()
    third.delete()
    assert Book.objects.verify().ok
    if ir_db.connection_pool.connection_kwargs.get("server") is None:  # the command line needs a URL
        url = "redis://{host}:{port}/{db}".format(**ir_db.connection_pool.connection_kwargs)
        with pytest.raises(InvalidValueError, match="Shelf pk 5, which does not exist"):
            Book(title="four", shelf=5).save()  # refused on save...
        gone = Shelf(name="gone")
        gone.save()
        Book(title="four", shelf=gone).save()
        gone.delete()  # ...but a linked object deleted later leaves a dangling link, which verify reports
        assert cli(["verify", "tests.test_integrity:Book", "--url", url]) == 1
        assert "dangling link" in capsys.readouterr().out


# Every test of this module runs against the sync API and against the asyncio one (conftest.api).
pytestmark = pytest.mark.usefixtures("api")
