"""Collections: common operations timed against pottery and against hand-written redis-py.

``python -m benchmarks.collections [--n N]``: starts a private redis-server (or uses
``REDIS_URL``, whose database must hold no ``bench:coll:`` keys; only those keys are deleted).
Each operation runs N times on each side, one after the other on the same server; the table
gives microseconds per operation and the ratios to hand-written redis-py sending the same
commands (1.00 = no overhead). pottery stores JSON, we store the field's form (here str/int).
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from typing import Any, Callable, Dict, List, Optional, Tuple

import redis

from IndexedRedis import IRField, clearRedisPools, setDefaultRedisConnectionParams
from IndexedRedis.collections import RedisCounter, RedisDict, RedisInt, RedisList, RedisLock, RedisQueue, RedisSet

from .suite import redisForRun

PREFIX = b"bench:coll:"


def _timed(fn: Callable[[int], Any], n: int) -> float:
    """Microseconds per call of ``fn(i)`` over ``n`` calls."""
    start = time.perf_counter()
    for i in range(n):
        fn(i)
    return (time.perf_counter() - start) / n * 1e6


def _ours(client: redis.Redis) -> Dict[str, Tuple[Callable[[], Any], Callable[[int], Any]]]:
    lst = RedisList(PREFIX + b"ours:list")
    d = RedisDict(PREFIX + b"ours:dict", valueField=IRField(valueType=int))
    s = RedisSet(PREFIX + b"ours:set")
    c = RedisCounter(PREFIX + b"ours:counter")
    q = RedisQueue(PREFIX + b"ours:queue")
    lock = RedisLock(PREFIX + b"ours:lock")
    n = RedisInt(PREFIX + b"ours:int")
    return {
        "list.append": (lambda: None, lambda i: lst.append("item")),
        "list[i]": (lambda: lst.extend(["item"] * 200), lambda i: lst[i % 200]),
        "list[10:110]": (lambda: None, lambda i: lst[10:110]),
        "list.pop()": (lambda: lst.extend(["item"] * 20000), lambda i: lst.pop()),
        "len(list)": (lambda: None, lambda i: len(lst)),
        "dict[k] = v": (lambda: None, lambda i: d.__setitem__("k%d" % (i % 500), i)),
        "dict[k]": (lambda: None, lambda i: d["k%d" % (i % 500)]),
        "set.add": (lambda: None, lambda i: s.add("m%d" % (i % 500))),
        "x in set": (lambda: None, lambda i: ("m%d" % (i % 500)) in s),
        "counter.update": (lambda: None, lambda i: c.update(["a", "b"])),
        "queue put+get": (lambda: None, lambda i: (q.put("job"), q.get())),
        "lock acquire+release": (lambda: None, lambda i: (lock.acquire(), lock.release())),
        "int += 1": (lambda: None, lambda i: n.__iadd__(1)),
    }


def _raw(client: redis.Redis) -> Dict[str, Tuple[Callable[[], Any], Callable[[int], Any]]]:
    """The same commands our collections send, written by hand (scripts as EVALSHA of the same scripts)."""
    from IndexedRedis.collections import scripts

    k = PREFIX + b"raw:"
    put, acquire, release = scripts.QUEUE_PUT, scripts.LOCK_ACQUIRE, scripts.LOCK_RELEASE
    return {
        "list.append": (lambda: None, lambda i: client.rpush(k + b"list", b"item")),
        "list[i]": (lambda: client.rpush(k + b"list", *[b"item"] * 200), lambda i: client.lindex(k + b"list", i % 200).decode()),
        "list[10:110]": (lambda: None, lambda i: [x.decode() for x in client.lrange(k + b"list", 10, 109)]),
        "list.pop()": (lambda: client.rpush(k + b"list", *[b"item"] * 20000), lambda i: client.rpop(k + b"list")),
        "len(list)": (lambda: None, lambda i: client.llen(k + b"list")),
        "dict[k] = v": (lambda: None, lambda i: client.hset(k + b"dict", "k%d" % (i % 500), i)),
        "dict[k]": (lambda: None, lambda i: int(client.hget(k + b"dict", "k%d" % (i % 500)))),
        "set.add": (lambda: None, lambda i: client.sadd(k + b"set", "m%d" % (i % 500))),
        "x in set": (lambda: None, lambda i: client.sismember(k + b"set", "m%d" % (i % 500))),
        "counter.update": (
            lambda: None,
            lambda i: client.pipeline().zincrby(k + b"counter", 1, b"a").zincrby(k + b"counter", 1, b"b").execute(),
        ),
        "queue put+get": (
            lambda: None,
            lambda i: (
                put(keys=[k + b"queue", k + b"queue:unfinished"], args=[0, 0, b"job"], client=client),
                client.blpop(k + b"queue", 0),
            ),
        ),
        "lock acquire+release": (
            lambda: None,
            lambda i: (
                acquire(keys=[k + b"lock", k + b"lock:fence"], args=[0, b"tok", 10000], client=client),
                release(keys=[k + b"lock"], args=[0, b"tok"], client=client),
            ),
        ),
        "int += 1": (lambda: None, lambda i: client.incrby(k + b"int", 1)),
    }


def _pottery(client: redis.Redis) -> Optional[Dict[str, Tuple[Callable[[], Any], Callable[[int], Any]]]]:
    try:
        import pottery
    except ImportError:
        return None
    k = "bench:coll:pottery:"
    lst = pottery.RedisList(redis=client, key=k + "list")
    d = pottery.RedisDict(redis=client, key=k + "dict")
    s = pottery.RedisSet(redis=client, key=k + "set")
    c = pottery.RedisCounter(redis=client, key=k + "counter")
    q = pottery.RedisSimpleQueue(redis=client, key=k + "queue")
    lock = pottery.Redlock(key=k + "lock", masters={client}, auto_release_time=10)
    return {
        "list.append": (lambda: None, lambda i: lst.append("item")),
        "list[i]": (lambda: lst.extend(["item"] * 200), lambda i: lst[i % 200]),
        "list[10:110]": (lambda: None, lambda i: lst[10:110]),
        "list.pop()": (lambda: lst.extend(["item"] * 20000), lambda i: lst.pop()),
        "len(list)": (lambda: None, lambda i: len(lst)),
        "dict[k] = v": (lambda: None, lambda i: d.__setitem__("k%d" % (i % 500), i)),
        "dict[k]": (lambda: None, lambda i: d["k%d" % (i % 500)]),
        "set.add": (lambda: None, lambda i: s.add("m%d" % (i % 500))),
        "x in set": (lambda: None, lambda i: ("m%d" % (i % 500)) in s),
        "counter.update": (lambda: None, lambda i: c.update(["a", "b"])),
        "queue put+get": (lambda: None, lambda i: (q.put("job"), q.get())),
        "lock acquire+release": (lambda: None, lambda i: (lock.acquire(), lock.release())),
    }


def _clean(client: redis.Redis) -> None:
    keys = list(client.scan_iter(match=PREFIX + b"*", count=1000))
    if keys:
        client.unlink(*keys)


def run(url: str, n: int) -> List[Tuple[str, float, Optional[float], Optional[float]]]:
    client = redis.Redis.from_url(url)
    clearRedisPools()
    setDefaultRedisConnectionParams({"url": url})
    sides: Dict[str, Any] = {"ours": _ours(client), "raw": _raw(client), "pottery": _pottery(client)}
    rows = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pottery warns about its O(n) operations
        for op in sides["ours"]:
            times: Dict[str, Optional[float]] = {}
            for name, ops in sides.items():
                if ops is None or op not in ops:
                    times[name] = None
                    continue
                setup, fn = ops[op]
                setup()
                fn(0)  # warm: scripts loaded, connection made
                times[name] = _timed(fn, n)
            rows.append((op, times["raw"], times["ours"], times["pottery"]))  # type: ignore[arg-type]
    return rows


def table(rows: List[Tuple[str, Any, Any, Any]]) -> str:
    def fmt(v: Optional[float]) -> str:
        return "n/a" if v is None else f"{v:.1f}"

    def ratio(v: Optional[float], base: float) -> str:
        return "n/a" if v is None else f"{v / base:.2f}"

    head = ("operation", "redis-py µs", "ours µs", "pottery µs", "ours/redis-py", "pottery/redis-py")
    lines = [head] + [(op, fmt(raw), fmt(ours), fmt(pot), ratio(ours, raw), ratio(pot, raw)) for op, raw, ours, pot in rows]
    widths = [max(len(line[i]) for line in lines) for i in range(len(head))]
    sep = "  ".join("=" * w for w in widths)
    out = [sep, "  ".join(c.ljust(w) for c, w in zip(head, widths)), sep]
    out += ["  ".join(c.ljust(w) for c, w in zip(line, widths)) for line in lines[1:]]
    out.append(sep)
    return "\n".join(out)


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.collections", description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000, help="calls per operation and side (default 2000)")
    args = parser.parse_args(argv)
    url, server = redisForRun()
    client = redis.Redis.from_url(url)
    try:
        if server is None and next(iter(client.scan_iter(match=PREFIX + b"*", count=1000)), None) is not None:
            print(f"REDIS_URL {url} already has {PREFIX!r} keys; refusing to delete them. Use an empty database.")
            return 2
        rows = run(url, args.n)
        print(f"redis {client.info('server')['redis_version']}, {args.n} calls per operation and side")
        print(table(rows))
    finally:
        _clean(client)
        client.close()
        if server is not None:
            server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
