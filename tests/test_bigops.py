"""Operations bigger than one step (bigops.py): done in bounded steps under the model's lock, so no
reader sees them half done, while other models are served between the steps."""

from __future__ import annotations

import multiprocessing
import threading
import time

import pytest

from IndexedRedis import IndexedRedisModel, IRField, ObjectNotFoundError, bigops, clearRedisPools, setDefaultRedisConnectionParams

N = 3000  # six steps of 500


class Row(IndexedRedisModel):
    FIELDS = [IRField("group"), IRField("n", valueType=int)]
    INDEXED_FIELDS = ["group", "n"]
    KEY_NAME = "irtest:BigRow"


class Other(IndexedRedisModel):
    FIELDS = [IRField("name")]
    INDEXED_FIELDS = ["name"]
    KEY_NAME = "irtest:BigOther"


def _bigDelete(url: str) -> None:
    clearRedisPools()
    setDefaultRedisConnectionParams({"url": url})
    Row.objects.filter(group="doomed").delete()


def _bigSave(url: str) -> None:
    clearRedisPools()
    setDefaultRedisConnectionParams({"url": url})
    Row.saver.save([Row(group="added", n=i) for i in range(N)])


def _watch(run, url: str, probe) -> list:
    """Run ``run`` in another process while this one calls ``probe`` until it ends."""
    ctx = multiprocessing.get_context("fork")
    p = ctx.Process(target=run, args=(url,))
    seen = []
    p.start()
    while p.is_alive():
        seen.append(probe())
    p.join()
    seen.append(probe())
    assert p.exitcode == 0
    return seen


def test_big_filtered_delete_is_never_seen_half_done(real_db, redis_server_url):
    Row.saver.save([Row(group="doomed" if i % 2 else "kept", n=i) for i in range(2 * N)])
    probes = [lambda: ("count", Row.objects.filter(group="doomed").count()), lambda: ("all", len(Row.objects.all()))]
    turn = iter(range(10**9))
    seen = _watch(_bigDelete, redis_server_url, lambda: probes[next(turn) % 2]())
    assert set(seen) <= {("count", N), ("count", 0), ("all", 2 * N), ("all", N)}, sorted(set(seen))
    assert len(seen) >= 2
    assert Row.objects.verify().ok
    assert real_db.get(b"_ir_|irtest:BigRow:gen") in (None, b"0")  # the lock was given back


def test_big_list_save_is_never_seen_half_done(real_db, redis_server_url):
    Row(group="first", n=-1).save()
    seen = _watch(_bigSave, redis_server_url, lambda: Row.objects.filter(group="added").count())
    assert set(seen) <= {0, N}
    assert seen[-1] == N and Row.objects.verify().ok


def test_other_models_are_served_while_a_big_delete_runs(real_db):
    Row.saver.save([Row(group="doomed", n=i) for i in range(2 * N)])
    Other(name="o").save()
    answers = []
    done = threading.Event()

    def otherReader() -> None:
        while not done.is_set():
            start = time.perf_counter()
            Other.objects.filter(name="o").count()
            answers.append(time.perf_counter() - start)

    t = threading.Thread(target=otherReader)
    t.start()
    try:
        assert Row.objects.filter(group="doomed").delete() == 2 * N
    finally:
        done.set()
        t.join()
    assert len(answers) > 5  # answered between the steps, not after the whole delete


def test_big_delete_by_pks_and_of_objects(real_db):
    rows = [Row(group="g", n=i) for i in range(1200)]
    Row.saver.save(rows)
    assert Row.deleter.deleteMultipleByPks([r._id for r in rows[:700]]) == 700
    assert Row.deleter.deleteMultiple(rows[700:]) == 500
    assert Row.objects.count() == 0 and Row.objects.verify().ok


def test_delete_of_everything_is_a_switch(real_db):
    Row.saver.save([Row(group="g", n=i) for i in range(1200)])
    assert Row.objects.delete() == 1200
    assert Row.objects.count() == 0
    Row(group="again", n=1).save()
    assert Row.objects.count() == 1 and Row.objects.verify().ok


def test_big_save_of_a_deleted_object_writes_nothing(real_db):
    rows = [Row(group="g", n=i) for i in range(1200)]
    Row.saver.save(rows)
    Row.deleter.deleteByPk(rows[900]._id)
    for r in rows:
        r.n += 10_000
    with pytest.raises(ObjectNotFoundError, match=f"pk={rows[900]._id}"):
        Row.saver.save(rows)
    assert Row.objects.filter(n=10_000).count() == 0  # not even the first steps
    assert real_db.get(b"_ir_|irtest:BigRow:gen") in (None, b"0")


def test_existence_checks_of_a_big_save_go_in_calls_of_check_step(real_db, monkeypatch):
    rows = [Row(group="g", n=i) for i in range(bigops.CHECK_STEP + 10)]
    Row.saver.save(rows)
    for r in rows:
        r.n += 1
    Row.saver.save(rows)  # one SMISMEMBER of CHECK_STEP pks, then one of 10
    assert Row.objects.filter(n=bigops.CHECK_STEP + 10).count() == 1
    monkeypatch.setattr(bigops, "CHECK_STEP", 300)
    Row.deleter.deleteByPk(rows[700]._id)  # in the third check
    for r in rows:
        r.n += 1
    with pytest.raises(ObjectNotFoundError, match=f"pk={rows[700]._id}"):
        Row.saver.save(rows)


def test_lock_of_a_dead_holder_is_freed_after_its_lease(real_db, monkeypatch):
    Row(group="g", n=1).save()
    monkeypatch.setattr(bigops, "LEASE_MS", 300)
    # A holder that takes the lock and dies (its process ends without giving it back).
    base = Row._ir_getSchema().layout
    real_db.set(base.genKey, b"0Ldeadbeef")
    real_db.set(base.lockKey, b"deadbeef", px=300)
    start = time.monotonic()
    assert Row.objects.filter(group="g").count() == 1
    assert 0.2 < time.monotonic() - start < 5
    assert real_db.get(base.genKey) == b"0"


def _reindex(url: str) -> None:
    clearRedisPools()
    setDefaultRedisConnectionParams({"url": url})
    Row.objects.reindex()


def test_big_reindex_is_never_seen_half_done(real_db, redis_server_url):
    Row.saver.save([Row(group=f"g{i % 3}", n=i) for i in range(N)])
    seen = _watch(_reindex, redis_server_url, lambda: Row.objects.filter(group="g1").count())
    assert set(seen) == {N // 3}
    assert Row.objects.verify().ok


# Every test of this module runs against the sync API and against the asyncio one (conftest.api).
pytestmark = pytest.mark.usefixtures("api")
