"""What UNIQUE_FIELDS and EXPIRE cost, as ratios to the same model without them.

    python -m benchmarks.unique_expiry [--n 20000] [--rounds 5]

Starts a private redis-server. Four models with the same fields (two indexed): plain, with one
unique field, with EXPIRE (an hour: nothing expires during the run), with both. For each, best of
``--rounds``: inserting ``--n`` new objects in list saves of 500, 2,000 single saves of new objects,
``filter().all()`` of about 1% of them, ``filter().count()`` and ``get(pk)``; the models take turns
in every round. Ratios are time(with) / time(plain): 1.00 costs nothing.
"""

from __future__ import annotations

import argparse
import time
from typing import Callable, Dict, List, Optional

from IndexedRedis import IndexedRedisModel, IRField, setDefaultRedisConnectionParams
from IndexedRedis.server import RedisServer

FIELDS = [IRField("email"), IRField("group"), IRField("n", valueType=int), IRField("note")]


class Plain(IndexedRedisModel):
    FIELDS = [f.copy() for f in FIELDS]
    INDEXED_FIELDS = ["group", "n"]
    KEY_NAME = "bench:UxPlain"


class Unique(IndexedRedisModel):
    FIELDS = [f.copy() for f in FIELDS]
    INDEXED_FIELDS = ["group", "n"]
    UNIQUE_FIELDS = ["email"]
    KEY_NAME = "bench:UxUnique"


class Expiring(IndexedRedisModel):
    FIELDS = [f.copy() for f in FIELDS]
    INDEXED_FIELDS = ["group", "n"]
    EXPIRE = 3600
    KEY_NAME = "bench:UxExpiring"


class Both(IndexedRedisModel):
    FIELDS = [f.copy() for f in FIELDS]
    INDEXED_FIELDS = ["group", "n"]
    UNIQUE_FIELDS = ["email"]
    EXPIRE = 3600
    KEY_NAME = "bench:UxBoth"


MODELS = [Plain, Unique, Expiring, Both]


def objs(model: type, k: int) -> List[object]:
    return [model(email=f"u{i}@x", group=f"g{i % 100}", n=i % 1000, note="x" * 20) for i in range(k)]


def interleaved(rounds: int, setup: Callable[[type], object], run: Callable[[type, object], object]) -> Dict[str, float]:
    """Best time per model, the models taking turns in every round (so that a change of load on the
    machine hits them alike)."""
    times: Dict[str, List[float]] = {m.__name__: [] for m in MODELS}
    for _ in range(rounds):
        for m in MODELS:
            state = setup(m)
            t = time.perf_counter()
            run(m, state)
            times[m.__name__].append(time.perf_counter() - t)
    return {name: min(ts) for name, ts in times.items()}


def fill(model: type, n: int) -> None:
    model.deleter.destroyModel()
    data = objs(model, n)
    for i in range(0, n, 500):
        model.saver.save(data[i : i + 500])


def measure(n: int, rounds: int) -> Dict[str, Dict[str, float]]:
    out: Dict[str, Dict[str, float]] = {}

    def fresh(k: int) -> Callable[[type], object]:
        def setup(model: type) -> object:
            model.deleter.destroyModel()
            return objs(model, k)

        return setup

    out["insert, 500 per call"] = interleaved(
        rounds,
        fresh(n),
        lambda m, o: [m.saver.save(o[i : i + 500]) for i in range(0, n, 500)],  # type: ignore[index]
    )
    out["single saves"] = interleaved(rounds, fresh(2000), lambda m, o: [x.save() for x in o])  # type: ignore[attr-defined]
    for m in MODELS:
        fill(m, n)
    out["filter().all() 1%"] = interleaved(rounds * 4, lambda m: None, lambda m, _: m.objects.filter(group="g7").all())
    out["filter().count()"] = interleaved(rounds * 40, lambda m: None, lambda m, _: m.objects.filter(group="g7").count())
    out["get(pk)"] = interleaved(rounds * 40, lambda m: None, lambda m, _: m.objects.get(n // 2))
    return out


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    server = RedisServer().start()
    try:
        setDefaultRedisConnectionParams({"url": server.url})
        results = measure(args.n, args.rounds)
        print(f"N = {args.n}, best of {args.rounds} or more, the models taking turns; time with / time plain")
        print(f"| workload | plain | {' | '.join(m.__name__ for m in MODELS[1:])} |")
        print("|---|---:|" + "---:|" * (len(MODELS) - 1))
        for name, r in results.items():
            cells = " | ".join(f"{r[m.__name__] / r['Plain']:.2f}" for m in MODELS[1:])
            print(f"| {name} | {r['Plain'] * 1000:.2f} ms | {cells} |")
        return 0
    finally:
        server.stop()


if __name__ == "__main__":
    raise SystemExit(main())
