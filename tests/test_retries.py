"""Writes that can be retried: a save or delete that times out, or whose connection is killed, is
sent again by the executor with the same token, and the result is that of one success.

A private redis-server with DEBUG enabled: ``DEBUG SLEEP`` blocks it (the reply of a call sent
meanwhile comes after the client's timeout), ``CLIENT PAUSE`` holds writes while ``CLIENT KILL``
drops the connection of the call in flight.
"""

from __future__ import annotations

import threading
import time
from typing import Iterator

import pytest
import redis

from IndexedRedis import (
    IndexedRedisModel,
    IRField,
    RedisOperationError,
    WriteOutcomeUnknownError,
    clearRedisPools,
    setDefaultRedisConnectionParams,
)
from IndexedRedis.executors import common, sync as executor
from IndexedRedis.server import RedisServer

TIMEOUT = 0.3  # the models' socket_timeout in this module


class Job(IndexedRedisModel):
    FIELDS = [IRField("name"), IRField("n", valueType=int)]
    INDEXED_FIELDS = ["name"]
    KEY_NAME = "irtest:RetryJob"
    REDIS_CONNECTION_PARAMS = {"socket_timeout": TIMEOUT}


class JobRetryOnTimeout(IndexedRedisModel):
    """The same model with redis-py's own retry_on_timeout, which IndexedRedis switches off."""

    FIELDS = [IRField("name"), IRField("n", valueType=int)]
    INDEXED_FIELDS = ["name"]
    KEY_NAME = "irtest:RetryJob"
    REDIS_CONNECTION_PARAMS = {"socket_timeout": TIMEOUT, "retry_on_timeout": True}


@pytest.fixture(scope="module")
def debug_server() -> Iterator[RedisServer]:
    server = RedisServer(extraArgs=("--enable-debug-command", "local"))
    try:
        server.start()
    except Exception:  # a Redis before 7 has no such option and allows DEBUG anyway
        server = RedisServer()
        server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def db(debug_server) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(debug_server.url)
    client.flushdb()
    setDefaultRedisConnectionParams({"url": debug_server.url})
    clearRedisPools()
    try:
        yield client
    finally:
        clearRedisPools()
        client.flushdb()
        client.close()


def _later(db: redis.Redis, delay: float, *command) -> threading.Thread:
    """Send ``command`` from another connection (to ``db``'s server) after ``delay`` seconds."""
    kwargs = db.connection_pool.connection_kwargs

    def run() -> None:
        time.sleep(delay)
        other = redis.Redis(host=kwargs["host"], port=kwargs["port"], socket_timeout=10)
        try:
            other.execute_command(*command)
        finally:
            other.close()

    t = threading.Thread(target=run)
    t.start()
    return t


def _blockServer(db: redis.Redis, seconds: float) -> threading.Thread:
    """Block the server for ``seconds`` from another connection, starting now."""
    t = _later(db, 0, "DEBUG", "SLEEP", seconds)
    time.sleep(0.05)  # let DEBUG SLEEP start first
    return t


@pytest.mark.parametrize("model", [Job, JobRetryOnTimeout])
def test_insert_whose_reply_is_late_is_written_once(db, model):
    model(name="warm").save()  # scripts loaded, connection made
    blocker = _blockServer(db, TIMEOUT * 2.5)
    job = model(name="late", n=1)
    ids = job.save()  # first try times out; the retry meets the kept reply of the first
    blocker.join()
    assert ids == [job._id]
    assert model.objects.filter(name="late").getPrimaryKeys() == [job._id]
    assert model.objects.count() == 2
    assert model.objects.verify().ok


def test_list_save_whose_reply_is_late_is_written_once(db):
    Job(name="warm").save()
    blocker = _blockServer(db, TIMEOUT * 2.5)
    jobs = [Job(name="batch", n=i) for i in range(50)]
    pks = Job.saver.save(jobs)
    blocker.join()
    assert pks == [j._id for j in jobs] and len(set(pks)) == 50
    assert Job.objects.filter(name="batch").count() == 50


def test_update_whose_reply_is_late(db):
    job = Job(name="a", n=1)
    job.save()
    blocker = _blockServer(db, TIMEOUT * 2.5)
    job.name = "b"
    job.save()
    blocker.join()
    assert Job.objects.filter(name="b").getPrimaryKeys() == [job._id]
    assert Job.objects.filter(name="a").count() == 0
    assert Job.objects.verify().ok


def test_delete_whose_reply_is_late_counts_once(db):
    job = Job(name="doomed")
    job.save()
    Job(name="kept").save()
    blocker = _blockServer(db, TIMEOUT * 2.5)
    assert job.delete() == 1  # the retry gives the first try's reply, not 0
    blocker.join()
    assert Job.objects.filter(name="doomed").count() == 0 and Job.objects.count() == 1


def test_read_during_a_stall_is_retried(db):
    job = Job(name="r", n=5)
    job.save()
    blocker = _blockServer(db, TIMEOUT * 2.5)
    assert Job.objects.get(job._id).n == 5
    blocker.join()


def test_insert_whose_connection_is_killed_is_written_once(db):
    Job(name="warm").save()
    # Hold writes, then kill every normal client connection while our save waits in the pause.
    db.execute_command("CLIENT", "PAUSE", 600, "WRITE")
    killer = _later(db, 0.15, "CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes")
    job = Job(name="killed")
    job.save()
    killer.join()
    assert Job.objects.filter(name="killed").getPrimaryKeys() == [job._id]
    assert Job.objects.count() == 2


def test_delete_whose_connection_is_killed(db):
    job = Job(name="doomed")
    job.save()
    db.execute_command("CLIENT", "PAUSE", 600, "WRITE")
    killer = _later(db, 0.15, "CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes")
    assert job.delete() == 1
    killer.join()
    assert Job.objects.count() == 0


def test_outcome_unknown_is_said_and_a_second_save_does_not_duplicate(db, monkeypatch):
    monkeypatch.setattr(common, "RETRIES", 1)
    Job(name="warm").save()
    blocker = _blockServer(db, TIMEOUT * 6)  # longer than both tries
    job = Job(name="unknown")
    with pytest.raises(WriteOutcomeUnknownError, match=r"save on model Job.*1 new object") as info:
        job.save()
    assert isinstance(info.value, RedisOperationError) and info.value.pks == [None]
    blocker.join()
    assert job._id is None
    job.n = 7  # changed meanwhile: the second save carries the first one's token, then writes this
    ids = job.save()
    assert Job.objects.filter(name="unknown").getPrimaryKeys() == ids == [job._id]
    assert Job.objects.get(job._id).n == 7
    assert Job.objects.count() == 2 and Job.objects.verify().ok


def test_unreachable_server_is_not_an_unknown_outcome(db):
    class Nowhere(IndexedRedisModel):
        FIELDS = [IRField("name")]
        KEY_NAME = "irtest:Nowhere"
        REDIS_CONNECTION_PARAMS = {"url": "redis://127.0.0.1:1/0", "socket_connect_timeout": 0.2}

    with pytest.raises(RedisOperationError) as info:
        Nowhere(name="x").save()
    assert not isinstance(info.value, WriteOutcomeUnknownError)
    assert "save on model Nowhere" in str(info.value)


def test_reset_whose_switch_reply_is_lost(db, monkeypatch):
    """The switch ran but its reply was lost: the executor sends it again, which finds the new
    dataset current; the reset returns normally (the old generation is left for repair)."""
    from IndexedRedis import scripts

    Job.reset([Job(name="old", n=i) for i in range(5)])
    real = executor._send
    lost = []

    def send(call, client, layout):
        reply = real(call, client, layout)
        if call.script is scripts.SWAP_GENERATION and not lost:
            lost.append(reply)
            raise redis.exceptions.ConnectionError("Connection lost after the switch")
        return reply

    monkeypatch.setattr(executor, "_send", send)
    pks = Job.reset([Job(name="new", n=i) for i in range(3)])
    assert lost and len(pks) == 3
    assert sorted(j.name for j in Job.objects.all()) == ["new"] * 3
    monkeypatch.setattr(executor, "_send", real)
    assert Job.objects.repair().ok and Job.objects.verify().ok
    assert Job.objects.count() == 3
