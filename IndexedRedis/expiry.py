"""Expiring objects (``EXPIRE``): deadlines of single objects, and the sweep that removes the
objects past theirs.

The guarantees, and what they cost, are in docs/unique-expiry.rst; the server side is
scripts/ext.lua (every script of a model with EXPIRE leaves out the objects past their deadline).
"""

from __future__ import annotations

from typing import Any, Optional

from . import scripts
from .exceptions import InvalidValueError
from .jobs import Job, Run
from .keys import KeyLayout
from .plans import Call, Op, ttlMilliseconds
from .schema import getSchema

PURGE_STEP = 500  # objects one purge.lua call removes at most: about a millisecond of Redis time


def _savedPk(schema: Any, obj: Any, what: str) -> int:
    pk = obj.__dict__.get("_id")
    if pk is None:
        raise InvalidValueError(
            f"Model {schema.modelName}: {what} needs a saved object (this one has no pk); save it first, "
            "or save it with save(ttl=seconds)"
        )
    return int(pk)


def ttlOp(layout: KeyLayout, pk: int, action: str, ms: bytes = b"") -> Op:
    args: list = [pk, action]
    if ms:
        args.append(ms)
    return (yield Call(script=scripts.TTL, keys=[layout.data(pk)], args=args, pks=[pk]))


def setDeadline(obj: Any, seconds: Any) -> Job:
    """``obj.expire(seconds)`` (``seconds`` None: ``obj.persist()``)."""
    schema = getSchema(type(obj))
    what = "persist()" if seconds is None else "expire(seconds)"
    ms = b"" if seconds is None else ttlMilliseconds(schema, seconds, what)
    if seconds is None and not schema.expiry:
        ttlMilliseconds(schema, 1, what)  # raises: the model has no EXPIRE
    pk = _savedPk(schema, obj, what)
    action = "persist" if seconds is None else "set"
    return bool((yield Run(lambda layout: ttlOp(layout, pk, action, ms), schema, what)))


def timeToLive(obj: Any) -> Job:
    """``obj.ttl()``: seconds left, None without a deadline, 0.0 when the object is gone."""
    schema = getSchema(type(obj))
    if not schema.expiry:
        ttlMilliseconds(schema, 1, "ttl()")  # raises: the model has no EXPIRE
    pk = _savedPk(schema, obj, "ttl()")
    ms = int((yield Run(lambda layout: ttlOp(layout, pk, "get"), schema, "ttl")))
    if ms == -1:
        return None
    if ms < 0:
        return 0.0
    return ms / 1000.0


def purgeOp(layout: KeyLayout, limit: Optional[int]) -> Op:
    """Remove objects past their deadline, PURGE_STEP per call, until none is left (or ``limit``)."""
    total = 0
    while limit is None or total < limit:
        step = PURGE_STEP if limit is None else min(PURGE_STEP, limit - total)
        done, left = yield Call(script=scripts.PURGE, keys=[], args=[step])
        total += int(done)
        if int(left) == 0 or int(done) == 0:
            break
    return total


def purgeExpired(model: type, limit: Optional[int] = None) -> Job:
    """``Model.objects.purgeExpired(limit=None)``: remove the objects past their deadline (with their
    index entries), in bounded steps; returns how many were removed."""
    schema = getSchema(model)
    if not schema.expiry:
        return 0
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 0):
        raise InvalidValueError(f"Model {schema.modelName}: purgeExpired(limit=...) takes an int >= 0 or None; got {limit!r}")
    return int((yield Run(lambda layout: purgeOp(layout, limit), schema, "purgeExpired")))


__all__ = ["PURGE_STEP", "purgeExpired", "purgeOp", "setDeadline", "timeToLive", "ttlOp"]
