"""dump / load (IndexedRedis.dumpfile): one snapshot under concurrent writers, deadlines kept."""

from __future__ import annotations

import io
import json
import threading
import time

import pytest

from IndexedRedis import ConcurrentWriteError, IndexedRedisModel, IRField
from IndexedRedis import dumpfile
from IndexedRedis.dumpfile import dumpModel, loadModel


class Pair(IndexedRedisModel):
    FIELDS = [IRField("name"), IRField("n", valueType=int)]
    INDEXED_FIELDS = ["name"]
    KEY_NAME = "irtest:DumpPair"


class Lease(IndexedRedisModel):
    FIELDS = [IRField("name")]
    INDEXED_FIELDS = ["name"]
    KEY_NAME = "irtest:DumpLease"
    EXPIRE = 0  # deadlines per object only


def _rows(text):
    lines = text.splitlines()
    return json.loads(lines[0]), [json.loads(line) for line in lines[1:]]


def _seed():
    objs = [Pair(name=f"p{i}", n=0) for i in range(60)]
    Pair.saver.save(objs)
    return objs[0], objs[-1]


def _bump(first, last, stop):
    """Keep changing the first and the last object together, in one atomic save each time."""
    n = 0
    while not stop.is_set():
        n += 1
        first.n = last.n = n
        Pair.saver.save([first, last])


def test_a_dump_with_the_lock_is_one_snapshot_while_a_writer_runs(real_db, monkeypatch):
    monkeypatch.setattr(dumpfile, "PAGE", 5)  # 12 pages: the first and the last object far apart in time
    first, last = _seed()
    stop = threading.Event()
    writer = threading.Thread(target=_bump, args=(Pair.objects.get(first._id), Pair.objects.get(last._id), stop))
    writer.start()
    try:
        time.sleep(0.05)
        for _ in range(3):
            out = io.StringIO()
            assert dumpModel(Pair, out, lock=True) == 60
            head, rows = _rows(out.getvalue())
            byPk = {r["_id"]: r for r in rows}
            assert head["count"] == 60 and head["version"] == 2
            assert byPk[first._id]["n"] == byPk[last._id]["n"]
    finally:
        stop.set()
        writer.join()
    assert Pair.objects.get(first._id).n > 0


def test_a_dump_is_read_again_when_a_write_came_in_between(real_db, monkeypatch):
    monkeypatch.setattr(dumpfile, "PAGE", 5)
    first, last = _seed()
    pages = []
    real = dumpfile._pageOp

    def pageOp(schema, layout, page, seen):
        pages.append(page[0])
        if len(pages) == 3:  # one write in the middle of the first attempt
            first.n = last.n = 7
            Pair.saver.save([first, last])
        return (yield from real(schema, layout, page, seen))

    monkeypatch.setattr(dumpfile, "_pageOp", pageOp)
    out = io.StringIO()
    assert dumpModel(Pair, out) == 60
    _, rows = _rows(out.getvalue())
    byPk = {r["_id"]: r for r in rows}
    assert byPk[first._id]["n"] == byPk[last._id]["n"] == 7
    assert len(pages) == 3 + 12  # the first attempt stopped at its third page; the second read all 12


def test_a_dump_that_writers_never_let_finish_says_to_use_the_lock(real_db, monkeypatch):
    monkeypatch.setattr(dumpfile, "PAGE", 5)
    first, last = _seed()
    real = dumpfile._pageOp

    def pageOp(schema, layout, page, seen):
        first.n += 1
        Pair.saver.save(first)  # a write before every page
        return (yield from real(schema, layout, page, seen))

    monkeypatch.setattr(dumpfile, "_pageOp", pageOp)
    out = io.StringIO()
    with pytest.raises(ConcurrentWriteError, match="Pair.*lock=True"):
        dumpModel(Pair, out)
    assert out.getvalue() == ""  # nothing written before a whole snapshot is read


def test_deadlines_are_dumped_and_loaded(real_db):
    keep = Lease(name="keep")
    keep.save(ttl=500)
    Lease(name="forever").save()
    out = io.StringIO()
    before = time.time()
    assert dumpModel(Lease, out) == 2
    _, rows = _rows(out.getvalue())
    byName = {r["name"]: r for r in rows}
    assert "_expires" not in byName["forever"]
    assert before + 498 < byName["keep"]["_expires"] < time.time() + 501
    gone = dict(byName["keep"], name="gone", _id=99, _expires=time.time() - 5)
    text = out.getvalue() + json.dumps(gone) + "\n"
    assert loadModel(Lease, io.StringIO(text)) == 2  # the one past its deadline is left out
    loaded = {o.name: o for o in Lease.objects.all()}
    assert set(loaded) == {"keep", "forever"}
    assert 495 < loaded["keep"].ttl() <= 500 and loaded["forever"].ttl() is None
    Lease.objects.delete()
    assert loadModel(Lease, io.StringIO(out.getvalue()), mode="save") == 2
    assert 495 < Lease.objects.filter(name="keep").first().ttl() <= 500


def test_a_version_1_dump_still_loads(real_db):
    Pair.saver.save([Pair(name="a", n=1)])
    out = io.StringIO()
    dumpModel(Pair, out)
    lines = out.getvalue().splitlines()
    head = json.loads(lines[0])
    head["version"] = 1
    Pair.objects.delete()
    assert loadModel(Pair, io.StringIO("\n".join([json.dumps(head)] + lines[1:]) + "\n")) == 1
    assert Pair.objects.filter(name="a").first().n == 1


def test_a_reset_during_a_dump_makes_it_read_the_new_dataset(real_db, monkeypatch):
    monkeypatch.setattr(dumpfile, "PAGE", 5)
    _seed()
    real = dumpfile._pageOp
    calls = []

    def pageOp(schema, layout, page, seen):
        calls.append(1)
        if len(calls) == 2:
            Pair.reset([Pair(name=f"new{i}", n=i) for i in range(7)])
        return (yield from real(schema, layout, page, seen))

    monkeypatch.setattr(dumpfile, "_pageOp", pageOp)
    out = io.StringIO()
    assert dumpModel(Pair, out) == 7
    head, rows = _rows(out.getvalue())
    assert head["count"] == 7 and sorted(r["name"] for r in rows) == [f"new{i}" for i in range(7)]
