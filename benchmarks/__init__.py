"""Benchmarks of IndexedRedis.

``python -m benchmarks [--n 20000 100000] [--rounds K] [--no-sql] [--only WORKLOAD ...] [--json FILE]``

Starts a private ``redis-server`` (``IndexedRedis.server.RedisServer``; or uses ``REDIS_URL``,
whose database must not hold keys under ``_ir_|bench:Song:`` or ``irbench:base:``) and times, at
each N, a model of 8 fields (3 indexed) through IndexedRedis and through a hand-written redis-py
baseline that sends the fewest commands for the same result (``benchmarks/baseline.py``), on the
same server in the same run. Every round rebuilds the dataset and runs each workload on every
side, rotating the order of the sides from round to round; the tables give medians over rounds,
the ratio IndexedRedis/baseline, and the round trips per call. In the first round the results of
all sides are compared and the run stops if they differ.

Only the call itself is timed: objects to insert are built beforehand, the objects an update
changes are fetched beforehand, and while timing the harness's own data is frozen out of the
garbage collector (``gc.freeze``), so collections triggered by the timed code do not walk the
harness's rows. The default run (N = 20,000 and 100,000, 3 rounds each, with SQLite and
PostgreSQL) takes about 4-5 minutes on 2 cores; ``--n 2000 --rounds 1`` takes seconds. On a
busy machine single rounds vary by 2x; the JSON also has the median of the per-round ratios.

With ``--sql`` (default when SQLAlchemy is installed) the lookups also run through the
SQLAlchemy 2 ORM on SQLite, and on PostgreSQL when ``DATABASE_URL`` is set (``benchmarks/sql.py``).

Other entry points:

* ``python -m benchmarks.hotspots``: cProfile of the IndexedRedis side of chosen workloads.
* ``python -m benchmarks.reset_stall``: how a large ``reset`` affects other clients of Redis.
* ``python -m benchmarks.sorted_pages [--n 100000 1000000] [--json FILE]``: page 1 and page 50 of
  ``filter(price__range=...).order_by('-price')`` and the range's ``count()`` (sorted indexes),
  against raw redis-py (Lua and pipeline), SQLite and PostgreSQL.
* ``python -m benchmarks.linkless [--against REV]``: ``get``, ``all()`` and attribute reads of a
  model without links (and of one with a link field), against another git revision.

Besides the pipeline baseline, the tables have a 1-round-trip Lua baseline for every
multi-object read (``baseline_lua.py``; ratios are taken against the better of the two), the
same reads through a model with ``CACHE = True`` (the cache warm), IndexedRedis 6.0.3 (installed
once into its own virtualenv, run in its own process: ``v603side.py``, ``v603/driver.py``;
``--no-v6`` leaves it out) and a memory table (``memory.py``; ``--no-memory``).

Modules: ``rows`` (rows and queries, no IndexedRedis import), ``data`` (the model), ``baseline``,
``baseline_lua``, ``sql``, ``workloads`` (what each side runs), ``roundtrips`` (counting),
``memory``, ``v603side`` and ``v603/driver.py``, ``suite`` (runner and tables).
"""
