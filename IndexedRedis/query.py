"""``Model.objects``: the filter chain and its fetch functions (synchronous executor).

``filter()`` returns a new query; nothing touches Redis until a fetch function runs.
Each fetch function is one round trip that reads one instant of the data.
"""

from __future__ import annotations

from functools import partial
from typing import Any, AsyncIterator, Callable, Dict, Generic, Iterator, List, Optional, Sequence, Tuple, TypeVar, overload

from . import persistence, readplans, updates
from .compat_str import getDefaultIREncoding
from .exceptions import InvalidQueryError, UnsizedQueryError
from .executors.async_ import aiterJob, arunJob
from .executors.sync import iterJob, runJob
from .foreignfetch import fetchWithLinks
from .integrity import checkLinks, repairOp, verifyOp
from .jobs import Job, runOne
from .keys import KeyLayout
from .plans import Emit, Op, parseFilters, primaryKeys
from .readcache import ReadCache
from .results import IRQueryableList
from .reset import resetJob
from .schema import IndexedRedisHelper, ModelSchema, getSchema

_M = TypeVar("_M")  # the model class of a query (for type checkers)
_NO_PK: Any = object()  # get() without a pk (a lookup by unique fields), exists() without a pk (any match)


class IRQueryBuilder(IndexedRedisHelper, Generic[_M]):
    """A query on one model: filters plus fetch functions. ``Model.objects`` returns an empty one."""

    __slots__ = ("model", "_filters")

    def __init__(self, model: "type[_M]", filters: Tuple[Tuple[str, str, Any], ...] = ()) -> None:
        self.model = model
        self._filters = filters

    # ------------------------------------------------------------------ plumbing
    @property
    def _schema(self) -> ModelSchema:
        return getSchema(self.model)

    def _run(self, opFactory: Callable[[KeyLayout], Op], what: str) -> Any:
        return runJob(runOne(opFactory, self._schema, what))

    def _list(self, objs: Sequence[Any]) -> "IRQueryableList[_M]":
        return IRQueryableList(objs, model=self.model)

    def __repr__(self) -> str:
        conds = ", ".join(f"{n}{'' if op == 'eq' else '__' + op}={v!r}" for n, op, v in self._filters if n)
        extra = "".join(
            f".order_by({('-' if v[1] else '') + str(v[0])!r})"
            if op == "order"
            else f"[{v[0]}:{'' if v[1] < 0 else v[0] + v[1]}]"
            for n, op, v in self._filters
            if not n
        )
        return f"<{self.model.__name__}.objects.filter({conds}){extra}>"

    # ------------------------------------------------------------------ order and slices (on the server)
    def order_by(self, *names: str) -> "IRQueryBuilder[_M]":
        """A new query whose results come ordered by a field of SORTED_FIELDS (``'-price'``:
        descending); ties are broken by pk (ascending, or descending for a descending order).
        Slices, ``first()`` and ``last()`` then follow this order, on the server."""
        schema = self._schema
        if len(names) != 1 or not isinstance(names[0], str):
            raise InvalidQueryError(f"Model {schema.modelName}: order_by takes one field name, such as order_by('-price')")
        name = names[0]
        desc = name.startswith("-")
        name = name.lstrip("-+")
        kind = schema.sortedKinds.get(name)
        if kind is None:
            known = "" if name in schema.fieldsByName else f" (Model {schema.modelName} has no field {name!r})"
            raise InvalidQueryError(
                f"Model {schema.modelName}: order_by({names[0]!r}) needs a sorted index on {name!r}{known}; add it to "
                f"SORTED_FIELDS (then run reindex()), or sort on the client: .all().sort_by({name!r})"
            )
        kept = tuple(f for f in self._filters if f[1] != "order")
        return IRQueryBuilder(self.model, kept + (("", "order", (name, desc, kind)),))

    @overload
    def __getitem__(self, item: slice) -> "IRQueryBuilder[_M]": ...
    @overload
    def __getitem__(self, item: int) -> _M: ...
    def __getitem__(self, item: Any) -> Any:
        """``query[20:40]``: a new query for that slice of the results (in the query's order, by pk
        without one), fetched by the server alone; ``query[5]``: that object (IndexError if none)."""
        schema = self._schema
        if isinstance(item, slice):
            start, stop, step = item.start or 0, item.stop, item.step
            if step not in (None, 1) or start < 0 or (stop is not None and stop < 0):
                raise InvalidQueryError(
                    f"Model {schema.modelName}: a query slices with [start:stop] and start, stop >= 0 (no step, no "
                    "negative index); slice the results on the client for more: .all()[...]"
                )
            offset, count = self._sliceOf()  # a slice of a slice: relative to the first
            window = -1 if stop is None else max(0, stop - start)
            if count >= 0:
                left = max(0, count - start)
                window = left if window < 0 else min(window, left)
            start += offset
            newCount = window
            kept = tuple(f for f in self._filters if f[1] != "slice")
            return IRQueryBuilder(self.model, kept + (("", "slice", (start, newCount)),))
        if isinstance(item, int) and not isinstance(item, bool):
            return self.at(item)
        raise InvalidQueryError(f"Model {schema.modelName}: a query takes an int or a slice, not {type(item).__name__}")

    def _atJob(self, index: Any, cascadeFetch: bool) -> Job:
        schema = self._schema
        if not isinstance(index, int) or isinstance(index, bool):
            raise InvalidQueryError(f"Model {schema.modelName}: at() takes an int index, not {type(index).__name__}")
        if index < 0:
            raise InvalidQueryError(f"Model {schema.modelName}: a query takes no negative index; use .all()[{index}]")
        window = self[index : index + 1]

        def job() -> Job:
            found = yield from window._allJob(cascadeFetch)
            if not found:
                raise IndexError(f"Model {schema.modelName}: the query has no result at index {index}")
            return found[0]

        return job()

    def at(self, index: int, cascadeFetch: bool = False) -> _M:
        """The object at ``index`` of the results (in the query's order, by pk without one), as
        ``query[index]``: only that row is sent back (one round trip); IndexError if there is none."""
        return runJob(self._atJob(index, cascadeFetch))

    async def aat(self, index: int, cascadeFetch: bool = False) -> _M:
        """``at(index)`` (and ``query[index]``), awaited."""
        return await arunJob(self._atJob(index, cascadeFetch))

    def _sliceOf(self) -> Tuple[int, int]:
        for _, op, v in self._filters:
            if op == "slice":
                return (int(v[0]), int(v[1]))
        return (0, -1)

    def __iter__(self) -> Iterator[_M]:
        """Iterating a query streams its results in chunks (see ``iterator``)."""
        return self.iterator()

    def iterator(self, chunkSize: int = 0) -> Iterator[_M]:
        """The matching objects, in the order of ``all()``, fetched ``chunkSize`` at a time
        (default ``readplans.READ_CHUNK``, 2000), so a big result never sits in memory whole.

        A result of up to ``chunkSize`` objects is one round trip (fetch.lua), as ``all()``. A
        bigger one: the first call gives the first chunk and every matching pk, from one instant;
        each further chunk is one more round trip (rows.lua), read from that same instant while
        nothing writes to the model. After a write the rest is read as it is then (by pk, with
        objects deleted meanwhile left out, none added). Each match is given at most once.
        """
        schema = self._schema
        size = chunkSize or readplans.READ_CHUNK
        if not isinstance(size, int) or isinstance(size, bool) or size < 1:
            raise InvalidQueryError(f"Model {schema.modelName}: iterator(chunkSize=...) takes an int >= 1; got {chunkSize!r}")
        return self._stream(size)

    def _stream(self, size: int) -> Iterator[_M]:
        return iterJob(self._streamJob(size))

    def _streamJob(self, size: int) -> Job:
        """The chunks of ``iterator()`` / ``async for``, handed out as ``Emit`` effects."""
        schema, filters = self._schema, self._filters
        objs, counter, rest = yield from self._op(lambda layout: readplans.firstChunkOp(schema, layout, filters, size), "iterate")
        yield Emit(objs)
        del objs
        for start in range(0, len(rest), size):
            part = rest[start : start + size]
            objs, same = yield from self._op(partial(_nextChunk, schema, counter, part), "iterate")
            if not same:
                counter = None  # the instant is gone: read the rest as it is now, without asking rows.lua again
            yield Emit(objs)
            del objs

    def __len__(self) -> int:
        schema = self._schema
        raise UnsizedQueryError(
            f"Model {schema.modelName}: a query has no len() before it is fetched; use query.count() (one round trip, "
            "no objects sent) or len(query.all())"
        )

    def __bool__(self) -> bool:
        """A query is always true, as in IndexedRedis 6.0.3 (code tests ``if query:`` for None);
        ``exists()`` says whether anything matches."""
        return True

    def _get_key_for_index(self, field: Any, value: Any) -> str:
        """The name of the index key (a Redis set of pks) of ``field`` = ``value``, as str:
        ``'_ir_|KEY:idx:FIELD:VALUE'``, VALUE being the 32-hex md5 of the stored form for hashed
        fields. After a ``reset`` the key is the one of the generation this client last saw in use
        (``_ir_|KEY:genN:idx:...``). No round trip."""
        schema = self._schema
        name = str(field)
        if name not in schema.indexedNames:
            raise InvalidQueryError(
                f"Model {schema.modelName}: field {name!r} is not indexed, so it has no index key; "
                f"indexed fields are {schema.indexedNameList}"
            )
        layout = schema.layoutFor(schema.knownGeneration(schema.client()))
        key = layout.idx(name, schema.fieldsByName[name].toIndex(value))
        return key.decode(getDefaultIREncoding(), "surrogateescape")

    # ------------------------------------------------------------------ filters
    def filter(self, /, **kwargs: Any) -> "IRQueryBuilder[_M]":
        """A new query with these filters added: ``field=value`` (equals) or ``field__ne=value``.

        Only indexed fields can be filtered on the server; the fields are checked here.
        """
        added = tuple(parseFilters(self._schema, kwargs))
        return IRQueryBuilder(self.model, self._filters + added)

    def filterInline(self, /, **kwargs: Any) -> "IRQueryBuilder[_M]":
        """Add filters to this query itself; returns it."""
        self._filters = self._filters + tuple(parseFilters(self._schema, kwargs))
        return self

    # ------------------------------------------------------------------ fetch functions
    # Each function is a job (jobs.py) built by a ``_...Job`` method, run by the sync executor in
    # the plain method and awaited by the asyncio one in its ``a``-prefixed twin.
    def _allJob(self, cascadeFetch: bool, byAge: bool = False) -> Job:
        what = "allByAge" if byAge else "all"
        cache = self._cache()
        if cache is not None:
            return self._many(
                lambda: self._op(
                    lambda layout: readplans.cachedAllOp(self._schema, layout, self._filters, cache, byAge=byAge), what
                ),
                cascadeFetch,
            )
        return self._many(
            lambda: self._op(lambda layout: readplans.allOp(self._schema, layout, self._filters, byAge=byAge), what), cascadeFetch
        )

    def all(self, cascadeFetch: bool = False) -> "IRQueryableList[_M]":
        """Every object matching the filters (one round trip: fetch.lua)."""
        return runJob(self._allJob(cascadeFetch))

    async def aall(self, cascadeFetch: bool = False) -> "IRQueryableList[_M]":
        """``all()``, awaited."""
        return await arunJob(self._allJob(cascadeFetch))

    def allByAge(self, cascadeFetch: bool = False) -> "IRQueryableList[_M]":
        """Like ``all``, oldest (lowest pk) first."""
        return runJob(self._allJob(cascadeFetch, byAge=True))

    async def aallByAge(self, cascadeFetch: bool = False) -> "IRQueryableList[_M]":
        """``allByAge()``, awaited."""
        return await arunJob(self._allJob(cascadeFetch, byAge=True))

    def _onlyFieldsJob(self, fields: Sequence[Any], cascadeFetch: bool) -> Job:
        fields = list(fields)  # an iterator would be used up by the first try of a read that is retried
        return self._many(
            lambda: self._op(lambda layout: readplans.onlyFieldsOp(self._schema, layout, self._filters, fields), "allOnlyFields"),
            cascadeFetch,
        )

    def allOnlyFields(self, fields: Sequence[Any], cascadeFetch: bool = False) -> "IRQueryableList[_M]":
        """Matching objects with only ``fields`` fetched (others hold defaults and are not written on save)."""
        return runJob(self._onlyFieldsJob(fields, cascadeFetch))

    async def aallOnlyFields(self, fields: Sequence[Any], cascadeFetch: bool = False) -> "IRQueryableList[_M]":
        """``allOnlyFields()``, awaited."""
        return await arunJob(self._onlyFieldsJob(fields, cascadeFetch))

    def allOnlyIndexedFields(self) -> "IRQueryableList[_M]":
        """Matching objects with only their indexed fields fetched."""
        return self.allOnlyFields(self._schema.indexedNameList)

    async def aallOnlyIndexedFields(self) -> "IRQueryableList[_M]":
        """``allOnlyIndexedFields()``, awaited."""
        return await self.aallOnlyFields(self._schema.indexedNameList)

    def _countJob(self) -> Job:
        cache = self._cache()
        if cache is not None and not readplans.sizeCount(self._schema, self._filters):
            return self._op(lambda layout: readplans.cachedCountOp(self._schema, layout, self._filters, cache), "count")
        return self._op(lambda layout: readplans.countOp(self._schema, layout, self._filters), "count")

    def count(self) -> int:
        """How many objects match (SCARD without filters, else fetch.lua)."""
        return runJob(self._countJob())

    async def acount(self) -> int:
        """``count()``, awaited."""
        return await arunJob(self._countJob())

    def _existsJob(self, pk: Any) -> Job:
        if pk is _NO_PK:
            return (yield from self._countJob()) > 0
        return (yield from self._op(lambda layout: readplans.existsOp(self._schema, layout, pk), "exists"))

    def exists(self, pk: Any = _NO_PK) -> bool:
        """``exists(pk)``: True if an object with this pk exists (filters are not applied; one EXISTS).
        ``exists()``: True if any object matches the query's filters (one round trip, as ``count()``)."""
        return runJob(self._existsJob(pk))

    async def aexists(self, pk: Any = _NO_PK) -> bool:
        """``exists()``, awaited."""
        return await arunJob(self._existsJob(pk))

    def _oneJob(self, mode: str, cascadeFetch: bool) -> Job:
        return self._fetch(
            lambda: self._op(lambda layout: readplans.oneOp(self._schema, layout, self._filters, mode), mode), cascadeFetch
        )

    def first(self, cascadeFetch: bool = False) -> Optional[_M]:
        """The oldest matching object (lowest pk), or None. Picked on the server."""
        return runJob(self._oneJob("first", cascadeFetch))

    async def afirst(self, cascadeFetch: bool = False) -> Optional[_M]:
        """``first()``, awaited."""
        return await arunJob(self._oneJob("first", cascadeFetch))

    def last(self, cascadeFetch: bool = False) -> Optional[_M]:
        """The newest matching object (highest pk), or None. Picked on the server."""
        return runJob(self._oneJob("last", cascadeFetch))

    async def alast(self, cascadeFetch: bool = False) -> Optional[_M]:
        """``last()``, awaited."""
        return await arunJob(self._oneJob("last", cascadeFetch))

    def random(self, cascadeFetch: bool = False) -> Optional[_M]:
        """A random matching object, or None."""
        return runJob(self._oneJob("random", cascadeFetch))

    async def arandom(self, cascadeFetch: bool = False) -> Optional[_M]:
        """``random()``, awaited."""
        return await arunJob(self._oneJob("random", cascadeFetch))

    def _pksJob(self, sortByAge: bool) -> Job:
        cache = self._cache()
        if cache is not None:
            return self._op(
                lambda layout: readplans.cachedPksOp(self._schema, layout, self._filters, cache, sortByAge), "getPrimaryKeys"
            )
        return self._op(lambda layout: readplans.pksOp(self._schema, layout, self._filters, sortByAge), "getPrimaryKeys")

    def getPrimaryKeys(self, sortByAge: bool = False) -> List[int]:
        """The pks of the matching objects (sorted oldest first with ``sortByAge``)."""
        return runJob(self._pksJob(sortByAge))

    async def agetPrimaryKeys(self, sortByAge: bool = False) -> List[int]:
        """``getPrimaryKeys()``, awaited."""
        return await arunJob(self._pksJob(sortByAge))

    # ------------------------------------------------------------------ by primary key (filters not applied)
    def _getJob(self, pk: Any, cascadeFetch: bool, unique: Dict[str, Any]) -> Job:
        if unique:
            if pk is not _NO_PK:
                raise InvalidQueryError(f"Model {self._schema.modelName}: get() takes a pk or unique fields by keyword, not both")
            return (
                yield from self._fetch(
                    lambda: self._op(lambda layout: uniqueGetOp(self._schema, layout, unique), "get"), cascadeFetch
                )
            )
        if pk is _NO_PK:
            raise InvalidQueryError(
                f"Model {self._schema.modelName}: get() needs a pk, or the fields of a unique constraint by keyword "
                f"({self._schema.uniqueHint()})"
            )
        cache = self._cache(keyed=True)
        if cache is not None:
            return (
                yield from self._fetch(
                    lambda: self._op(lambda layout: readplans.cachedGetOp(self._schema, layout, pk, cache), "get"),
                    cascadeFetch,
                )
            )
        return (
            yield from self._fetch(
                lambda: self._op(lambda layout: readplans.getOp(self._schema, layout, pk), "get"), cascadeFetch
            )
        )

    def get(self, pk: Any = _NO_PK, cascadeFetch: bool = False, **unique: Any) -> Optional[_M]:
        """The object with this pk, or None (one HGETALL).

        ``get(email='a@b.c')``: the object holding these values of a unique constraint
        (UNIQUE_FIELDS: all the fields of one constraint, by keyword), or None; one round trip.
        """
        return runJob(self._getJob(pk, cascadeFetch, unique))

    async def aget(self, pk: Any = _NO_PK, cascadeFetch: bool = False, **unique: Any) -> Optional[_M]:
        """``get()``, awaited."""
        return await arunJob(self._getJob(pk, cascadeFetch, unique))

    def _getMultipleJob(self, pks: Sequence[Any], cascadeFetch: bool) -> Job:
        pks = primaryKeys(self._schema, pks)
        cache = self._cache(keyed=True)
        if cache is not None:
            return self._many(
                lambda: self._op(lambda layout: readplans.cachedGetMultipleOp(self._schema, layout, pks, cache), "getMultiple"),
                cascadeFetch,
            )
        return self._many(
            lambda: self._op(lambda layout: readplans.getMultipleOp(self._schema, layout, pks), "getMultiple"), cascadeFetch
        )

    def purgeExpired(self, limit: Optional[int] = None) -> int:
        """Remove the objects past their deadline (EXPIRE) with their index entries, in bounded
        steps (500 objects per call); returns how many were removed. Reads leave such objects out
        already: this frees their memory. ``limit``: remove at most that many."""
        from .expiry import purgeExpired

        return runJob(purgeExpired(self.model, limit))

    async def apurgeExpired(self, limit: Optional[int] = None) -> int:
        """``purgeExpired()``, awaited."""
        from .expiry import purgeExpired

        return await arunJob(purgeExpired(self.model, limit))

    def getMultiple(self, pks: Sequence[Any], cascadeFetch: bool = False) -> "IRQueryableList[_M]":
        """The objects with these pks, in that order; missing ones are left out (one MULTI/EXEC)."""
        return runJob(self._getMultipleJob(pks, cascadeFetch))

    async def agetMultiple(self, pks: Sequence[Any], cascadeFetch: bool = False) -> "IRQueryableList[_M]":
        """``getMultiple()``, awaited."""
        return await arunJob(self._getMultipleJob(pks, cascadeFetch))

    def _getOnlyFieldsJob(self, pks: Sequence[Any], fields: Sequence[Any], cascadeFetch: bool, one: bool) -> Job:
        fields = list(fields)  # an iterator would be used up by the first try of a read that is retried
        what = "getOnlyFields" if one else "getMultipleOnlyFields"
        if not one:
            pks = primaryKeys(self._schema, pks)

        def fetch() -> Job:
            objs = yield from self._op(lambda layout: readplans.getOnlyFieldsOp(self._schema, layout, pks, fields), what)
            return (objs[0] if objs else None) if one else objs

        return self._fetch(fetch, cascadeFetch) if one else self._many(fetch, cascadeFetch)

    def getOnlyFields(self, pk: Any, fields: Sequence[Any], cascadeFetch: bool = False) -> Optional[_M]:
        """The object with this pk holding only ``fields``, or None."""
        return runJob(self._getOnlyFieldsJob([pk], fields, cascadeFetch, one=True))

    async def agetOnlyFields(self, pk: Any, fields: Sequence[Any], cascadeFetch: bool = False) -> Optional[_M]:
        """``getOnlyFields()``, awaited."""
        return await arunJob(self._getOnlyFieldsJob([pk], fields, cascadeFetch, one=True))

    def getMultipleOnlyFields(
        self, pks: Sequence[Any], fields: Sequence[Any], cascadeFetch: bool = False
    ) -> "IRQueryableList[_M]":
        """The objects with these pks holding only ``fields``; missing ones are left out."""
        return runJob(self._getOnlyFieldsJob(pks, fields, cascadeFetch, one=False))

    async def agetMultipleOnlyFields(
        self, pks: Sequence[Any], fields: Sequence[Any], cascadeFetch: bool = False
    ) -> "IRQueryableList[_M]":
        """``getMultipleOnlyFields()``, awaited."""
        return await arunJob(self._getOnlyFieldsJob(pks, fields, cascadeFetch, one=False))

    # ------------------------------------------------------------------ streaming (asyncio)
    def __aiter__(self) -> AsyncIterator[_M]:
        """``async for obj in query``: ``iterator()``, awaited (chunks of ``readplans.READ_CHUNK``)."""
        return self.aiterator()

    def aiterator(self, chunkSize: int = 0) -> AsyncIterator[_M]:
        """``iterator()``, awaited: ``async for obj in query.aiterator(500)``."""
        schema = self._schema
        size = chunkSize or readplans.READ_CHUNK
        if not isinstance(size, int) or isinstance(size, bool) or size < 1:
            raise InvalidQueryError(f"Model {schema.modelName}: aiterator(chunkSize=...) takes an int >= 1; got {chunkSize!r}")
        return aiterJob(self._streamJob(size))

    # ------------------------------------------------------------------ writes through the query
    def delete(self) -> int:
        """Delete every object matching the filters (all objects without filters). Returns how many."""
        return runJob(persistence.deleteByFiltersJob(self.model, self._filters))

    async def adelete(self) -> int:
        """``delete()``, awaited."""
        return await arunJob(persistence.deleteByFiltersJob(self.model, self._filters))

    def update(self, /, **values: Any) -> int:
        """Set ``field=value`` on every matching object, on the server, without fetching them:
        readers see all of them changed or none (in steps holding the model's lock for big sets),
        every index and sorted set follows. Returns how many objects changed."""
        return runJob(updates.updateMatchingJob(self.model, self._filters, values))

    async def aupdate(self, /, **values: Any) -> int:
        """``update()``, awaited."""
        return await arunJob(updates.updateMatchingJob(self.model, self._filters, values))

    def increment(self, name: str, delta: Any = 1) -> int:
        """Add ``delta`` to the number field ``name`` of every matching object, atomically as
        ``update``; returns how many objects changed."""
        return runJob(updates.incrementMatchingJob(self.model, self._filters, name, delta))

    async def aincrement(self, name: str, delta: Any = 1) -> int:
        """``increment()``, awaited."""
        return await arunJob(updates.incrementMatchingJob(self.model, self._filters, name, delta))

    def reindex(self, progress: Any = None) -> int:
        """Rebuild every index set of the model from the stored data. Returns the number of index sets.

        ``progress``: a callable receiving an ``IndexedRedis.progress.Progress`` per step (see there)."""
        return runJob(persistence.reindexJob(self.model, progress))

    async def areindex(self, progress: Any = None) -> int:
        """``reindex()``, awaited."""
        return await arunJob(persistence.reindexJob(self.model, progress))

    def reset(self, newObjs: Any, progress: Any = None) -> Sequence[int]:
        """Replace the model's whole dataset with ``newObjs`` atomically (same as ``Model.reset``)."""
        return runJob(resetJob(self.model, newObjs, progress=progress))

    async def areset(self, newObjs: Any, progress: Any = None) -> Sequence[int]:
        """``reset()``, awaited; ``newObjs`` may also be an async iterable."""
        return await arunJob(resetJob(self.model, newObjs, progress=progress))

    def compat_convertHashedIndexes(self, fetchAll: bool = True) -> int:
        """Rewrite the index keys after ``hashIndex`` was switched on or off for some field.

        Leaves no stale index key behind. ``fetchAll=False`` works in batches of objects to bound memory.
        """
        return runJob(persistence.convertHashedIndexesJob(self.model, fetchAll=fetchAll))

    async def acompat_convertHashedIndexes(self, fetchAll: bool = True) -> int:
        """``compat_convertHashedIndexes()``, awaited."""
        return await arunJob(persistence.convertHashedIndexesJob(self.model, fetchAll=fetchAll))

    def _verifyJob(self, deep: bool, track: Any = None, finish: bool = False) -> Job:
        report = yield from self._op(lambda layout: verifyOp(self._schema, layout, deep, track if track else None), "verify")
        yield from checkLinks(self._schema, report)
        if finish and track:
            track.finish()
        return report

    def verify(self, deep: bool = False, progress: Any = None) -> Any:
        """Check every index entry against the stored data, the model's keys and its links; returns a VerifyReport.

        Incremental (SSCAN in batches over the pk set and the index key registry), safe on a live
        server; every suspect is checked again at one instant before it is reported. The first
        verify of data without a key registry (the 6.0.3 layout) builds it with one SCAN of the
        keyspace; ``deep=True`` does that SCAN again, to find keys that nothing lists (orphan data,
        index keys written by other clients). Filters are not applied. ``progress``: a callable
        receiving an ``IndexedRedis.progress.Progress`` (phase ``'checking'``, objects checked of
        the pk set's size) per batch.
        """
        from .progress import tracker

        return runJob(self._verifyJob(deep, tracker(progress, "verify", self._schema.modelName), finish=True))

    async def averify(self, deep: bool = False, progress: Any = None) -> Any:
        """``verify()``, awaited."""
        from .progress import tracker

        return await arunJob(self._verifyJob(deep, tracker(progress, "verify", self._schema.modelName), finish=True))

    def _repairJob(self, passes: int, deep: bool, progress: Any) -> Job:
        from .progress import tracker

        track = tracker(progress, "repair", self._schema.modelName)
        report = yield from self._verifyJob(deep, track, finish=False)
        for _ in range(passes):
            if report.ok or not (report.problemCount - len(report.danglingLinks)):
                break
            if track:
                track.start("fixing", report.problemCount)
            yield from self._op(partial(repairOp, self._schema, report=report), "repair")
            if track:
                track.advance(report.problemCount)
            if report.sortedMisplaced or report.sortedExtra:
                if track:
                    track.start("reindexing")
                yield from persistence.reindexJob(self.model)  # rebuilds the sorted sets, in steps under the model's lock
            report = yield from self._verifyJob(False, track, finish=False)
        if track:
            track.finish()
        return report

    def repair(self, passes: int = 3, deep: bool = False, progress: Any = None) -> Any:
        """Fix what ``verify(deep)`` finds (each fix re-checked on the server); returns the last VerifyReport.

        Runs verify and repair until verify finds nothing, at most ``passes`` times. Leftover
        generations are deleted in batches; dangling links are reported, not changed.
        ``progress``: a callable receiving an ``IndexedRedis.progress.Progress``: phase
        ``'checking'`` (objects checked, per batch) for each verify pass, ``'fixing'`` (problems
        fixed of those found) after each repair step, ``'reindexing'`` when sorted sets are rebuilt.
        """
        return runJob(self._repairJob(passes, deep, progress))

    async def arepair(self, passes: int = 3, deep: bool = False, progress: Any = None) -> Any:
        """``repair()``, awaited."""
        return await arunJob(self._repairJob(passes, deep, progress))

    # ------------------------------------------------------------------ client-side cache (readcache.py)
    def _cache(self, keyed: bool = False) -> Optional[ReadCache]:
        """The model's read cache when it is on (any filters; ``keyed``: a read by pk, which
        ignores filters)."""
        schema = self._schema
        return schema.readCache(schema.client())  # type: ignore[no-any-return]

    def cacheStats(self) -> Dict[str, int]:
        """The read cache's ``hits``, ``misses``, ``entries``, ``objects`` held and ``maxObjects``
        for the model's server (all zero when the cache is off)."""
        cache = self._schema.readCache(self._schema.client())
        if cache is None:
            return {"hits": 0, "misses": 0, "entries": 0, "objects": 0, "maxObjects": 0}
        return cache.stats()

    def clearCache(self) -> None:
        """Drop every result the read cache holds for the model's server (counters are kept)."""
        cache = self._schema.readCache(self._schema.client())
        if cache is not None:
            cache.clear()

    # ------------------------------------------------------------------ cascade fetch of foreign links
    def _op(self, factory: Callable[[KeyLayout], Op], what: str) -> Job:
        return runOne(factory, self._schema, what)

    def _many(self, fetch: Callable[[], Job], cascadeFetch: bool) -> Job:
        return self._list((yield from self._fetch(fetch, cascadeFetch)))

    def _fetch(self, fetch: Callable[[], Job], cascadeFetch: bool) -> Job:
        """Run the job ``fetch()`` (a list of objects, one object or None); with ``cascadeFetch``
        also their links, from one instant."""
        if cascadeFetch and self._schema.foreignFields:
            return (yield from fetchWithLinks(self.model, fetch))
        return (yield from fetch())


def _nextChunk(schema: ModelSchema, counter: Any, pks: Sequence[Any], layout: KeyLayout) -> Op:
    return readplans.nextChunkOp(schema, layout, counter, pks)


__all__ = ["IRQueryBuilder"]


def uniqueGetOp(schema: Any, layout: KeyLayout, values: Dict[str, Any]) -> Op:
    """Fetch the object holding ``values`` in a unique constraint (unique_get.lua)."""
    from . import scripts
    from .plans import Call, objectFromHash

    names = set(values)
    for c in schema.uniqueConstraints:
        if {f.name for f in c} == names:
            break
    else:
        raise InvalidQueryError(
            f"Model {schema.modelName}: get({', '.join(sorted(names))}=...) needs all the fields of one unique "
            f"constraint, and only those ({schema.uniqueHint()}); use filter(...).first() for other lookups"
        )
    parts = []
    for f in c:
        try:
            stored = f.toStorage(f.fromInput(values[f.name]))
        except Exception as exc:
            raise InvalidQueryError(f"Model {schema.modelName}: cannot look up {f.name}={values[f.name]!r}: {exc}") from exc
        stored = stored if isinstance(stored, bytes) else str(stored).encode(getDefaultIREncoding())
        if stored in (b"", b"IRNullType()"):
            return None  # empty and null values are never unique: no object holds them
        parts.append(stored)
    member = parts[0] if len(parts) == 1 else b"".join(b"%d:" % len(p) + p for p in parts)
    reply = yield Call(script=scripts.UNIQUE_GET, keys=[layout.uniq([f.name for f in c])], args=[layout.dataPrefix, member])
    if not reply:
        return None
    return objectFromHash(schema, int(reply[0]), reply[1])
