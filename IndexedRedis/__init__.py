"""IndexedRedis: a fast object mapper for Redis, with equality indexes kept as Redis sets.

Re-exports only; see the modules for the code. The names of IndexedRedis 6.0.3 stay importable.
"""

from __future__ import annotations

from . import compat_str
from .compat_str import getDefaultIREncoding, setDefaultIREncoding, to_unicode, tobytes
from .connection import (
    aclose,
    clearRedisPools,
    getDefaultRedisConnectionParams,
    getRedisPool,
    setDefaultRedisConnectionParams,
)
from .deprecated import deprecated, deprecatedMessage, toggleDeprecatedMessages
from .exceptions import (
    BlockingCallError,
    ConcurrentWriteError,
    DefinitionMismatchError,
    IndexedRedisError,
    InvalidFieldError,
    InvalidModelException,
    InvalidQueryError,
    InvalidValueError,
    LockNotOwnedError,
    MigrationError,
    ObjectNotFoundError,
    RedisOperationError,
    RedisServerNotFound,
    UniqueConstraintError,
    UnsizedQueryError,
    WriteOutcomeUnknownError,
)
from .fields import (
    IRBase64Field,
    IRBytesField,
    IRClassicField,
    IRCompressedField,
    IRField,
    IRFieldChain,
    IRFixedPointField,
    IRForeignLinkFieldBase,
    IRNullType,
    IRPickleField,
    IRRawField,
    IRUnicodeField,
    irNull,
)
from .fields.null import IR_NULL_STR
from .IRQueryableList import IRQueryableList
from .keys import PREFIX as _PREFIX
from .model import IndexedRedisModel, isIndexedRedisModel
from .persistence import IRDeleter, IRSaver
from .query import IndexedRedisHelper, IRQueryBuilder
from .schema import validatedModels
from .utils import KeyList, hashDictOneLevel

__version__ = "7.0.0.dev0"

# Names of IndexedRedis 6.x.
INDEXED_REDIS_PREFIX = _PREFIX.decode("ascii")  # '_ir_|', the start of every key name
INDEXED_REDIS_VERSION = (7, 0, 0)
INDEXED_REDIS_VERSION_STR = __version__
IndexedRedisQuery = IRQueryBuilder
IndexedRedisSave = IRSaver
IndexedRedisDelete = IRDeleter


def decodeDict(d: dict, encoding: str = "") -> dict:
    """A copy of ``d`` whose bytes keys are decoded to str (values are left as they are)."""
    enc = encoding or getDefaultIREncoding()
    return {k.decode(enc) if isinstance(k, bytes) else k: v for k, v in d.items()}


__all__ = [
    "BlockingCallError",
    "ConcurrentWriteError",
    "DefinitionMismatchError",
    "INDEXED_REDIS_PREFIX",
    "INDEXED_REDIS_VERSION",
    "INDEXED_REDIS_VERSION_STR",
    "IRBase64Field",
    "IRBytesField",
    "IRClassicField",
    "IRCompressedField",
    "IRDeleter",
    "IRField",
    "IRFieldChain",
    "IRFixedPointField",
    "IRForeignLinkFieldBase",
    "IRNullType",
    "IRPickleField",
    "IRQueryBuilder",
    "IRQueryableList",
    "IRRawField",
    "IRSaver",
    "IRUnicodeField",
    "IR_NULL_STR",
    "IndexedRedisDelete",
    "IndexedRedisError",
    "IndexedRedisHelper",
    "IndexedRedisModel",
    "IndexedRedisQuery",
    "IndexedRedisSave",
    "InvalidFieldError",
    "InvalidModelException",
    "InvalidQueryError",
    "InvalidValueError",
    "KeyList",
    "LockNotOwnedError",
    "MigrationError",
    "ObjectNotFoundError",
    "RedisOperationError",
    "RedisServerNotFound",
    "UniqueConstraintError",
    "UnsizedQueryError",
    "WriteOutcomeUnknownError",
    "aclose",
    "clearRedisPools",
    "compat_str",
    "decodeDict",
    "deprecated",
    "deprecatedMessage",
    "getDefaultIREncoding",
    "getDefaultRedisConnectionParams",
    "getRedisPool",
    "hashDictOneLevel",
    "irNull",
    "isIndexedRedisModel",
    "setDefaultIREncoding",
    "setDefaultRedisConnectionParams",
    "to_unicode",
    "tobytes",
    "toggleDeprecatedMessages",
    "validatedModels",
]
