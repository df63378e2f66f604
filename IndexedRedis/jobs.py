"""Jobs: operations made of several plans, written once for both executors.

A plan (``plans.Op``) runs inside one generation of one model and yields ``Call`` objects. Some
operations take several of them with logic in between: a cascade fetch (one plan per level, a
check of the write counters around them), a save with links (reserve pks, check link targets,
save model by model), a ``reset`` (build in chunks, switch, drop the old generation). Such an
operation is a *job*: a generator that yields the effects below and receives their results.
``executors.sync.runJob`` performs them with blocking I/O, ``executors.async_.arunJob`` awaits
them; neither holds any logic of the operation. Exceptions an effect raises are thrown into the
job, so its ``try``/``except``/``finally`` blocks work as in plain code. A streaming job also
yields ``plans.Emit(items)``, which ``iterJob`` / ``aiterJob`` hand to the consumer.
"""

from __future__ import annotations

from typing import Any, Callable, Generator, List, Optional, Tuple

from .plans import Call, Op

Job = Generator[Any, Any, Any]


class Run:
    """Run one plan for a model (``factory(layout) -> Op``) on the current generation, retried
    when the generation moves; the result is the plan's. ``client``: the executor's own client
    for the model unless given."""

    __slots__ = ("factory", "schema", "what", "client")

    def __init__(self, factory: Callable[[Any], Op], schema: Any, what: str, client: Any = None) -> None:
        self.factory = factory
        self.schema = schema
        self.what = what
        self.client = client


class ClientOf:
    """The executor's client for a model (a ``redis.Redis`` or a ``redis.asyncio.Redis``): plans
    remember the generation they saw per client (``ModelSchema.rememberGeneration``)."""

    __slots__ = ("schema",)

    def __init__(self, schema: Any) -> None:
        self.schema = schema


class StreamSend:
    """Send a script call (``anyGen``) on the job's stream: one connection, one call in flight
    (``reset`` converts chunk k+1 while Redis writes chunk k). The stream opens on the first send."""

    __slots__ = ("call", "layout", "client")

    def __init__(self, call: Call, layout: Any, client: Any) -> None:
        self.call = call
        self.layout = layout
        self.client = client


class StreamReceive:
    """The reply of the call the stream sent last."""

    __slots__ = ()


class StreamEnd:
    """Close the stream: wait for the reply of a call still in flight (so that what the job does
    next happens after it on the server) and give the connection back."""

    __slots__ = ()


class Pull:
    """The next items of ``source`` (an iterator, or with the asyncio executor an async
    iterator), at most ``size``; an empty list at the end."""

    __slots__ = ("source", "size")

    def __init__(self, source: Any, size: int) -> None:
        self.source = source
        self.size = size


class HeartbeatStart:
    """Keep the marker ``key`` alive (registry.Heartbeat: ``SET key 1 EX ttl XX`` every second)
    until ``HeartbeatStop(handle)``; the result is the handle."""

    __slots__ = ("client", "key")

    def __init__(self, client: Any, key: bytes) -> None:
        self.client = client
        self.key = key


class HeartbeatStop:
    __slots__ = ("handle",)

    def __init__(self, handle: Any) -> None:
        self.handle = handle


class CollectionWrites:
    """Run ``(collection, op)`` pairs one after the other: each ``op`` a plan of that collection
    (collections/base.py), run by the collection's own executor of the same kind (blocking with
    the sync executor, awaited with the asyncio one). The result is the list of their results."""

    __slots__ = ("writes",)

    def __init__(self, writes: List[Tuple[Any, Any]]) -> None:
        self.writes = writes


def runOne(factory: Callable[[Any], Op], schema: Any, what: str, client: Optional[Any] = None) -> Job:
    """A job of one plan."""
    return (yield Run(factory, schema, what, client))


def withHeartbeat(client: Any, key: bytes, body: Job) -> Job:
    """Run ``body`` with the marker ``key`` kept alive."""
    handle = yield HeartbeatStart(client, key)
    try:
        return (yield from body)
    finally:
        yield HeartbeatStop(handle)


__all__ = [
    "CollectionWrites",
    "ClientOf",
    "HeartbeatStart",
    "HeartbeatStop",
    "Job",
    "Pull",
    "Run",
    "StreamEnd",
    "StreamReceive",
    "StreamSend",
    "runOne",
    "withHeartbeat",
]
