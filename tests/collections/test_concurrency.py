"""Collections shared by real processes end in the exact expected state: no lost update, no item
given twice, never two owners of a lock."""

from __future__ import annotations

import multiprocessing
import time

from IndexedRedis import clearRedisPools, setDefaultRedisConnectionParams
from IndexedRedis.collections import RedisCounter, RedisDict, RedisInt, RedisList, RedisLock, RedisQueue, RedisSet

WORKERS = 4
N = 300


def _setup(url: str) -> None:
    clearRedisPools()
    setDefaultRedisConnectionParams({"url": url})


def _appender(url: str, w: int) -> None:
    _setup(url)
    lst = RedisList("cc:list")
    for i in range(N):
        lst.append(f"{w}:{i}")
        if i % 3 == 0:
            lst.insert(0, f"{w}:ins{i}")


def _incrementer(url: str, w: int) -> None:
    _setup(url)
    n, c, d = RedisInt("cc:int"), RedisCounter("cc:counter"), RedisDict("cc:dict")
    for i in range(N):
        n += 1
        c.update(["a", f"w{w}"])
        d[f"{w}:{i}"] = "x"


def _popper(url: str, out: "multiprocessing.Queue") -> None:
    _setup(url)
    lst = RedisList("cc:pop")
    got = []
    while True:
        try:
            got.append(lst.pop(0) if len(got) % 2 else lst.pop())
        except IndexError:
            break
    out.put(got)


def _worker(url: str, out: "multiprocessing.Queue") -> None:
    _setup(url)
    q, seen = RedisQueue("cc:queue"), RedisSet("cc:seen")
    got = []
    while True:
        item = q.get(timeout=1)
        if item == "stop":
            break
        got.append(item)
        seen.add(item)
        q.task_done()
    q.task_done()
    out.put(got)


def _locker(url: str, w: int) -> None:
    _setup(url)
    lock = RedisLock("cc:lock", leaseTime=5)
    shared = RedisList("cc:trace")
    for i in range(40):
        with lock:
            # Inside the lock: read-modify-write that would lose updates without mutual exclusion.
            shared.append(f"{w}:{i}:in")
            time.sleep(0.0005)
            shared.append(f"{w}:{i}:out")


def _run(target, args_list):
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=target, args=args) for args in args_list]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    return procs


def test_concurrent_append_and_insert_lose_nothing(real_db, redis_server_url):
    _run(_appender, [(redis_server_url, w) for w in range(WORKERS)])
    items = RedisList("cc:list").copy()
    want = {f"{w}:{i}" for w in range(WORKERS) for i in range(N)} | {
        f"{w}:ins{i}" for w in range(WORKERS) for i in range(0, N, 3)
    }
    assert len(items) == len(want) and set(items) == want
    for w in range(WORKERS):  # each writer's appends keep their order
        mine = [x for x in items if x.startswith(f"{w}:") and "ins" not in x]
        assert mine == [f"{w}:{i}" for i in range(N)]


def test_concurrent_increments_are_exact(real_db, redis_server_url):
    _run(_incrementer, [(redis_server_url, w) for w in range(WORKERS)])
    assert int(RedisInt("cc:int")) == WORKERS * N
    counts = RedisCounter("cc:counter").copy()
    assert counts["a"] == WORKERS * N and all(counts[f"w{w}"] == N for w in range(WORKERS))
    assert len(RedisDict("cc:dict")) == WORKERS * N


def test_concurrent_pops_give_each_item_once(real_db, redis_server_url):
    RedisList("cc:pop").extend(str(i) for i in range(2000))
    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    procs = [ctx.Process(target=_popper, args=(redis_server_url, out)) for _ in range(WORKERS)]
    for p in procs:
        p.start()
    got = [x for _ in procs for x in out.get(timeout=60)]
    for p in procs:
        p.join(60)
    assert sorted(got, key=int) == [str(i) for i in range(2000)]


def test_queue_feeds_workers_each_item_once(real_db, redis_server_url):
    q = RedisQueue("cc:queue")
    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    procs = [ctx.Process(target=_worker, args=(redis_server_url, out)) for _ in range(WORKERS)]
    for p in procs:
        p.start()
    for i in range(500):
        q.put(str(i))
    for _ in procs:
        q.put("stop")
    assert q.join(timeout=60)
    got = [x for _ in procs for x in out.get(timeout=60)]
    for p in procs:
        p.join(60)
    assert sorted(got, key=int) == [str(i) for i in range(500)]
    assert len(RedisSet("cc:seen")) == 500 and q.unfinishedTasks() == 0


def test_lock_is_never_held_twice(real_db, redis_server_url):
    _run(_locker, [(redis_server_url, w) for w in range(WORKERS)])
    trace = RedisList("cc:trace").copy()
    assert len(trace) == WORKERS * 40 * 2
    for k in range(0, len(trace), 2):  # every "in" is followed by the same holder's "out"
        assert trace[k].endswith(":in") and trace[k + 1] == trace[k][: -len("in")] + "out"
    assert not RedisLock("cc:lock").locked()
