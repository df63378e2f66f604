"""The collections' server-side scripts, loaded once from ``lua/*.lua`` with ``lua/lib.lua`` in front.

Every script takes the TTL in milliseconds as ARGV[1] (0: none) and every key in KEYS; values
are never formatted into the source.
"""

from __future__ import annotations

import os

from ..scripts import scriptLoader

_load = scriptLoader(os.path.join(os.path.dirname(os.path.abspath(__file__)), "lua"))


LIST_SLICE = _load("list_slice")
LIST_INSERT = _load("list_insert")
LIST_POP = _load("list_pop")
LIST_REVERSE = _load("list_reverse")
LIST_ROTATE = _load("list_rotate")
DICT_POPITEM = _load("dict_popitem")
SET_UPDATE = _load("set_update")
COUNTER_MERGE = _load("counter_merge")
QUEUE_PUT = _load("queue_put")
QUEUE_DONE = _load("queue_done")
LOCK_ACQUIRE = _load("lock_acquire")
LOCK_RELEASE = _load("lock_release")
LOCK_EXTEND = _load("lock_extend")
NUMBER_OP = _load("number_op")
