"""Python collections that live in Redis, typed by IndexedRedis fields, every method atomic.

=================  ==========================  ===========
type               mimics                      Redis type
=================  ==========================  ===========
RedisDict          dict (MutableMapping)       hash
RedisList          list (MutableSequence)      list
RedisSet           set (MutableSet)            set
RedisCounter       collections.Counter         sorted set
RedisDeque         collections.deque           list
RedisQueue         queue.Queue                 list
RedisLifoQueue     queue.LifoQueue             list
RedisLock          threading.Lock (leased)     string
RedisInt           int counter                 string
RedisFloat         float counter               string
=================  ==========================  ===========

Values go through the same field objects as model fields (``valueField=IRField(valueType=int)``,
``IRCompressedField()``, ...; default: str in, str out) or hold links (``of=Model``). Collections
owned by model objects: ``IRListField`` and friends (``IndexedRedis.collections.fields``).
See docs/collections.rst.
"""

from __future__ import annotations

from .base import RedisCollection, ValueCodec
from .fields import IRCollectionField, IRCounterField, IRDequeField, IRDictField, IRListField, IRSetField
from .lists import RedisDeque, RedisList
from .mappings import RedisCounter, RedisDict
from .numbers import RedisFloat, RedisInt
from .queues import RedisLifoQueue, RedisLock, RedisQueue
from .sets import RedisSet

__all__ = [
    "IRCollectionField",
    "IRCounterField",
    "IRDequeField",
    "IRDictField",
    "IRListField",
    "IRSetField",
    "RedisCollection",
    "RedisCounter",
    "RedisDeque",
    "RedisDict",
    "RedisFloat",
    "RedisInt",
    "RedisLifoQueue",
    "RedisList",
    "RedisLock",
    "RedisQueue",
    "RedisSet",
    "ValueCodec",
]
