"""Writes without a fetch: filter(...).update(...), obj.increment(...), filter(...).increment(...)."""

from __future__ import annotations

import multiprocessing

import pytest

from IndexedRedis import (
    IndexedRedisModel,
    InvalidValueError,
    IRField,
    IRFixedPointField,
    ObjectNotFoundError,
    clearRedisPools,
    irNull,
    setDefaultRedisConnectionParams,
)
from IndexedRedis.fields import IRForeignLinkField


class Question(IndexedRedisModel):
    FIELDS = [IRField("text")]
    KEY_NAME = "irtest:PollQuestion"


class Choice(IndexedRedisModel):
    FIELDS = [
        IRField("text"),
        IRField("votes", valueType=int, defaultValue=0),
        IRFixedPointField("weight", decimalPlaces=2),
        IRField("ratio", valueType=float),
        IRForeignLinkField("question", Question),
        IRField("status"),
    ]
    INDEXED_FIELDS = ["question", "votes", "status"]
    SORTED_FIELDS = ["votes", "weight"]
    KEY_NAME = "irtest:PollChoice"


def _poll(n=3):
    q = Question(text="Best language?")
    q.save()
    choices = [Choice(text=f"c{i}", question=q, status="open") for i in range(n)]
    Choice.saver.save(choices)
    return q, choices


def test_increment_one_object(ir_db):
    _, (a, b, _c) = _poll()
    assert a.increment("votes") == 1
    assert a.increment("votes", 4) == 5 and a.votes == 5
    assert not a.hasUnsavedChanges()
    assert Choice.objects.filter(votes=5).getPrimaryKeys() == [a._id]
    assert Choice.objects.filter(votes=0).count() == 2
    assert Choice.objects.order_by("-votes")[0].text == "c0"
    assert b.increment("weight", 1.255) == 1.26 and b.increment("weight", -0.5) == 0.76
    assert b.increment("ratio", 0.25) == 0.25
    assert Choice.objects.get(b._id).weight == 0.76
    assert Choice.objects.filter(weight__gte=0.7).getPrimaryKeys() == [b._id]
    assert Choice.objects.verify().ok


def test_increment_from_a_stale_copy_and_round_trips(ir_db, roundtrips):
    _, (a, _b, _c) = _poll()
    stale = Choice.objects.get(a._id)
    a.increment("votes", 3)
    a.increment("votes", 1)  # scripts loaded
    with roundtrips() as rt:
        assert a.increment("votes", 1) == 5
    assert rt.count == 1  # no other writer: one compare-and-set
    assert stale.votes == 0 and stale.increment("votes", 10) == 15  # computed again from what Redis holds
    assert Choice.objects.filter(votes=15).getPrimaryKeys() == [a._id]


def test_increment_refuses_what_it_cannot_add(ir_db):
    _, (a, _b, _c) = _poll()
    with pytest.raises(InvalidValueError, match="'text'.*cannot be incremented"):
        a.increment("text")
    with pytest.raises(InvalidValueError, match="increment by an int"):
        a.increment("votes", 1.5)
    with pytest.raises(ObjectNotFoundError, match="save the object"):
        Choice(text="new").increment("votes")
    a.delete()
    a._id = _b._id + 100
    with pytest.raises(ObjectNotFoundError, match="nothing was incremented"):
        a.increment("votes")


def _voter(url: str, pk: int, n: int) -> None:
    clearRedisPools()
    setDefaultRedisConnectionParams({"url": url})
    choice = Choice.objects.get(pk)
    for _ in range(n):
        choice.increment("votes")


def test_two_processes_increment_exactly(real_db, redis_server_url):
    _, (a, _b, _c) = _poll()
    ctx = multiprocessing.get_context("fork")
    procs = [ctx.Process(target=_voter, args=(redis_server_url, a._id, 10_000)) for _ in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
        assert p.exitcode == 0
    got = Choice.objects.get(a._id)
    assert got.votes == 20_000
    assert Choice.objects.filter(votes=20_000).getPrimaryKeys() == [a._id]
    assert Choice.objects.verify().ok


def test_update_matching_objects(ir_db):
    q, choices = _poll(5)
    other = Question(text="Other")
    other.save()
    Choice(text="elsewhere", question=other, status="open").save()
    assert Choice.objects.filter(question=q).update(status="closed") == 5
    assert Choice.objects.filter(status="closed").count() == 5
    assert Choice.objects.filter(status="open").count() == 1
    assert Choice.objects.filter(question=q).update(status="closed") == 0  # nothing changed
    assert Choice.objects.filter(status="closed").update(votes=7, weight=2.5) == 5
    assert Choice.objects.filter(votes=7, weight__range=(2, 3)).count() == 5
    assert Choice.objects.order_by("-votes")[0].votes == 7
    assert Choice.objects.verify().ok
    with pytest.raises(InvalidValueError, match="votes"):
        Choice.objects.update(votes="many")


def test_increment_matching_objects(ir_db):
    q, choices = _poll(4)
    choices[0].increment("votes", 10)
    assert Choice.objects.filter(question=q).increment("votes", 2) == 4
    assert sorted(c.votes for c in Choice.objects.all()) == [2, 2, 2, 12]
    assert Choice.objects.filter(votes__gte=10).count() == 1
    assert Choice.objects.verify().ok


def _bigUpdate(url: str) -> None:
    clearRedisPools()
    setDefaultRedisConnectionParams({"url": url})
    Choice.objects.filter(status="open").update(status="done")


def test_big_update_is_never_seen_half_done(real_db, redis_server_url):
    Choice.saver.save([Choice(text=f"c{i}", status="open") for i in range(3000)])
    ctx = multiprocessing.get_context("fork")
    p = ctx.Process(target=_bigUpdate, args=(redis_server_url,))
    p.start()
    seen = []
    while p.is_alive():
        seen.append(Choice.objects.filter(status="done").count())
    p.join()
    assert p.exitcode == 0
    seen.append(Choice.objects.filter(status="done").count())
    assert set(seen) <= {0, 3000} and seen[-1] == 3000
    assert Choice.objects.filter(status="open").count() == 0 and Choice.objects.verify().ok


def test_update_of_unset_values(ir_db):
    c = Choice(text="x")
    c.save()
    assert c.status is irNull
    assert Choice.objects.filter(status=irNull).update(status="set") == 1
    assert Choice.objects.get(c._id).status == "set"


# Every test of this module runs against the sync API and against the asyncio one (conftest.api).
pytestmark = pytest.mark.usefixtures("api")
