"""Server-side scripts, loaded once from the ``.lua`` files beside this module.

Each is a redis-py ``Script``: ``SAVE(keys=[...], args=[...], client=client)``
sends EVALSHA and falls back to SCRIPT LOAD by itself. The client is given at each call,
since one model may live on several servers (``connectAlt``).
"""

from __future__ import annotations

import os
from typing import Callable

from redis.commands.core import Script


def scriptLoader(directory: str) -> Callable[[str], Script]:
    """``load(name)``: a redis-py ``Script`` for ``directory/name.lua`` with that directory's
    ``lib.lua`` (and ``ext.lua``, when there is one) in front; the client is given at each call."""

    def read(name: str) -> bytes:
        with open(os.path.join(directory, name + ".lua"), "rb") as fh:
            return fh.read()

    lib = read("lib")
    if os.path.exists(os.path.join(directory, "ext.lua")):
        lib += b"\n" + read("ext")

    def load(name: str) -> Script:
        return Script(None, lib + b"\n" + read(name))  # type: ignore[arg-type]  # bytes source: the sha needs no client

    return load


_load = scriptLoader(os.path.dirname(os.path.abspath(__file__)))


SAVE = _load("save")
DELETE = _load("delete")
FETCH = _load("fetch")
REPLACE_SETS = _load("replace_sets")
FIX_INDEX = _load("fix_index")
FIX_PKS = _load("fix_pks")
SWAP_GENERATION = _load("swap_generation")
KEYED = _load("keyed")
ROWS = _load("rows")
COUNTERS = _load("counters")
BUMP = _load("bump")
LOCK = _load("lock")
QUERY = _load("query")
INCR = _load("incr")
UNLOCK = _load("unlock")
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "redo.lua"), "rb") as _fh:
    REDO_SOURCE = _fh.read()  # sent with EVAL, on its own (see redo.lua)
MIGRATE_POINTER = _load("migrate_pointer")
MIGRATE_SWITCH = _load("migrate_switch")
PURGE = _load("purge")
TTL = _load("ttl")
UNIQUE_GET = _load("unique_get")
UNIQUE_CHECK = _load("unique_check")
CACHED_GET = _load("cached_get")
MULTI_GET = _load("multi_get")
CACHED_MULTI_GET = _load("cached_multi_get")


def _alone(name: str) -> Script:
    with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), name + ".lua"), "rb") as fh:
        return Script(None, fh.read())  # type: ignore[arg-type]


# The variants sent for a model without UNIQUE_FIELDS or EXPIRE (executors.common.scriptFor):
# the same keys, arguments and replies, without lib.lua and ext.lua in front, whose helpers cost
# a few microseconds of server time on every call of these one-command reads.
PLAIN = {KEYED: _alone("keyed_plain"), CACHED_GET: _alone("cached_get_plain")}

__all__ = [
    "PLAIN",
    "BUMP",
    "CACHED_GET",
    "CACHED_MULTI_GET",
    "COUNTERS",
    "DELETE",
    "FETCH",
    "FIX_INDEX",
    "FIX_PKS",
    "INCR",
    "KEYED",
    "LOCK",
    "MIGRATE_POINTER",
    "MIGRATE_SWITCH",
    "MULTI_GET",
    "PURGE",
    "QUERY",
    "REDO_SOURCE",
    "REPLACE_SETS",
    "ROWS",
    "SAVE",
    "SWAP_GENERATION",
    "TTL",
    "UNIQUE_CHECK",
    "UNIQUE_GET",
    "UNLOCK",
]
