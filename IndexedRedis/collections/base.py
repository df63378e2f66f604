"""What every collection shares: its key, its connection, its value codec, and the executor.

Each public method is an *operation*: a generator (the plan) that yields ``Call`` objects
(``IndexedRedis.plans.Call``: one command, one MULTI/EXEC, or one script), receives their
replies and returns the method's result. ``RedisCollection._run`` drives a plan on the
collection's client; an asyncio executor can drive the very same plans (the plan functions
are reachable as ``method.plan``), so no Redis logic is written twice.

Four more kinds of step exist besides ``Call``: ``FetchLinks`` (objects of a model by pk,
through the model's own ``getMultiple``: one round trip), ``Optimistic`` (WATCH a key, read,
plan the writes from what was read, MULTI/EXEC; retried when the key changed meanwhile),
``Nested`` (a plan of another collection given as an argument, run on that collection's
client) and ``Sleep`` (wait between two polls: ``time.sleep`` in the sync executor,
``asyncio.sleep`` in the asyncio one, so a waiting ``put``, ``join`` or ``acquire`` never
blocks an event loop).
"""

from __future__ import annotations

import asyncio
import functools
import time
from typing import Any, Callable, Dict, Iterable, List, NoReturn, Optional, Protocol, Sequence, cast

import redis
from redis.commands.core import Script
from redis.exceptions import NoScriptError, RedisError, ResponseError, WatchError

from ..connection import connectionGeneration, getAsyncRedisConnection, getRedisConnection, resolveParams
from ..exceptions import ConcurrentWriteError, InvalidModelException, InvalidValueError, RedisOperationError
from ..executors.sync import redisError
from ..fields.base import IRField
from ..keys import autoCollectionKey, childKey, collectionKey
from ..plans import Call, Op, command, script, transaction

MAX_OPTIMISTIC_ATTEMPTS = 50


# ---------------------------------------------------------------------------- steps
class FetchLinks:
    """A step: the objects of ``model`` with these pks (``getMultiple``, one round trip)."""

    __slots__ = ("model", "pks")

    def __init__(self, model: type, pks: Sequence[int]) -> None:
        self.model = model
        self.pks = pks


class Optimistic:
    """A step: WATCH ``key``; run ``read``; ``plan(reply)`` (an operation that may fetch links)
    returns ``(commands, result)``; the commands run in MULTI/EXEC, and everything is done again
    if ``key`` changed in between. The reply of the step is ``result``."""

    __slots__ = ("key", "read", "plan")

    def __init__(self, key: bytes, read: Sequence[Any], plan: Callable[[Any], Op]) -> None:
        self.key = key
        self.read = read
        self.plan = plan


class Nested:
    """A step: run operation ``op`` (a plan) of another collection, on that collection's own
    client (so a plan can read a collection given as an argument, awaited in the asyncio API)."""

    __slots__ = ("collection", "op")

    def __init__(self, collection: "RedisCollection", op: Op) -> None:
        self.collection = collection
        self.op = op


def plainOf(value: Any, keep: Any = ()) -> Op:
    """Operation: ``value`` itself, or the plain contents (``copy()``) of a collection given as
    an argument, read as a step of the plan instead of by a blocking call inside it
    (collections of the types in ``keep`` stay as they are: the plan uses their keys)."""
    if isinstance(value, RedisCollection) and not isinstance(value, keep):
        plan = getattr(getattr(type(value), "copy", None), "plan", None)
        if plan is not None:
            return (yield Nested(value, plan(value)))
    return value


def plainArgs(args: Sequence[Any], keep: Any = ()) -> Op:
    """Operation: ``plainOf`` of each argument, as a tuple."""
    out = []
    for arg in args:
        out.append((yield from plainOf(arg, keep)))
    return tuple(out)


class Sleep:
    """A step: wait ``seconds`` before the plan goes on (a poll's back-off); its reply is None."""

    __slots__ = ("seconds",)

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds


class Operation(Protocol):
    """What ``operation`` makes: a method, whose plan stays reachable as ``.plan``."""

    plan: Callable[..., Op]

    def __call__(self, *args: Any, **kwargs: Any) -> Any: ...


def operation(plan: Callable[..., Op]) -> Operation:
    """Make a method from a plan generator; the plan stays reachable as ``method.plan``."""

    @functools.wraps(plan)
    def method(self: "RedisCollection", *args: Any, **kwargs: Any) -> Any:
        return self._run(plan(self, *args, **kwargs), plan.__name__)

    method.plan = plan  # type: ignore[attr-defined]
    return cast(Operation, method)


def asyncName(name: str) -> Optional[str]:
    """The name of the awaited twin of operation ``name``: ``get`` -> ``aget``, ``__len__`` ->
    ``alen``, ``_tryPut`` -> ``_atryPut`` (private stays private)."""
    if name.startswith("__") and name.endswith("__"):
        return "a" + name.strip("_")
    if name.startswith("_"):
        return "_a" + name[1:]
    return "a" + name


def asyncOperation(plan: Callable[..., Op]) -> Callable[..., Any]:
    """The awaited twin of an operation: the same plan, run by the asyncio executor."""

    @functools.wraps(plan)
    async def method(self: "RedisCollection", *args: Any, **kwargs: Any) -> Any:
        return await self._arun(plan(self, *args, **kwargs), plan.__name__)

    method.__doc__ = f"``{plan.__name__}()``, awaited (the same plan, on ``redis.asyncio``)."
    return method


# ---------------------------------------------------------------------------- values
class ValueCodec:
    """Values <-> stored bytes through a field (the model fields' conversion code), or links.

    ``field``: any IRField (default ``IRField()``: str in, str out). ``of``: a model class; the
    collection then stores pks and gives objects (a missing object reads as None).
    """

    __slots__ = ("field", "model", "label")

    def __init__(self, field: Optional[IRField], of: Optional[type], label: str) -> None:
        self.label = label
        if of is not None and field is not None:
            raise InvalidValueError(f"{label}: give either a value field or of=Model (a link), not both")
        self.model = None
        if of is not None:
            from ..model import IndexedRedisModel

            if not (isinstance(of, type) and issubclass(of, IndexedRedisModel)):
                raise InvalidValueError(f"{label}: of= takes an IndexedRedisModel class; got {of!r:.60}")
            self.model = of
            field = None
        elif field is None:
            field = IRField("value")
        elif not isinstance(field, IRField):
            raise InvalidValueError(
                f"{label}: the value field must be an IRField (such as IRField(valueType=int)); got {type(field).__name__}"
            )
        else:
            problem = field._definitionProblem()
            if problem:
                raise InvalidValueError(f"{label}: the value field {field!r} is defined wrongly: {problem}")
        self.field = field

    def encode(self, value: Any) -> bytes:
        """The bytes stored for ``value`` (converted by the field first, as a model assignment does)."""
        if self.model is not None:
            return b"%d" % self._pk(value)
        field = self.field
        assert field is not None
        try:
            return field.toStorage(field.fromInput(value))
        except InvalidValueError as exc:
            raise InvalidValueError(f"{self.label}: {exc}") from exc

    def _pk(self, value: Any) -> int:
        model = self.model
        if isinstance(value, model):  # type: ignore[arg-type]
            pk = value.getPk()
            if pk is None:
                raise InvalidValueError(
                    f"{self.label}: the {model.__name__} object is not saved, so it has no pk to store; save it first"  # type: ignore[union-attr]
                )
            return int(pk)
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            return value
        raise InvalidValueError(
            f"{self.label} holds links to {model.__name__}; got {type(value).__name__} {value!r:.60}. "  # type: ignore[union-attr]
            f"Give a saved {model.__name__} object or its pk"  # type: ignore[union-attr]
        )

    def decode(self, raw: Optional[bytes]) -> Any:
        """The value of stored bytes (plain values only; links go through ``decodeMany``)."""
        try:
            return self.field.fromStorage(raw)  # type: ignore[union-attr]
        except InvalidValueError as exc:
            raise InvalidValueError(f"{self.label}: {exc}") from exc

    def decodeMany(self, raws: Sequence[bytes]) -> Op:
        """Operation: the values of stored bytes; links are fetched in one round trip."""
        if self.model is None:
            field = self.field
            try:
                return [field.fromStorage(raw) for raw in raws]  # type: ignore[union-attr]
            except InvalidValueError as exc:
                raise InvalidValueError(f"{self.label}: {exc}") from exc
        if not raws:
            return []
        pks = [int(raw) for raw in raws]
        objs = yield FetchLinks(self.model, list(dict.fromkeys(pks)))  # type: ignore[misc]
        byPk = {obj.getPk(): obj for obj in objs}
        return [byPk.get(pk) for pk in pks]

    def decodeOne(self, raw: Optional[bytes]) -> Op:
        """Operation: the value of one stored value (None stays None)."""
        if raw is None:
            return None
        if self.model is None:
            return self.decode(raw)
        return (yield from self.decodeMany([raw]))[0]

    def encodeAll(self, values: Iterable[Any]) -> List[bytes]:
        return [self.encode(v) for v in values]


# ---------------------------------------------------------------------------- errors
def mapResponseError(exc: ResponseError, label: str) -> Optional[BaseException]:
    """The Python exception for an error reply of our scripts (``IRINDEX ...`` and so on), or None."""
    text = str(exc)
    head, _, rest = text.partition(" ")
    if head == "IRINDEX":
        return IndexError(rest)
    if head == "IRVALUE":
        return ValueError(rest)
    if head == "IRKEY":
        return KeyError(rest)
    if head == "IRZERO":
        return ZeroDivisionError(rest)
    if text in ("ERR no such key", "ERR index out of range", "no such key", "index out of range"):
        return IndexError("assignment index out of range")  # LSET
    if head == "WRONGTYPE" or "WRONGTYPE" in text:
        return InvalidValueError(
            f"{label}: the key holds another kind of Redis value than this collection uses; "
            "give the collection another key, or delete the key first"
        )
    return None


def _asyncParamsOf(client: Any) -> Optional[Dict[str, Any]]:
    """Connection params for a ``redis.asyncio`` pool to the server a sync ``redis.Redis`` talks
    to (TCP or unix socket, with its db and credentials), or None when it uses another kind of
    connection (SSL, fakeredis...): the awaited methods of a collection made with ``client=``."""
    if not isinstance(client, redis.Redis):
        return None
    pool = client.connection_pool
    kwargs = pool.connection_kwargs
    cls = pool.connection_class
    keep = ("db", "username", "password", "socket_timeout", "socket_connect_timeout", "client_name")
    params = {k: kwargs[k] for k in keep if kwargs.get(k) is not None}
    if cls is redis.connection.Connection:
        params.update(host=kwargs.get("host", "localhost"), port=kwargs.get("port", 6379))
    elif cls is redis.connection.UnixDomainSocketConnection:
        params.update(path=kwargs["path"], async_connection_class=redis.asyncio.UnixDomainSocketConnection)
    else:
        return None
    return params


# ---------------------------------------------------------------------------- the base class
class RedisCollection:
    """Base of every collection: a key on a Redis server, and how values are stored.

    ``key``: the Redis key (str or bytes, used as it is); None generates one
    (``_ir_|coll:TYPE:RANDOM``, see keys.py). ``connectionParams``: as a model's
    ``REDIS_CONNECTION_PARAMS``, merged over the default params
    (``setDefaultRedisConnectionParams`` / ``REDIS_URL``). ``client``: a ready ``redis.Redis``
    (replies must be bytes) instead of params. ``ttl``: seconds; every write sets the key to
    expire that long after it (in the same atomic step).
    """

    REDIS_TYPE = ""  # the Redis type of the key (for messages)

    def __init__(
        self,
        key: Any = None,
        *,
        connectionParams: Optional[Dict[str, Any]] = None,
        client: Optional[redis.Redis] = None,
        ttl: Optional[float] = None,
    ) -> None:
        if key is None:
            self.key = autoCollectionKey(type(self).__name__)
        elif isinstance(key, (str, bytes)) and key:
            self.key = collectionKey(key)
        else:
            raise InvalidValueError(f"{type(self).__name__}: the key must be a non-empty str or bytes (or None); got {key!r:.60}")
        if connectionParams is not None and not isinstance(connectionParams, dict):
            raise InvalidValueError(
                f"{type(self).__name__}: connectionParams takes a dict such as {{'host': 'localhost', 'db': 1}}"
            )
        self.connectionParams = dict(connectionParams) if connectionParams else None
        self._fixedClient = client
        self._asyncOwner: Any = None  # the schema of the model whose object owns this collection
        self._client: Optional[redis.Redis] = None
        self._clientGeneration = -1
        if ttl is not None:
            if isinstance(ttl, bool) or not isinstance(ttl, (int, float)) or not ttl > 0:
                raise InvalidValueError(f"{type(self).__name__}: ttl is a number of seconds > 0 (or None); got {ttl!r}")
        self.ttl = ttl

    # ------------------------------------------------------------------ identity
    @property
    def label(self) -> str:
        return f"{type(self).__name__} {self.key.decode('utf-8', 'replace')!r}"

    def _ttlArg(self) -> int:
        return int(self.ttl * 1000) if self.ttl else 0

    def _copyArgs(self) -> Dict[str, Any]:
        """Keyword arguments that rebuild this collection (besides key and connection)."""
        return {}

    def _rebuild(self, key: Any, **conn: Any) -> Any:
        kwargs = {"ttl": self.ttl, **self._copyArgs(), **conn}
        return type(self)(key, **kwargs)

    def connectAlt(self, connectionParams: Dict[str, Any]) -> Any:
        """The same collection (key, value type, ttl) on another Redis: params override the defaults key by key."""
        if not isinstance(connectionParams, dict):
            raise InvalidValueError(f"{self.label}: connectAlt takes a dict of connection params, such as {{'host': 'other'}}")
        return self._rebuild(self.key, connectionParams=connectionParams)

    def withClient(self, client: redis.Redis) -> Any:
        """The same collection on a given ``redis.Redis`` client."""
        return self._rebuild(self.key, client=client)

    def child(self, name: str, kind: type, **kwargs: Any) -> Any:
        """A collection of type ``kind`` at ``KEY:NAME`` (keys.childKey) on the same connection.

        ``user.child('friends', RedisList, of=User)``: the seed's RedisDict with child lists.
        """
        conn: Dict[str, Any] = {"client": self._fixedClient} if self._fixedClient is not None else {}
        if not conn and self.connectionParams:
            conn = {"connectionParams": self.connectionParams}
        kwargs.setdefault("ttl", self.ttl)
        made = kind(childKey(self.key, name), **conn, **kwargs)
        made._asyncOwner = self._asyncOwner
        return made

    def client(self) -> redis.Redis:
        """The redis client (on the pool shared with models of the same params)."""
        if self._fixedClient is not None:
            return self._fixedClient
        gen = connectionGeneration()
        if self._client is None or self._clientGeneration != gen:
            try:
                self._client = getRedisConnection(resolveParams(self.connectionParams))
            except InvalidModelException as exc:
                raise InvalidModelException(f"{self.label}: {exc}") from exc
            self._clientGeneration = gen
        return self._client

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        addAsyncTwins(cls)

    # ------------------------------------------------------------------ asyncio executor
    def aclient(self) -> Any:
        """The ``redis.asyncio.Redis`` client of the running event loop for this collection's params."""
        if self._asyncOwner is not None:
            return self._asyncOwner.aclient()
        fixed = self._fixedClient
        params = resolveParams(self.connectionParams) if fixed is None else None
        if fixed is not None:
            if hasattr(fixed, "__aenter__") and not isinstance(fixed, redis.Redis):
                return fixed
            params = _asyncParamsOf(fixed)
            if params is None:
                raise InvalidValueError(
                    f"{self.label}: was made with a client (client={type(fixed).__name__}(...)) whose connection the "
                    "asyncio API cannot rebuild; for the awaited methods make it with connectionParams, or with "
                    "client=redis.asyncio.Redis(...)"
                )
        try:
            return getAsyncRedisConnection(params)
        except InvalidModelException as exc:
            raise InvalidModelException(f"{self.label}: {exc}") from exc

    def _raiseFailure(self, exc: RedisError, what: str) -> NoReturn:
        """Raise what a Redis error of operation ``what`` stands for (both executors)."""
        if isinstance(exc, ResponseError):
            mapped = mapResponseError(exc, self.label)
            if mapped is None:
                raise RedisOperationError(f"{what} on {self.label} failed: {exc}") from exc
            raise mapped from None
        raise redisError(exc, what, self.label) from exc

    async def _arun(self, op: Op, what: str) -> Any:
        """``_run``, awaited: the same plan, each step sent on ``redis.asyncio``."""
        client = self.aclient()
        try:
            try:
                step = next(op)
                while True:
                    step = op.send(await self._aexecute(step, client))
            except StopIteration as stop:
                return stop.value
        except RedisError as exc:
            self._raiseFailure(exc, what)

    async def _aexecute(self, step: Any, client: Any) -> Any:
        if isinstance(step, Call):
            if step.script is not None:
                keys, args = list(step.keys), list(step.args)
                try:
                    return await client.execute_command("EVALSHA", step.script.sha, len(keys), *keys, *args)
                except NoScriptError:
                    await client.script_load(step.script.script)
                    return await client.execute_command("EVALSHA", step.script.sha, len(keys), *keys, *args)
            if step.command is not None:
                return await client.execute_command(*step.command)
            pipe = client.pipeline(transaction=step.transaction)
            for cmd in step.pipeline or ():
                pipe.execute_command(*cmd)
            return await pipe.execute()
        if isinstance(step, FetchLinks):
            model: Any = step.model
            return await model.objects.agetMultiple(step.pks)
        if isinstance(step, Optimistic):
            return await self._aoptimistic(step, client)
        if isinstance(step, Nested):
            return await step.collection._arun(step.op, "reading an argument")
        if isinstance(step, Sleep):
            await asyncio.sleep(step.seconds)
            return None
        raise TypeError(f"unknown step {step!r}")  # pragma: no cover - programming error

    async def _aoptimistic(self, step: Optimistic, client: Any) -> Any:
        for _attempt in range(MAX_OPTIMISTIC_ATTEMPTS):
            async with client.pipeline(transaction=True) as pipe:
                try:
                    await pipe.watch(step.key)
                    reply = await pipe.execute_command(*step.read)
                    sub = step.plan(reply)
                    try:
                        inner = next(sub)
                        while True:
                            inner = sub.send(await self._aexecute(inner, client))
                    except StopIteration as stop:
                        commands, result = stop.value
                    pipe.multi()
                    for cmd in commands:
                        pipe.execute_command(*cmd)
                    await pipe.execute()
                    return result
                except WatchError:
                    continue
        raise ConcurrentWriteError(f"{self.label}: other writers kept changing the key; retry")

    # ------------------------------------------------------------------ executor
    def _run(self, op: Op, what: str) -> Any:
        client = self.client()
        try:
            try:
                step = next(op)
                while True:
                    step = op.send(self._execute(step, client))
            except StopIteration as stop:
                return stop.value
        except RedisError as exc:
            self._raiseFailure(exc, what)

    def _execute(self, step: Any, client: redis.Redis) -> Any:
        if isinstance(step, Call):
            if step.script is not None:
                return step.script(keys=step.keys, args=step.args, client=client)
            if step.command is not None:
                return client.execute_command(*step.command)
            pipe = client.pipeline(transaction=step.transaction)
            for cmd in step.pipeline or ():
                pipe.execute_command(*cmd)
            return pipe.execute()
        if isinstance(step, FetchLinks):
            model: Any = step.model
            return model.objects.getMultiple(step.pks)
        if isinstance(step, Optimistic):
            return self._optimistic(step, client)
        if isinstance(step, Nested):
            return step.collection._run(step.op, "reading an argument")
        if isinstance(step, Sleep):
            time.sleep(step.seconds)
            return None
        raise TypeError(f"unknown step {step!r}")  # pragma: no cover - programming error

    def _optimistic(self, step: Optimistic, client: redis.Redis) -> Any:
        for _attempt in range(MAX_OPTIMISTIC_ATTEMPTS):
            with client.pipeline(transaction=True) as pipe:
                try:
                    pipe.watch(step.key)
                    reply = pipe.execute_command(*step.read)
                    sub = step.plan(reply)
                    try:
                        inner = next(sub)
                        while True:
                            inner = sub.send(self._execute(inner, client))
                    except StopIteration as stop:
                        commands, result = stop.value
                    pipe.multi()
                    for cmd in commands:
                        pipe.execute_command(*cmd)
                    pipe.execute()
                    return result
                except WatchError:
                    continue
        raise ConcurrentWriteError(f"{self.label}: other writers kept changing the key; retry")

    # ------------------------------------------------------------------ building blocks of plans
    def _write(self, *commands: Any) -> Call:
        """The write commands as one step, with the TTL set in the same MULTI when there is one."""
        cmds = list(commands)
        if self.ttl:
            cmds.append(("PEXPIRE", self.key, self._ttlArg()))
        if len(cmds) == 1:
            return command(*cmds[0])
        return transaction(cmds)

    def _script(self, s: Script, keys: Sequence[Any], *args: Any) -> Call:
        """A script step; every collection script takes the TTL in ms as ARGV[1] (0: none)."""
        return script(s, list(keys), [self._ttlArg(), *args])

    # ------------------------------------------------------------------ common operations
    @operation
    def exists(self) -> Op:
        """True when the key exists in Redis (EXISTS). An empty collection has no key."""
        return bool((yield command("EXISTS", self.key)))

    @operation
    def delete(self) -> Op:
        """Delete the key (DEL); the collection reads as empty afterwards. Returns 1 if it existed."""
        return int((yield command("DEL", self.key)))

    @operation
    def expire(self, seconds: float) -> Op:
        """Let the key expire ``seconds`` from now (PEXPIRE); True if the key exists."""
        return bool((yield command("PEXPIRE", self.key, int(seconds * 1000))))

    @operation
    def timeToLive(self) -> Op:
        """Seconds until the key expires; None when it does not expire or does not exist (PTTL)."""
        ms = int((yield command("PTTL", self.key)))
        return ms / 1000.0 if ms >= 0 else None

    def __repr__(self) -> str:
        return f"{type(self).__name__}(key={self.key!r})"

    __hash__ = None  # type: ignore[assignment]  # mutable, compared by contents as the builtins are

    def sameKey(self, other: Any) -> bool:
        """True when ``other`` is a collection on the same key (and so the same data, on the same server)."""
        return isinstance(other, RedisCollection) and other.key == self.key


def addAsyncTwins(cls: type) -> None:
    """Give every operation of ``cls`` (a method made from a plan) its awaited twin (asyncName)."""
    for name, value in list(cls.__dict__.items()):
        plan = getattr(value, "plan", None)
        twin = asyncName(name)
        if plan is not None and twin and twin not in cls.__dict__:
            setattr(cls, twin, asyncOperation(plan))


addAsyncTwins(RedisCollection)


class TypedCollection(RedisCollection):
    """A collection whose values go through a ``ValueCodec``: ``valueField=`` or ``of=Model``."""

    def __init__(
        self, key: Any = None, *, valueField: Optional[IRField] = None, of: Optional[type] = None, **kwargs: Any
    ) -> None:
        super().__init__(key, **kwargs)
        self.valueField = valueField
        self.of = of
        self.codec = ValueCodec(valueField, of, self.label)

    def _copyArgs(self) -> Dict[str, Any]:
        return {"valueField": self.valueField, "of": self.of}


def chunks(items: Sequence[Any], size: int = 1000) -> Iterable[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


__all__ = [
    "FetchLinks",
    "Optimistic",
    "RedisCollection",
    "TypedCollection",
    "ValueCodec",
    "operation",
]
