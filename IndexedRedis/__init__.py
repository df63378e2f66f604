"""IndexedRedis: a fast object mapper for Redis, with equality indexes kept as Redis sets.

Re-exports only; see the modules for the code. The names of IndexedRedis 6.0.3 stay importable.
"""

from __future__ import annotations

from . import compat_str
from .compat_str import getDefaultIREncoding, setDefaultIREncoding
from .connection import (
    clearRedisPools,
    getDefaultRedisConnectionParams,
    getRedisPool,
    setDefaultRedisConnectionParams,
)
from .exceptions import (
    ConcurrentWriteError,
    IndexedRedisError,
    InvalidFieldError,
    InvalidModelException,
    InvalidQueryError,
    InvalidValueError,
    LockNotOwnedError,
    ObjectNotFoundError,
    RedisOperationError,
    RedisServerNotFound,
)
from .fields import (
    IRBase64Field,
    IRBytesField,
    IRClassicField,
    IRCompressedField,
    IRField,
    IRFieldChain,
    IRFixedPointField,
    IRNullType,
    IRPickleField,
    IRRawField,
    IRUnicodeField,
    irNull,
)
from .model import IndexedRedisModel
from .persistence import IRDeleter, IRSaver
from .query import IRQueryBuilder
from .results import IRQueryableList

__version__ = "7.0.0.dev0"

__all__ = [
    "ConcurrentWriteError",
    "IRBase64Field",
    "IRBytesField",
    "IRClassicField",
    "IRCompressedField",
    "IRDeleter",
    "IRField",
    "IRFieldChain",
    "IRFixedPointField",
    "IRNullType",
    "IRPickleField",
    "IRQueryBuilder",
    "IRQueryableList",
    "IRRawField",
    "IRSaver",
    "IRUnicodeField",
    "IndexedRedisError",
    "IndexedRedisModel",
    "InvalidFieldError",
    "InvalidModelException",
    "InvalidQueryError",
    "InvalidValueError",
    "LockNotOwnedError",
    "ObjectNotFoundError",
    "RedisOperationError",
    "RedisServerNotFound",
    "clearRedisPools",
    "compat_str",
    "getDefaultIREncoding",
    "getDefaultRedisConnectionParams",
    "getRedisPool",
    "irNull",
    "setDefaultIREncoding",
    "setDefaultRedisConnectionParams",
]
