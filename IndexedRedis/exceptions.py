"""Every exception IndexedRedis raises.

The tree::

    IndexedRedisError
    ├── InvalidModelException          a model class is defined wrongly (raised on first use)
    ├── InvalidFieldError              unknown field name  (also KeyError)
    ├── InvalidQueryError              filter on an unknown or non-indexed field (also ValueError)
    │   └── UnsizedQueryError          len() of a query, which has no size until fetched (also TypeError)
    ├── InvalidValueError              a value that a field cannot hold or store (also ValueError, TypeError)
    ├── ObjectNotFoundError            an operation needs an object that is not in Redis (also KeyError)
    ├── ConcurrentWriteError           a save kept losing races against other writers
    ├── LockNotOwnedError              release/extend of a RedisLock this holder does not own (also RuntimeError)
    ├── MigrationError                 Model.migrate() cannot convert the data (nothing was switched)
    ├── DefinitionMismatchError        a write from a model definition other than the one the data follows
    ├── BlockingCallError              blocking I/O asked for inside a running event loop (also RuntimeError)
    └── RedisOperationError            Redis could not be reached or answered with an error;
        │                              the redis-py exception is chained as ``__cause__``
        ├── WriteOutcomeUnknownError   a write was sent but no try could confirm whether it ran
        └── RedisServerNotFound        no redis-server binary to start a private server with

Where IndexedRedis 6.0.3 raised a builtin (``ValueError``, ``KeyError``), the matching
exception here also subclasses that builtin, so ``except ValueError`` in old code still works.
"""

from __future__ import annotations

from typing import Any


class IndexedRedisError(Exception):
    """Base class of every exception raised by IndexedRedis."""


class InvalidModelException(IndexedRedisError):
    """The model class is not valid. Raised the first time the model is used."""


class InvalidFieldError(IndexedRedisError, KeyError):
    """A field name that the model does not define."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class InvalidQueryError(IndexedRedisError, ValueError):
    """A filter that the server cannot run: unknown field, non-indexed field, bad operator."""


class UnsizedQueryError(InvalidQueryError, TypeError):
    """``len(query)``: a query is not fetched until a fetch function runs, so it has no size; the
    message says which call to use (``count()``, ``len(query.all())``)."""


class InvalidValueError(IndexedRedisError, ValueError, TypeError):
    """A value that a field cannot hold or cannot convert for storage."""


class ObjectNotFoundError(IndexedRedisError, KeyError):
    """An object that an operation needs does not exist (any more) in Redis."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class UniqueConstraintError(IndexedRedisError, ValueError):
    """A write would give two objects the same value of a field (or tuple of fields) in
    UNIQUE_FIELDS; nothing of that write was stored. ``model``, ``fields``, ``value`` (a tuple of
    the values, one per field) and ``holder`` (the pk of the object that holds the value, or None
    when another object of the same batch takes it) say which."""

    def __init__(self, message: str, model: str = "", fields: tuple = (), value: tuple = (), holder: object = None) -> None:
        super().__init__(message)
        self.model = model
        self.fields = fields
        self.value = value
        self.holder = holder


class ConcurrentWriteError(IndexedRedisError):
    """A write was retried against changes made by other writers and still could not be applied."""


class LockNotOwnedError(IndexedRedisError, RuntimeError):
    """A ``RedisLock`` was released (or extended) by a holder that does not own it: never acquired,
    already released, or its lease ran out and another holder may have it now."""


class MigrationError(IndexedRedisError):
    """``Model.migrate()`` could not rebuild the data for the new definition (a stored value the
    new definition refuses, an old definition that cannot be rebuilt). Nothing was switched: the
    data is as it was."""


class DefinitionMismatchError(IndexedRedisError):
    """A write through a model class whose definition differs from the one the stored data
    follows (kept by ``reset`` and ``migrate``): another process migrated the data to a new
    definition, or this one runs an old one. Nothing was written; run the current model code."""


class BlockingCallError(IndexedRedisError, RuntimeError):
    """Code running in an event loop read an unfetched link as an attribute, which would block the
    loop on a round trip to Redis: ``await obj.aget('field')`` fetches it instead (or fetch with
    ``cascadeFetch=True``, or ``await obj.acascadeFetch()``)."""


class RedisOperationError(IndexedRedisError):
    """Redis could not be reached, timed out, or rejected a command.

    The message names the operation and the model; the redis-py exception is ``__cause__``.
    """


class WriteOutcomeUnknownError(RedisOperationError):
    """A write was sent, but every try to learn whether Redis ran it failed (timeouts, dropped
    connections). It may or may not have been written. Saving the same objects again is safe: a
    new object keeps the token of the unconfirmed write, so it is never stored twice.

    ``pks``: the primary keys the write concerned (``None`` for objects not saved yet).
    """

    def __init__(self, message: str, pks: Any = ()) -> None:
        super().__init__(message)
        self.pks = list(pks)


class RedisServerNotFound(RedisOperationError):
    """No ``redis-server`` binary was found to start a private server."""


__all__ = [
    "BlockingCallError",
    "ConcurrentWriteError",
    "IndexedRedisError",
    "InvalidFieldError",
    "InvalidModelException",
    "InvalidQueryError",
    "InvalidValueError",
    "LockNotOwnedError",
    "ObjectNotFoundError",
    "RedisOperationError",
    "RedisServerNotFound",
    "UniqueConstraintError",
    "UnsizedQueryError",
    "WriteOutcomeUnknownError",
]
