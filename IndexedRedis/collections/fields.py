"""Collection fields: a collection owned by each object of a model.

Declared as class attributes beside FIELDS (not in it: nothing is stored in the object's hash)::

    class Playlist(IndexedRedisModel):
        FIELDS = [IRField('name')]
        INDEXED_FIELDS = ['name']
        KEY_NAME = 'Playlist'
        tracks = IRListField(of=Song)               # a RedisList of links to Song objects
        plays = IRCounterField()                    # a RedisCounter
        meta = IRDictField(valueField=IRField(valueType=int))

On a saved object, ``playlist.tracks`` is a RedisList at ``_ir_|Playlist:coll:tracks:PK`` (in
the generation the model's data is in; see keys.py), on the model's connection. Before the
first save it is a plain list (dict, set, Counter) kept on the object; ``save`` writes it right
after the object (one more round trip: a reader may see the new object with an empty
collection in between), and ``Model.reset`` writes it into the generation being built, so
readers see objects and collections switch together. Assigning to the attribute of a saved
object replaces the collection's contents in one MULTI.

The keys go with the object: ``delete`` removes them in the same script call as the object,
``destroyModel`` and ``reset`` find them as keys of the model (of the generation they belong to).
"""

from __future__ import annotations

import collections
from typing import Any, Dict, Iterable, List, Optional, Tuple

from ..exceptions import InvalidValueError
from .base import RedisCollection
from .lists import RedisDeque, RedisList
from .mappings import RedisCounter, RedisDict
from .sets import RedisSet

_PENDING = "_ir_pendingCollections"


class IRCollectionField:
    """A collection of type ``kind`` owned by each object (see the module doc)."""

    _ir_ownsCollection = True
    kind: type = RedisCollection
    pendingType: Any = list

    def __init__(self, **collectionArgs: Any) -> None:
        for bad in ("ttl", "client", "connectionParams", "key"):
            if bad in collectionArgs:
                raise InvalidValueError(
                    f"{type(self).__name__}: {bad}= is not for a collection field; its key and connection are the object's"
                )
        self.collectionArgs = collectionArgs
        self.name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def definitionProblem(self, fieldNames: List[str]) -> Optional[str]:
        if not self.name or ":" in self.name:
            return "the attribute name must not be empty or contain ':' (it is part of the key name)"
        try:
            self.kind(b"check", client=object(), **self.collectionArgs)  # type: ignore[arg-type]
        except InvalidValueError as exc:
            return str(exc)
        return None

    # ------------------------------------------------------------------ binding
    def collectionFor(self, obj: Any) -> RedisCollection:
        """The collection of a saved object, on the model's connection and current generation."""
        from ..schema import getSchema

        schema = getSchema(type(obj))
        pk = obj.getPk()
        if pk is None:
            raise InvalidValueError(
                f"Model {schema.modelName}: object is not saved, so collection field {self.name!r} has no key yet; save it first"
            )
        layout = schema.layoutFor(schema.lastSeenGeneration())
        coll = self.kind(layout.collection(self.name, pk), client=schema.client(), **self.collectionArgs)
        coll._asyncOwner = schema  # the awaited methods use the model's redis.asyncio client
        return coll

    def __get__(self, obj: Any, owner: type) -> Any:
        if obj is None:
            return self
        if obj.getPk() is None:
            pending = obj.__dict__.setdefault(_PENDING, {})
            if self.name not in pending:
                pending[self.name] = self.pendingType()
            return pending[self.name]
        return self.collectionFor(obj)

    def __set__(self, obj: Any, value: Any) -> None:
        if obj.getPk() is None:
            obj.__dict__.setdefault(_PENDING, {})[self.name] = self.pendingType(value)
            return
        coll = self.collectionFor(obj)
        if isinstance(value, RedisCollection) and value.key == coll.key:
            return  # ``obj.tracks += [...]`` assigns the same collection back
        coll.replace(value)  # type: ignore[attr-defined]

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in self.collectionArgs.items())})"


class IRListField(IRCollectionField):
    """Each object owns a RedisList (``valueField=`` or ``of=Model``)."""

    kind = RedisList
    pendingType = list


class IRDequeField(IRCollectionField):
    """Each object owns a RedisDeque (``maxlen=``, ``valueField=`` or ``of=Model``)."""

    kind = RedisDeque
    pendingType = list


class IRDictField(IRCollectionField):
    """Each object owns a RedisDict (``keyField=``, ``valueField=`` or ``of=Model``)."""

    kind = RedisDict
    pendingType = dict


class IRSetField(IRCollectionField):
    """Each object owns a RedisSet (``valueField=`` or ``of=Model``)."""

    kind = RedisSet
    pendingType = set


class IRCounterField(IRCollectionField):
    """Each object owns a RedisCounter (``keyField=``)."""

    kind = RedisCounter
    pendingType = collections.Counter


def pendingWrites(schema: Any, gen: int, objs: Iterable[Any]) -> List[Tuple[RedisCollection, Any]]:
    """The writes of the collections assigned to objects before their first save, as
    ``(collection, op)`` pairs for jobs.CollectionWrites (save and reset run them).

    ``gen``: the generation the objects were written to (for reset, the one being built).
    """
    writes: List[Tuple[RedisCollection, Any]] = []
    if not schema.collectionFields:
        return writes
    client = schema.client()
    layout = schema.layoutFor(gen)
    byName: Dict[str, IRCollectionField] = {c.name: c for c in schema.collectionFields}
    for obj in objs:
        pending = obj.__dict__.pop(_PENDING, None)
        if not pending or obj.getPk() is None:
            continue
        for name, value in pending.items():
            field = byName.get(name)
            if field is None or not value:
                continue
            coll = field.kind(layout.collection(name, obj.getPk()), client=client, **field.collectionArgs)
            coll._asyncOwner = schema
            writes.append((coll, type(coll).replace.plan(coll, value)))  # type: ignore[attr-defined]
    return writes


__all__ = [
    "IRCollectionField",
    "IRCounterField",
    "IRDequeField",
    "IRDictField",
    "IRListField",
    "IRSetField",
    "pendingWrites",
]
