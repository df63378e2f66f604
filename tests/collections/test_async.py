"""The awaited twins of the collections: the same plans, sent on redis.asyncio."""

from __future__ import annotations

import asyncio

import pytest

from IndexedRedis import IRField
from IndexedRedis.collections import RedisCounter, RedisDict, RedisList, RedisLock, RedisQueue, RedisSet
from IndexedRedis.exceptions import InvalidValueError


def _run(coro):
    async def main():
        try:
            return await coro
        finally:
            import IndexedRedis

            await IndexedRedis.aclose()

    return asyncio.run(main())


def test_every_operation_has_an_awaited_twin():
    from IndexedRedis.collections.base import asyncName

    for cls in (RedisDict, RedisList, RedisSet, RedisCounter, RedisQueue, RedisLock):
        for name in dir(cls):
            if getattr(getattr(cls, name), "plan", None) is not None:
                assert hasattr(cls, asyncName(name)), (cls.__name__, name)


def test_awaited_operations_match_the_sync_ones(real_db):
    d = RedisDict("t:d", valueField=IRField(valueType=int))
    lst = RedisList("t:l")
    s = RedisSet("t:s")
    c = RedisCounter("t:c")
    q = RedisQueue("t:q")

    async def main():
        await d.asetitem("a", 1)
        await d.aupdate({"b": 2})
        assert await d.aget("a") == 1 and await d.agetitem("b") == 2
        assert await d.alen() == 2 and await d.acontains("a")
        assert await d.apop("a") == 1
        await lst.aextend(["x", "y"])
        await lst.aappend("z")
        assert await lst.agetitem(-1) == "z" and await lst.alen() == 3
        await s.aadd("m")
        assert await s.acontains("m")
        await c.aupdate(["k", "k", "j"])
        assert await c.agetitem("k") == 2
        await q.aput("job")
        assert await q.aget(timeout=1) == "job"
        with pytest.raises(KeyError):
            await d.agetitem("missing")
        return await d.acopy()

    assert _run(main()) == {"b": 2}
    assert d.copy() == {"b": 2} and lst.copy() == ["x", "y", "z"] and c["k"] == 2


def test_async_with_lock(real_db):
    lock = RedisLock("t:lock", leaseTime=5)

    async def main():
        async with lock:
            assert await lock.alocked()
            assert not RedisLock("t:lock").acquire(blocking=False)
        return await lock.alocked()

    assert _run(main()) is False


def test_a_collection_made_with_a_sync_client_awaits_on_the_same_server(real_db):
    d = RedisDict("t:d2", client=real_db)
    d["a"] = "1"

    async def main():
        await d.asetitem("b", "2")
        return await d.alen(), await d.agetitem("a")

    assert _run(main()) == (2, "1") and real_db.hget(b"t:d2", b"b") == b"2"


def test_a_collection_whose_client_cannot_be_rebuilt_says_what_to_do():
    import fakeredis

    d = RedisDict("t:d3", client=fakeredis.FakeRedis())
    with pytest.raises(InvalidValueError, match="cannot rebuild"):
        _run(d.alen())


def test_an_argument_collection_is_read_as_a_step_not_by_a_blocking_call(real_db, monkeypatch):
    from IndexedRedis.collections.base import RedisCollection

    other = RedisList("t:other", ["x", "y"])
    s = RedisSet("t:s")

    def blocking(self, op, what):
        raise AssertionError(f"the sync executor ran {what} inside the event loop")

    monkeypatch.setattr(RedisCollection, "_run", blocking)

    async def main():
        await s.aupdate(other, ["z"])  # a RedisList argument: read through its own awaited plan
        lst = RedisList("t:l")
        await lst.aextend(other)
        return await s.acopy(), await lst.acopy()

    assert _run(main()) == ({"x", "y", "z"}, ["x", "y"])
