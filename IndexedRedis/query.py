"""``Model.objects``: the filter chain and its fetch functions (synchronous executor).

``filter()`` returns a new query; nothing touches Redis until a fetch function runs.
Each fetch function is one round trip that reads one instant of the data.
"""

from __future__ import annotations

from functools import partial
from typing import Any, Callable, List, Optional, Sequence, Tuple

from . import readplans
from .compat_str import getDefaultIREncoding
from .exceptions import InvalidQueryError
from .executor import runSync
from .keys import KeyLayout
from .plans import Op, parseFilters, primaryKeys
from .results import IRQueryableList
from .schema import IndexedRedisHelper, ModelSchema, getSchema


class IRQueryBuilder(IndexedRedisHelper):
    """A query on one model: filters plus fetch functions. ``Model.objects`` returns an empty one."""

    __slots__ = ("model", "_filters")

    def __init__(self, model: type, filters: Tuple[Tuple[str, str, bytes], ...] = ()) -> None:
        self.model = model
        self._filters = filters

    # ------------------------------------------------------------------ plumbing
    @property
    def _schema(self) -> ModelSchema:
        return getSchema(self.model)

    def _run(self, opFactory: Callable[[KeyLayout], Op], what: str) -> Any:
        return runSync(opFactory, self._schema, what)

    def _list(self, objs: Sequence[Any]) -> IRQueryableList:
        return IRQueryableList(objs, model=self.model)

    def __repr__(self) -> str:
        conds = ", ".join(f"{n}{'' if op == 'eq' else '__ne'}={v!r}" for n, op, v in self._filters)
        return f"<{self.model.__name__}.objects.filter({conds})>"

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
    def filter(self, **kwargs: Any) -> "IRQueryBuilder":
        """A new query with these filters added: ``field=value`` (equals) or ``field__ne=value``.

        Only indexed fields can be filtered on the server; the fields are checked here.
        """
        added = tuple(parseFilters(self._schema, kwargs))
        return IRQueryBuilder(self.model, self._filters + added)

    def filterInline(self, **kwargs: Any) -> "IRQueryBuilder":
        """Add filters to this query itself; returns it."""
        self._filters = self._filters + tuple(parseFilters(self._schema, kwargs))
        return self

    # ------------------------------------------------------------------ fetch functions
    def all(self, cascadeFetch: bool = False) -> IRQueryableList:
        """Every object matching the filters (one round trip: fetch.lua)."""
        return self._many(
            lambda: self._run(lambda layout: readplans.allOp(self._schema, layout, self._filters), "all"), cascadeFetch
        )

    def allByAge(self, cascadeFetch: bool = False) -> IRQueryableList:
        """Like ``all``, oldest (lowest pk) first."""
        return self._many(
            lambda: self._run(lambda layout: readplans.allOp(self._schema, layout, self._filters, byAge=True), "allByAge"),
            cascadeFetch,
        )

    def allOnlyFields(self, fields: Sequence[Any], cascadeFetch: bool = False) -> IRQueryableList:
        """Matching objects with only ``fields`` fetched (others hold defaults and are not written on save)."""
        fields = list(fields)  # an iterator would be used up by the first try of a read that is retried
        return self._many(
            lambda: self._run(
                lambda layout: readplans.onlyFieldsOp(self._schema, layout, self._filters, fields), "allOnlyFields"
            ),
            cascadeFetch,
        )

    def allOnlyIndexedFields(self) -> IRQueryableList:
        """Matching objects with only their indexed fields fetched."""
        return self.allOnlyFields(self._schema.indexedNameList)

    def count(self) -> int:
        """How many objects match (SCARD without filters, else fetch.lua)."""
        return self._run(lambda layout: readplans.countOp(self._schema, layout, self._filters), "count")

    def exists(self, pk: Any) -> bool:
        """True if an object with this pk exists (filters are not applied)."""
        return self._run(lambda layout: readplans.existsOp(self._schema, layout, pk), "exists")

    def first(self, cascadeFetch: bool = False) -> Optional[Any]:
        """The oldest matching object (lowest pk), or None. Picked on the server."""
        return self._fetch(
            lambda: self._run(lambda layout: readplans.oneOp(self._schema, layout, self._filters, "first"), "first"), cascadeFetch
        )

    def last(self, cascadeFetch: bool = False) -> Optional[Any]:
        """The newest matching object (highest pk), or None. Picked on the server."""
        return self._fetch(
            lambda: self._run(lambda layout: readplans.oneOp(self._schema, layout, self._filters, "last"), "last"), cascadeFetch
        )

    def random(self, cascadeFetch: bool = False) -> Optional[Any]:
        """A random matching object, or None."""
        return self._fetch(
            lambda: self._run(lambda layout: readplans.oneOp(self._schema, layout, self._filters, "random"), "random"),
            cascadeFetch,
        )

    def getPrimaryKeys(self, sortByAge: bool = False) -> List[int]:
        """The pks of the matching objects (sorted oldest first with ``sortByAge``)."""
        return self._run(lambda layout: readplans.pksOp(self._schema, layout, self._filters, sortByAge), "getPrimaryKeys")

    # ------------------------------------------------------------------ by primary key (filters not applied)
    def get(self, pk: Any, cascadeFetch: bool = False) -> Optional[Any]:
        """The object with this pk, or None (one HGETALL)."""
        return self._fetch(lambda: self._run(lambda layout: readplans.getOp(self._schema, layout, pk), "get"), cascadeFetch)

    def getMultiple(self, pks: Sequence[Any], cascadeFetch: bool = False) -> IRQueryableList:
        """The objects with these pks, in that order; missing ones are left out (one MULTI/EXEC)."""
        pks = primaryKeys(self._schema, pks)
        return self._many(
            lambda: self._run(lambda layout: readplans.getMultipleOp(self._schema, layout, pks), "getMultiple"), cascadeFetch
        )

    def getOnlyFields(self, pk: Any, fields: Sequence[Any], cascadeFetch: bool = False) -> Optional[Any]:
        """The object with this pk holding only ``fields``, or None."""
        fields = list(fields)  # an iterator would be used up by the first try of a read that is retried

        def fetch() -> Optional[Any]:
            objs = self._run(lambda layout: readplans.getOnlyFieldsOp(self._schema, layout, [pk], fields), "getOnlyFields")
            return objs[0] if objs else None

        return self._fetch(fetch, cascadeFetch)

    def getMultipleOnlyFields(self, pks: Sequence[Any], fields: Sequence[Any], cascadeFetch: bool = False) -> IRQueryableList:
        """The objects with these pks holding only ``fields``; missing ones are left out."""
        fields = list(fields)  # an iterator would be used up by the first try of a read that is retried
        pks = primaryKeys(self._schema, pks)
        return self._many(
            lambda: self._run(
                lambda layout: readplans.getOnlyFieldsOp(self._schema, layout, pks, fields), "getMultipleOnlyFields"
            ),
            cascadeFetch,
        )

    # ------------------------------------------------------------------ writes through the query
    def delete(self) -> int:
        """Delete every object matching the filters (all objects without filters). Returns how many."""
        from .persistence import deleteByFilters

        return deleteByFilters(self.model, self._filters)

    def reindex(self) -> int:
        """Rebuild every index set of the model from the stored data. Returns the number of index sets."""
        from .persistence import reindexModel

        return reindexModel(self.model)

    def reset(self, newObjs: Any) -> List[int]:
        """Replace the model's whole dataset with ``newObjs`` atomically (same as ``Model.reset``)."""
        from .persistence import resetModel

        return resetModel(self.model, newObjs)

    def compat_convertHashedIndexes(self, fetchAll: bool = True) -> int:
        """Rewrite the index keys after ``hashIndex`` was switched on or off for some field.

        Leaves no stale index key behind. ``fetchAll=False`` works in batches of objects to bound memory.
        """
        from .persistence import convertHashedIndexes

        return convertHashedIndexes(self.model, fetchAll=fetchAll)

    def verify(self, deep: bool = False) -> Any:
        """Check every index entry against the stored data, the model's keys and its links; returns a VerifyReport.

        Incremental (SSCAN in batches over the pk set and the index key registry), safe on a live
        server; every suspect is checked again at one instant before it is reported. The first
        verify of data without a key registry (the 6.0.3 layout) builds it with one SCAN of the
        keyspace; ``deep=True`` does that SCAN again, to find keys that nothing lists (orphan data,
        index keys written by other clients). Filters are not applied.
        """
        from .executor import runSync
        from .integrity import checkLinks, verifyOp

        report = self._run(lambda layout: verifyOp(self._schema, layout, deep), "verify")
        checkLinks(self._schema, report, lambda schema, op: runSync(op, schema, "verify"))
        return report

    def repair(self, passes: int = 3, deep: bool = False) -> Any:
        """Fix what ``verify(deep)`` finds (each fix re-checked on the server); returns the last VerifyReport.

        Runs verify and repair until verify finds nothing, at most ``passes`` times. Leftover
        generations are deleted in batches; dangling links are reported, not changed.
        """
        from .integrity import repairOp

        report = self.verify(deep=deep)
        for _ in range(passes):
            if report.ok or not (report.problemCount - len(report.danglingLinks)):
                break
            self._run(partial(repairOp, self._schema, report=report), "repair")
            report = self.verify()
        return report

    # ------------------------------------------------------------------ cascade fetch of foreign links
    def _many(self, fetch: Callable[[], List[Any]], cascadeFetch: bool) -> IRQueryableList:
        return self._list(self._fetch(fetch, cascadeFetch))

    def _fetch(self, fetch: Callable[[], Any], cascadeFetch: bool) -> Any:
        """Run ``fetch`` (a list of objects, one object or None); with ``cascadeFetch`` also their links, from one instant."""
        if cascadeFetch and self._schema.foreignFields:
            from .foreignfetch import fetchWithLinks

            return fetchWithLinks(self.model, fetch)
        return fetch()


__all__ = ["IRQueryBuilder"]
