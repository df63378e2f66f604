"""A models module that sets its own (dead) default server at import, as applications do; used by
tests/test_cli.py in a subprocess only: the CLI's --url / REDIS_URL must win over it."""

from IndexedRedis import IndexedRedisModel, setDefaultRedisConnectionParams
from IndexedRedis.fields import IRField

setDefaultRedisConnectionParams({"host": "127.0.0.1", "port": 1, "db": 0})


class OwnParams(IndexedRedisModel):
    FIELDS = [IRField("name")]
    INDEXED_FIELDS = ["name"]
    KEY_NAME = "irtest:cli:OwnParams"


class OwnServer(IndexedRedisModel):
    """Its own REDIS_CONNECTION_PARAMS name a dead server as well."""

    FIELDS = [IRField("name")]
    KEY_NAME = "irtest:cli:OwnServer"
    REDIS_CONNECTION_PARAMS = {"host": "127.0.0.1", "port": 2, "db": 3}
