"""Concurrent writers from stale copies never leave a wrong index entry (real Redis, real processes)."""

from __future__ import annotations

import multiprocessing
import random

import pytest

from IndexedRedis import IndexedRedisModel, IRField, ObjectNotFoundError, clearRedisPools, setDefaultRedisConnectionParams


class Racer(IndexedRedisModel):
    FIELDS = [IRField("colour"), IRField("size", valueType=int), IRField("note")]
    INDEXED_FIELDS = ["colour", "size"]
    KEY_NAME = "irtest:Racer"


COLOURS = ["red", "green", "blue", "black", "white"]
N_OBJECTS = 200


def _writer(url: str, seed: int, updates: int) -> None:
    clearRedisPools()
    setDefaultRedisConnectionParams({"url": url})
    rnd = random.Random(seed)
    # Stale copies: fetched once, then updated again and again while others write the same objects.
    copies = {o.getPk(): o for o in Racer.objects.all()}
    pks = sorted(copies)
    for i in range(updates):
        if not pks:
            return
        pk = rnd.choice(pks)
        obj = copies[pk]
        obj.colour = rnd.choice(COLOURS)
        if rnd.random() < 0.5:
            obj.size = rnd.randint(1, 6)
        obj.note = f"w{seed}-{i}"
        try:
            obj.save()
        except ObjectNotFoundError:  # deleted by the deleter process: never resurrected
            pks.remove(pk)
            continue
        if rnd.random() < 0.05 and len(pks) >= 10:
            # Save a whole batch of stale copies at once, too.
            batch = [copies[p] for p in rnd.sample(pks, 10)]
            for b in batch:
                b.size = rnd.randint(1, 6)
            try:
                Racer.saver.save(batch)
            except ObjectNotFoundError:
                pass  # one of them was deleted: the whole batch was refused, nothing written


def _deleter(url: str, seed: int, rounds: int) -> None:
    clearRedisPools()
    setDefaultRedisConnectionParams({"url": url})
    rnd = random.Random(seed)
    for _ in range(rounds):
        colour = rnd.choice(COLOURS)
        Racer.objects.filter(colour=colour, size=rnd.randint(1, 6)).delete()
        Racer.saver.save([Racer(colour=rnd.choice(COLOURS), size=rnd.randint(1, 6), note="new") for _ in range(5)])


def _run(procs: list) -> None:
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0, f"{p.name} exited with {p.exitcode}"


@pytest.mark.parametrize("with_deletes", [False, True], ids=["updates", "updates+deletes"])
def test_stale_copies_keep_every_index_exact(real_db, redis_server_url, with_deletes):
    Racer.saver.save([Racer(colour=COLOURS[i % 5], size=i % 6 + 1, note="start") for i in range(N_OBJECTS)])
    ctx = multiprocessing.get_context("fork")
    procs = [ctx.Process(target=_writer, args=(redis_server_url, seed, 1000), name=f"writer{seed}") for seed in range(4)]
    if with_deletes:
        procs.append(ctx.Process(target=_deleter, args=(redis_server_url, 99, 60), name="deleter"))
    _run(procs)

    report = Racer.objects.verify()
    assert report.ok, str(report)
    # Cross-check without verify(): every filter returns exactly the objects that store the value.
    everything = Racer.objects.all()
    assert len(everything) == Racer.objects.count()
    for colour in COLOURS:
        got = {o.getPk() for o in Racer.objects.filter(colour=colour).all()}
        want = {o.getPk() for o in everything if o.colour == colour}
        assert got == want, colour
        for size in range(1, 7):
            got = {o.getPk() for o in Racer.objects.filter(colour=colour, size__ne=size).all()}
            want = {o.getPk() for o in everything if o.colour == colour and o.size != size}
            assert got == want, (colour, size)


def test_concurrent_updates_of_different_fields_keep_both(real_db, redis_server_url):
    obj = Racer(colour="red", size=1, note="a")
    obj.save()
    first = Racer.objects.get(obj.getPk())
    second = Racer.objects.get(obj.getPk())
    first.colour = "blue"
    second.note = "changed"
    first.save()
    second.save()
    fresh = Racer.objects.get(obj.getPk())
    assert (fresh.colour, fresh.size, fresh.note) == ("blue", 1, "changed")
    assert Racer.objects.filter(colour="blue").getPrimaryKeys() == [obj.getPk()]
    assert Racer.objects.filter(colour="red").count() == 0


def test_stale_copy_overwrites_indexed_value_without_leaving_old_entry(real_db):
    obj = Racer(colour="red", size=1, note="a")
    obj.save()
    stale = Racer.objects.get(obj.getPk())
    fresh = Racer.objects.get(obj.getPk())
    fresh.colour = "green"
    fresh.save()
    stale.colour = "white"  # stale believes the stored colour is still red
    stale.save()
    assert Racer.objects.filter(colour="white").getPrimaryKeys() == [obj.getPk()]
    assert Racer.objects.filter(colour="green").count() == 0
    assert Racer.objects.filter(colour="red").count() == 0
    assert Racer.objects.verify().ok


def test_saving_a_stale_copy_of_a_deleted_object_raises_and_writes_nothing(real_db):
    obj = Racer(colour="red", size=2, note="a")
    obj.save()
    keep = Racer(colour="red", size=2, note="b")
    keep.save()
    stale = Racer.objects.get(obj.getPk())
    Racer.objects.get(obj.getPk()).delete()
    stale.note = "back"
    keep.note = "changed"
    with pytest.raises(ObjectNotFoundError, match="deleted"):
        Racer.saver.save([keep, stale])  # one atomic batch: nothing of it is written
    assert Racer.objects.get(obj.getPk()) is None
    assert Racer.objects.get(keep.getPk()).note == "b"
    again = stale.copy()
    again.save()
    assert again.getPk() != obj.getPk()
    assert Racer.objects.filter(colour="red", size=2).count() == 2
    assert Racer.objects.verify().ok
