"""Connection params as 6.0.3 code passes them: ssl, misspelt keys, wrong types, errors naming the model."""

from __future__ import annotations

import pytest
import redis

from IndexedRedis import IndexedRedisModel, InvalidModelException, InvalidValueError, IRField
from IndexedRedis.connection import (
    clearRedisPools,
    getDefaultRedisConnectionParams,
    getRedisPool,
    setDefaultRedisConnectionParams,
)


@pytest.fixture
def restore_defaults():
    previous = getDefaultRedisConnectionParams()
    yield
    setDefaultRedisConnectionParams(previous)
    clearRedisPools()


def test_ssl_true_is_honoured_with_a_url_too(restore_defaults):
    assert getRedisPool({"host": "h", "port": 1, "ssl": True}).connection_class is redis.SSLConnection
    assert getRedisPool({"url": "redis://h:1/0", "ssl": True}).connection_class is redis.SSLConnection
    assert getRedisPool({"url": "rediss://h:1/0"}).connection_class is redis.SSLConnection
    assert getRedisPool({"url": "redis://h:1/0"}).connection_class is redis.Connection


def test_a_misspelt_parameter_fails_when_the_pool_is_built_naming_it(restore_defaults):
    with pytest.raises(InvalidModelException, match="sockettimeout"):
        getRedisPool({"host": "127.0.0.1", "port": 1, "sockettimeout": 3})


def test_bad_params_on_a_model_name_the_model_and_hide_the_password(restore_defaults):
    class Misconfigured(IndexedRedisModel):
        FIELDS = [IRField("a")]
        KEY_NAME = "irtest:Misconfigured"
        REDIS_CONNECTION_PARAMS = {"hots": "127.0.0.1", "password": "s3cret"}

    with pytest.raises(InvalidModelException) as info:
        Misconfigured.objects.count()
    text = str(info.value)
    assert "Misconfigured" in text and "hots" in text and "REDIS_CONNECTION_PARAMS" in text
    assert "s3cret" not in text


@pytest.mark.parametrize("bad", [None, "redis://localhost:6379/0", [("host", "h")]])
def test_setDefaultRedisConnectionParams_takes_a_dict(bad, restore_defaults):
    before = getDefaultRedisConnectionParams()
    with pytest.raises(InvalidValueError, match="takes a dict") as info:
        setDefaultRedisConnectionParams(bad)
    assert isinstance(info.value, TypeError)  # what 6.x-era code may catch
    assert getDefaultRedisConnectionParams() == before


def test_model_params_override_the_parts_of_a_url_default(restore_defaults):
    from IndexedRedis.connection import resolveParams

    setDefaultRedisConnectionParams({"url": "redis://user:pw@h:2/0?socket_timeout=5"})
    merged = resolveParams({"password": "other", "db": 3})
    assert (merged["host"], merged["port"], merged["db"], merged["username"]) == ("h", 2, 3, "user")
    assert merged["password"] == "other" and merged["socket_timeout"] == 5
    pool = getRedisPool(merged)
    assert pool.connection_kwargs["password"] == "other" and pool.connection_kwargs["db"] == 3
    only = resolveParams({"password": "alone"})  # a key other than host/port/db on its own
    assert only["password"] == "alone" and only["host"] == "h" and only["db"] == 0
    assert getRedisPool(only).connection_kwargs["password"] == "alone"
    assert resolveParams({})["url"].startswith("redis://user:pw@h:2/0")  # no override: the URL as given
    assert resolveParams({"url": "redis://x:1/1"}) == {"url": "redis://x:1/1"}
