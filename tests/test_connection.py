"""Connection params, pools, per-model params and connectAlt."""

from __future__ import annotations

import pytest

import IndexedRedis
from IndexedRedis import IndexedRedisModel, IRField, RedisOperationError
from IndexedRedis.connection import (
    clearRedisPools,
    getDefaultRedisConnectionParams,
    getRedisPool,
    resolveParams,
    setDefaultRedisConnectionParams,
)
from IndexedRedis.server import freePort
from tests.models import Song


@pytest.fixture
def restore_defaults():
    previous = getDefaultRedisConnectionParams()
    yield
    setDefaultRedisConnectionParams(previous)
    clearRedisPools()


def test_defaults_and_env(monkeypatch, restore_defaults):
    import IndexedRedis.connection as connection

    monkeypatch.setattr(connection, "_explicit_defaults", False)
    monkeypatch.delenv("REDIS_URL", raising=False)
    assert getDefaultRedisConnectionParams() == {"host": "127.0.0.1", "port": 6379, "db": 0}
    monkeypatch.setenv("REDIS_URL", "redis://example:1234/3")
    assert getDefaultRedisConnectionParams() == {"url": "redis://example:1234/3"}
    setDefaultRedisConnectionParams({"host": "h", "port": 1})
    assert getDefaultRedisConnectionParams() == {"host": "h", "port": 1}
    with pytest.raises(TypeError):
        setDefaultRedisConnectionParams("redis://x")


def test_pools_are_shared_per_params(restore_defaults):
    a = getRedisPool({"host": "127.0.0.1", "port": 1, "db": 0})
    assert getRedisPool({"db": 0, "port": 1, "host": "127.0.0.1"}) is a
    assert getRedisPool({"host": "127.0.0.1", "port": 1, "db": 1}) is not a
    clearRedisPools()
    assert getRedisPool({"host": "127.0.0.1", "port": 1, "db": 0}) is not a


def test_model_params_override_key_by_key(restore_defaults):
    setDefaultRedisConnectionParams({"host": "h", "port": 1, "db": 0, "password": "pw"})
    assert resolveParams({"db": 4}) == {"host": "h", "port": 1, "db": 4, "password": "pw"}
    setDefaultRedisConnectionParams({"url": "redis://h:2/0"})
    merged = resolveParams({"db": 5})
    assert merged["host"] == "h" and merged["port"] == 2 and merged["db"] == 5


def test_connectAlt_binds_a_copy_to_another_database(real_db, redis_server_url):
    url2 = redis_server_url.rsplit("/", 1)[0] + "/3"
    Alt = Song.connectAlt({"url": url2})
    Alt.deleter.destroyModel()
    assert issubclass(Alt, Song) and Alt.__name__ == "Song"
    Alt(artist="elsewhere").save()
    Song(artist="here").save()
    assert [s.artist for s in Alt.objects.all()] == ["elsewhere"]
    assert [s.artist for s in Song.objects.all()] == ["here"]
    assert isinstance(Alt.objects.first(), Song)
    Alt.deleter.destroyModel()


def test_copyModel_is_independent(real_db):
    Copy = Song.copyModel()
    assert Copy.FIELDS is not Song.FIELDS and Copy.KEY_NAME == Song.KEY_NAME
    Copy(artist="c").save()
    assert Song.objects.filter(artist="c").count() == 1


def test_unreachable_server_raises_a_clear_error(restore_defaults):
    port = freePort()  # nothing listens there
    setDefaultRedisConnectionParams({"host": "127.0.0.1", "port": port, "socket_connect_timeout": 0.5})

    class Lonely(IndexedRedisModel):
        FIELDS = [IRField("a")]
        INDEXED_FIELDS = ["a"]
        KEY_NAME = "irtest:Lonely"

    with pytest.raises(RedisOperationError) as info:
        Lonely.objects.filter(a="x").all()
    assert "all on model Lonely" in str(info.value) and "Redis is running" in str(info.value)
    assert info.value.__cause__ is not None
    assert isinstance(info.value, IndexedRedis.IndexedRedisError)
