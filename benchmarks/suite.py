"""The benchmark runner behind ``python -m benchmarks`` (see ``benchmarks/__init__.py``)."""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Tuple

import redis

from IndexedRedis import setDefaultRedisConnectionParams
from IndexedRedis.connection import clearRedisPools

from .baseline import Baseline
from .baseline_lua import LuaBaseline
from .data import FIRST_YEAR, GENRES, KEY_NAME, N_ARTISTS, N_YEARS, Song, artistName, byPk, makeQueries, makeRows, rowOfObject
from .roundtrips import RoundTripCounter
from .sql import HAVE_SQLALCHEMY, SqlSide, openSqlSides
from .memory import MemoryReport, measureMemory, memoryTable
from .v603side import DEFAULT_DIR, runV6, v6Python
from .workloads import BASE, CACHED, IR, LUA, V6, WORKLOAD_KEYS, Ctx, Task, Workload, workloadsNamed

DEFAULT_SIZES = [20_000, 100_000]
DEFAULT_ROUNDS = 3  # the default run (20,000 and 100,000, SQLite and PostgreSQL) takes about 5 minutes on 2 cores
SEED = 20240601
WARMUP_N = 300


class ResultMismatch(RuntimeError):
    """Two sides returned different results for the same workload: the comparison would be meaningless."""


def log(msg: str) -> None:
    """Progress to stderr (tables go to stdout)."""
    print(msg, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------- measurements
@dataclass
class Measure:
    """One side of one workload at one size: a value per round."""

    calls: int = 0
    seconds: List[float] = field(default_factory=list)
    units: List[int] = field(default_factory=list)
    roundtrips: List[int] = field(default_factory=list)

    def perSecond(self) -> float:
        """Median over rounds of units per second."""
        return statistics.median(u / s for u, s in zip(self.units, self.seconds))

    def secondsPerCall(self) -> float:
        return statistics.median(self.seconds) / max(1, self.calls)

    def roundtripsPerCall(self) -> float:
        return statistics.median(self.roundtrips) / max(1, self.calls)

    def asJson(self) -> Dict[str, Any]:
        return {
            "calls": self.calls,
            "seconds": self.seconds,
            "units": self.units,
            "roundtrips": self.roundtrips,
            "median_per_second": self.perSecond(),
            "median_seconds_per_call": self.secondsPerCall(),
            "roundtrips_per_call": self.roundtripsPerCall(),
        }


@dataclass
class SizeResult:
    """Everything measured at one dataset size."""

    n: int
    rounds: int
    workloads: List[Workload]
    sqlLabels: List[str]
    measures: Dict[str, Dict[str, Measure]] = field(default_factory=dict)
    notes: Dict[str, float] = field(default_factory=dict)
    memory: Optional[MemoryReport] = None
    v6Error: str = ""

    def measure(self, key: str, side: str) -> Measure:
        return self.measures.setdefault(key, {}).setdefault(side, Measure())


# ---------------------------------------------------------------------------- checks (never timed)
def _firstDifference(a: Any, b: Any, path: str = "") -> str:
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return f"{path}: {len(a)} items vs {len(b)}"
        for i, (x, y) in enumerate(zip(a, b)):
            if x != y:
                return _firstDifference(x, y, f"{path}[{i}]")
    return f"{path}: {a!r:.300} vs {b!r:.300}"


def compareResults(what: str, normed: Dict[str, Any]) -> None:
    """Raise ResultMismatch unless every side's normalised result equals IndexedRedis's."""
    ref = normed[IR]
    for side, value in normed.items():
        if value != ref:
            raise ResultMismatch(f"{what}: {side} differs from {IR}: {_firstDifference(value, ref)}")


def indexValues() -> List[Tuple[str, Any]]:
    """Every (indexed field, value) the generated data can hold."""
    return (
        [("artist", artistName(i)) for i in range(N_ARTISTS)]
        + [("genre", g) for g in GENRES]
        + [("year", FIRST_YEAR + y) for y in range(N_YEARS)]
    )


def verifyDatasets(ctx: Ctx, what: str) -> None:
    """Both datasets hold the same objects and the same index sets (after a write, first round only)."""
    irRows = byPk([rowOfObject(o) for o in Song.objects.all()])
    baseRows = byPk(ctx.base.all())
    if irRows != baseRows:
        raise ResultMismatch(f"after {what}: the datasets differ: {_firstDifference(baseRows, irRows)}")
    client = ctx.base.client
    for f, v in indexValues():
        irPks = sorted(Song.objects.filter(**{f: v}).getPrimaryKeys())
        basePks = sorted(int(p) for p in client.smembers(ctx.base.idxKey(f, v)))
        if irPks != basePks:
            raise ResultMismatch(f"after {what}: index {f}={v!r} differs: {_firstDifference(basePks, irPks)}")


# ---------------------------------------------------------------------------- the run
def wipe(client: redis.Redis, base: Baseline, owned: bool) -> None:
    """Empty both datasets. FLUSHDB only on the server this run started; else only our own keys."""
    if owned:
        client.flushdb()
    base.wipe()
    Song.deleter.destroyModel()  # also resets the generation IndexedRedis remembers


def _rotate(items: List[str], k: int) -> List[str]:
    k %= len(items)
    return items[k:] + items[:k]


def _prepare(w: Workload, side: str, ctx: Ctx, sqlByLabel: Dict[str, SqlSide]) -> Task:
    if side == IR:
        return w.ir(ctx)
    if side == BASE:
        return w.baseline(ctx)
    if side == LUA and w.lua is not None:
        return w.lua(ctx)
    if side == CACHED and w.cached is not None:
        return w.cached(ctx)
    if w.sql is None:
        raise ValueError(f"workload {w.key} has no SQL side")
    return w.sql(sqlByLabel[side], ctx)


def sidesOf(w: Workload, sqlSides: Sequence[SqlSide], cache: bool) -> List[str]:
    """The sides that run workload ``w`` in this run."""
    sides = [IR, BASE]
    if w.lua is not None:
        sides.append(LUA)
    if cache and w.cached is not None:
        sides.append(CACHED)
    if w.sql is not None:
        sides += [s.label for s in sqlSides]
    return sides


def runRounds(
    ctx: Ctx,
    rounds: int,
    workloads: Sequence[Workload],
    sqlSides: Sequence[SqlSide],
    counter: RoundTripCounter,
    client: redis.Redis,
    owned: bool,
    result: Optional[SizeResult],
    cache: bool = True,
) -> None:
    """Run every workload ``rounds`` times on both sides (and SQL), interleaved; record into ``result``."""
    sqlByLabel = {s.label: s for s in sqlSides}
    for r in range(rounds):
        t0 = time.perf_counter()
        wipe(client, ctx.base, owned)
        for w in workloads:
            sides = sidesOf(w, sqlSides, cache)
            normed: Dict[str, Any] = {}
            for side in _rotate(sides, r):  # the order changes every round, so drift hits every side
                task = _prepare(w, side, ctx, sqlByLabel)
                gc.collect()
                gc.freeze()  # the harness's data (rows, prepared objects) is left out of collections while timing
                before = counter.count
                start = time.perf_counter()
                try:
                    res = task.run()
                finally:
                    took = time.perf_counter() - start
                    gc.unfreeze()
                rts = counter.count - before
                if result is not None:
                    m = result.measure(w.key, side)
                    m.calls = task.calls
                    m.seconds.append(took)
                    m.units.append(task.units(res))
                    m.roundtrips.append(rts)
                if r == 0:
                    normed[side] = task.norm(res)
                del res, task
            if r == 0:
                compareResults(f"N={ctx.n} {w.key}", normed)
                del normed
                if w.mutates:
                    verifyDatasets(ctx, w.key)
        if result is not None:
            result.notes.update(ctx.notes)
            log(f"  N={ctx.n:,} round {r + 1}/{rounds} done in {time.perf_counter() - t0:.1f} s")


def runSize(
    n: int,
    rounds: int,
    workloads: Sequence[Workload],
    sqlSides: Sequence[SqlSide],
    counter: RoundTripCounter,
    client: redis.Redis,
    base: Baseline,
    owned: bool,
    sintercard: bool,
    opts: "RunOptions",
) -> SizeResult:
    """Load SQL, run the rounds at size ``n``, then the 6.0.3 side (its own process) and the memory report."""
    rows = makeRows(n, SEED)
    ctx = Ctx(n, rows, makeRows(n, SEED + 1), makeQueries(n, SEED), base, sintercard, lua=LuaBaseline(base))
    result = SizeResult(n, rounds, list(workloads), [s.label for s in sqlSides])
    for s in sqlSides:
        s.load(rows)
        result.notes[f"{s.label} load seconds"] = s.loadSeconds
        log(f"  {s.label}: {n:,} rows loaded in {s.loadSeconds:.1f} s")
    runRounds(ctx, rounds, workloads, sqlSides, counter, client, owned, result, opts.cache)
    wipe(client, base, owned)
    if opts.v6Python:
        rounds6 = min(rounds, opts.v6Rounds) if opts.v6Rounds else rounds
        log(f"  IndexedRedis 6.0.3 (own virtualenv, own process): {rounds6} round(s) at N={n:,} ...")
        try:
            got = runV6(opts.v6Python, opts.url, n, rounds6, SEED, [w.key for w in workloads])
        except RuntimeError as exc:
            result.v6Error = str(exc)
            log(f"  6.0.3 side failed: {exc}")
        else:
            for key, m6 in got.items():
                m = result.measure(key, V6)
                m.calls, m.seconds, m.units = m6["calls"], m6["seconds"], m6["units"]
                m.roundtrips = [0] * len(m6["seconds"])
                ours = result.measures.get(key, {}).get(IR)
                if ours is not None and ours.units and m.units and ours.units[0] != m.units[0]:
                    raise ResultMismatch(f"N={n} {key}: 6.0.3 returned {m.units[0]} objects, IndexedRedis {ours.units[0]}")
    if opts.memory:
        log(f"  memory at N={n:,} ...")
        result.memory = measureMemory(client, base, rows)
        wipe(client, base, owned)
    return result


@dataclass
class RunOptions:
    """What a run includes besides IndexedRedis, the pipeline and Lua baselines, and SQL."""

    url: str = ""
    cache: bool = True  # the IR cached column (CACHE = True, warm)
    v6Python: Optional[str] = None  # python of a virtualenv holding IndexedRedis 6.0.3
    v6Rounds: int = 0  # at most this many rounds of 6.0.3 (0: as many as the others)
    memory: bool = True


def warmUp(
    workloads: Sequence[Workload],
    sqlSides: Sequence[SqlSide],
    counter: RoundTripCounter,
    client: redis.Redis,
    base: Baseline,
    owned: bool,
    sintercard: bool,
    cache: bool = True,
) -> None:
    """One untimed round on a tiny dataset: loads the Lua scripts, opens connections, fills SQL caches, runs every check."""
    rows = makeRows(WARMUP_N, SEED + 7)
    for s in sqlSides:
        s.load(rows)
    ctx = Ctx(
        WARMUP_N, rows, makeRows(WARMUP_N, SEED + 8), makeQueries(WARMUP_N, SEED + 7), base, sintercard, lua=LuaBaseline(base)
    )
    runRounds(ctx, 1, workloads, sqlSides, counter, client, owned, None, cache)
    wipe(client, base, owned)


# ---------------------------------------------------------------------------- output
def _num(x: float) -> str:
    if x >= 100:
        return f"{x:,.0f}"
    if x >= 10:
        return f"{x:.1f}"
    return f"{x:.2f}"


def _rt(x: float) -> str:
    return f"{x:.0f}" if abs(x - round(x)) < 0.005 else f"{x:.2f}"


def _time(seconds: float) -> str:
    if seconds >= 1:
        return f"{seconds:.2f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds * 1e6:.0f} us"


def _rate(ms: Dict[str, Measure], side: str) -> Optional[float]:
    m = ms.get(side)
    return m.perSecond() if m is not None and m.seconds else None


def bestRaw(ms: Dict[str, Measure]) -> Tuple[Optional[float], str]:
    """The better (faster) of the two raw baselines: (units per second, which)."""
    best: Tuple[Optional[float], str] = (None, "")
    for side in (BASE, LUA):
        r = _rate(ms, side)
        if r is not None and (best[0] is None or r > best[0]):
            best = (r, side)
    return best


def _opt(x: Optional[float], fmt: Any = None) -> str:
    if x is None:
        return "-"
    return fmt(x) if fmt else _num(x)


def geometricMean(values: Sequence[float]) -> float:
    return math.exp(sum(math.log(v) for v in values) / len(values)) if values else float("nan")


def redisTable(res: SizeResult, header: str) -> str:
    """Table 1: IndexedRedis against the raw baselines (pipeline and Lua 1-RT), ratio to the better."""
    lines = [
        f"IndexedRedis vs raw redis-py (pipeline) and raw Lua (1 round trip), N = {res.n:,} objects,"
        f" median of {res.rounds} rounds",
        header,
        "",
        f"{'workload':<42} {'unit/s':<8} {'IndexedRedis':>13} {'pipeline':>11} {'Lua 1-RT':>11} {'IR/better':>10}"
        f" {'IR time/call':>13} {'RT/call IR':>10} {'RT/call raw':>11}",
    ]
    ratios = []
    for w in res.workloads:
        ms = res.measures.get(w.key)
        if not ms or IR not in ms or BASE not in ms:
            continue
        ir = ms[IR]
        best, which = bestRaw(ms)
        assert best is not None
        ratio = ir.perSecond() / best
        ratios.append(ratio)
        lines.append(
            f"{w.label.format(calls=ir.calls):<42} {w.unit:<8} {_num(ir.perSecond()):>13} {_num(ms[BASE].perSecond()):>11}"
            f" {_opt(_rate(ms, LUA)):>11} {ratio:>9.2f}x {_time(ir.secondsPerCall()):>13}"
            f" {_rt(ir.roundtripsPerCall()):>10} {_rt(ms[which].roundtripsPerCall()):>11}"
        )
    if ratios:
        lines.append(f"lowest IR/better: {min(ratios):.2f}x (target: at least 0.70x for every workload)")
    return "\n".join(lines)


def v6Table(res: SizeResult) -> str:
    """Table 2: IndexedRedis against IndexedRedis 6.0.3, and the geometric mean."""
    if res.v6Error:
        return f"IndexedRedis 6.0.3 at N = {res.n:,}: not measured ({res.v6Error})"
    rows = [(w, res.measures.get(w.key, {})) for w in res.workloads]
    rows = [(w, ms) for w, ms in rows if IR in ms and V6 in ms]
    if not rows:
        return ""
    m6 = rows[0][1][V6]
    lines = [
        f"IndexedRedis vs IndexedRedis 6.0.3 (own virtualenv, own process, same server), N = {res.n:,},"
        f" median of {len(m6.seconds)} round(s) of 6.0.3",
        "",
        f"{'workload':<42} {'unit/s':<8} {'IndexedRedis':>13} {'6.0.3':>11} {'IR/6.0.3':>9}",
    ]
    ratios = []
    for w, ms in rows:
        ratio = ms[IR].perSecond() / ms[V6].perSecond()
        ratios.append(ratio)
        lines.append(
            f"{w.label.format(calls=ms[IR].calls):<42} {w.unit:<8} {_num(ms[IR].perSecond()):>13}"
            f" {_num(ms[V6].perSecond()):>11} {ratio:>8.2f}x"
        )
    lines.append(f"geometric mean IR/6.0.3 over {len(ratios)} workloads: {geometricMean(ratios):.2f}x (target: at least 3x)")
    return "\n".join(lines)


def cacheTable(res: SizeResult) -> str:
    """Table 3: the client-side cache, warm (an unchanged dataset read again)."""
    rows = [(w, res.measures.get(w.key, {})) for w in res.workloads]
    rows = [(w, ms) for w, ms in rows if IR in ms and CACHED in ms]
    if not rows:
        return ""
    head = f"{'workload':<42} {'unit/s':<8} {'IR cached':>11} {'IR':>11} {'cached/IR':>10} {'cached/raw':>11}"
    for label in res.sqlLabels:
        short = label.split()[0]
        head += f" {'cached/' + short:>16}"
    lines = [
        f"IndexedRedis with CACHE = True (warm: every read answered 'unchanged' by the server), N = {res.n:,},"
        f" median of {res.rounds} rounds",
        "",
        head,
    ]
    for w, ms in rows:
        c = ms[CACHED].perSecond()
        best, _ = bestRaw(ms)
        line = (
            f"{w.label.format(calls=ms[IR].calls):<42} {w.unit:<8} {_num(c):>11} {_num(ms[IR].perSecond()):>11}"
            f" {c / ms[IR].perSecond():>9.2f}x {c / best:>10.2f}x"  # type: ignore[operator]
        )
        for label in res.sqlLabels:
            r = _rate(ms, label)
            line += f" {_opt(c / r if r else None, lambda x: f'{x:.2f}x'):>16}"
        lines.append(line)
    return "\n".join(lines)


def sqlTable(res: SizeResult, header: str) -> str:
    """Table 4: IndexedRedis (and with the cache) against SQLAlchemy on SQLite (and PostgreSQL)."""
    if not res.sqlLabels:
        return ""
    head = f"{'workload':<42} {'unit/s':<8} {'IndexedRedis':>13} {'IR cached':>11}"
    for label in res.sqlLabels:
        short = label.split()[0]
        head += f" {short:>11} {'IR/' + short:>14} {'cached/' + short:>16}"
    lines = [
        f"IndexedRedis vs SQLAlchemy 2 ORM, N = {res.n:,} rows, median of {res.rounds} rounds",
        header + "; SQL: " + ", ".join(res.sqlLabels),
        "",
        head,
    ]
    for w in res.workloads:
        if w.sql is None:
            continue
        ms = res.measures.get(w.key, {})
        if IR not in ms:
            continue
        ir = ms[IR].perSecond()
        cached = _rate(ms, CACHED)
        line = f"{w.label.format(calls=ms[IR].calls):<42} {w.unit:<8} {_num(ir):>13} {_opt(cached):>11}"
        for label in res.sqlLabels:
            sq = ms[label].perSecond()
            line += f" {_num(sq):>11} {ir / sq:>13.2f}x {_opt(cached / sq if cached else None, lambda x: f'{x:.2f}x'):>16}"
        lines.append(line)
    return "\n".join(lines)


def legend(workloads: Sequence[Workload]) -> str:
    """What each row runs on each side."""
    lines = ["What each row runs (IR = IndexedRedis; baseline = hand-written redis-py on the same server):"]
    for w in workloads:
        lines.append(f"  {w.key:<15} IR:       {w.irDoc}")
        lines.append(f"  {'':<15} baseline: {w.baseDoc}")
        if w.lua is not None:
            lines.append(f"  {'':<15} Lua 1-RT: {LUA_DOCS.get(w.key, 'one EVALSHA resolving the filter and HMGET of every row')}")
    lines.append(
        "  Lua 1-RT: benchmarks/baseline_lua.py, on the baseline's keys; IR cached: the same calls on a model with"
        " CACHE = True, run once untimed first (the cache warm); 6.0.3: benchmarks/v603/driver.py in its own"
        " virtualenv and process, after the other sides of each size."
    )
    lines.append(
        "  Baselines return dicts of native values (int, float price, parsed JSON list, str) and skip what "
        "IndexedRedis adds: generation checks, index checks under concurrent writers, model objects."
    )
    return "\n".join(lines)


LUA_DOCS = {
    "getMultiple": "one EVALSHA: HMGET of the 8 fields of every pk",
    "filter_eq": "one EVALSHA: SMEMBERS idx, HMGET of the 8 fields per pk",
    "filter_and": "one EVALSHA: SINTER of the index sets, HMGET per pk",
    "filter_ne": "one EVALSHA: SDIFF idx(eq) idx(ne), HMGET per pk",
    "all": "one EVALSHA: SMEMBERS keys, HMGET per pk",
}


def notesText(res: SizeResult) -> str:
    lines = []
    c = res.notes.get("construct_seconds")
    if c:
        lines.append(f"Building the {res.n:,} Song objects for bulk insert (not in the timings): {c:.2f} s ({res.n / c:,.0f}/s)")
    for k, v in res.notes.items():
        if k.endswith("load seconds"):
            lines.append(f"{k[: -len(' load seconds')]}: loading {res.n:,} rows (untimed) took {v:.1f} s")
    return "\n".join(lines)


def sizeJson(res: SizeResult) -> Dict[str, Any]:
    out: Dict[str, Any] = {"n": res.n, "rounds": res.rounds, "notes": res.notes, "workloads": {}}
    if res.memory is not None:
        out["memory"] = res.memory.asJson()
    if res.v6Error:
        out["v603_error"] = res.v6Error
    for w in res.workloads:
        ms = res.measures.get(w.key, {})
        entry: Dict[str, Any] = {
            "label": w.label.format(calls=ms[IR].calls) if IR in ms else w.label,
            "unit": w.unit,
            "ir": w.irDoc,
            "baseline": w.baseDoc,
            "sides": {side: m.asJson() for side, m in ms.items()},
        }
        if IR in ms and BASE in ms:
            entry["ratio_ir_over_baseline"] = ms[IR].perSecond() / ms[BASE].perSecond()
            # the median of the per-round ratios (each round runs both sides back to back)
            entry["ratio_ir_over_baseline_paired"] = statistics.median(
                (bs / bu) / (s / u) for u, s, bu, bs in zip(ms[IR].units, ms[IR].seconds, ms[BASE].units, ms[BASE].seconds)
            )
        for label in res.sqlLabels:
            if IR in ms and label in ms:
                entry[f"ratio_ir_over_{label.split()[0].lower()}"] = ms[IR].perSecond() / ms[label].perSecond()
                if CACHED in ms:
                    entry[f"ratio_cached_over_{label.split()[0].lower()}"] = ms[CACHED].perSecond() / ms[label].perSecond()
        best, which = bestRaw(ms)
        if IR in ms and best:
            entry["ratio_ir_over_better_raw"] = ms[IR].perSecond() / best
            entry["better_raw"] = which
        if IR in ms and V6 in ms:
            entry["ratio_ir_over_603"] = ms[IR].perSecond() / ms[V6].perSecond()
        out["workloads"][w.key] = entry
    return out


# ---------------------------------------------------------------------------- main
def parseArgs(argv: Optional[List[str]]) -> argparse.Namespace:
    ap = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Time IndexedRedis against a hand-written redis-py baseline (and SQLAlchemy on SQLite/PostgreSQL).",
    )
    ap.add_argument("--n", type=int, nargs="+", default=DEFAULT_SIZES, help="dataset sizes (default: 20000 100000)")
    ap.add_argument(
        "--rounds",
        type=int,
        default=None,
        help=f"rounds per size (default {DEFAULT_ROUNDS}); the medians are over rounds",
    )
    ap.add_argument(
        "--sql",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="also compare SQLAlchemy on SQLite, and PostgreSQL when DATABASE_URL is set (default: on if sqlalchemy imports)",
    )
    ap.add_argument("--only", nargs="+", metavar="WORKLOAD", help=f"run only these workloads ({', '.join(WORKLOAD_KEYS)})")
    ap.add_argument("--json", metavar="FILE", help="also write every measurement to FILE as JSON")
    ap.add_argument(
        "--cache", action=argparse.BooleanOptionalAction, default=True, help="the IR cached column (CACHE = True, warm)"
    )
    ap.add_argument(
        "--v6",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="the IndexedRedis 6.0.3 column (installed once into its own virtualenv under --v6-dir)",
    )
    ap.add_argument("--v6-dir", default=DEFAULT_DIR, help=f"where the 6.0.3 virtualenv lives (default {DEFAULT_DIR})")
    ap.add_argument("--v6-rounds", type=int, default=0, help="at most this many rounds of 6.0.3 per size (default: --rounds)")
    ap.add_argument("--memory", action=argparse.BooleanOptionalAction, default=True, help="the memory table")
    args = ap.parse_args(argv)
    if any(n < 100 for n in args.n):
        ap.error("--n: sizes must be at least 100")
    if args.rounds is not None and args.rounds < 1:
        ap.error("--rounds must be at least 1")
    try:
        args.workloads = workloadsNamed(args.only)
    except ValueError as exc:
        ap.error(str(exc))
    return args


def refuseForeignKeys(client: redis.Redis, base: Baseline) -> Optional[str]:
    """On a server we did not start, our key prefixes must be empty (we delete what is under them)."""
    for pattern in (b"_ir_|" + KEY_NAME.encode() + b":*", base.pattern()):
        for _ in client.scan_iter(match=pattern, count=1000):
            return pattern.decode()
    return None


def gitState() -> str:
    """The commit of the checkout, and whether IndexedRedis/ has uncommitted changes (what was measured)."""
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=here, capture_output=True, text=True, timeout=10)
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "IndexedRedis"], cwd=here, capture_output=True, text=True, timeout=10
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    if head.returncode != 0:
        return "unknown"
    return head.stdout.strip() + (" + uncommitted changes in IndexedRedis/" if dirty.stdout.strip() else "")


def redisForRun() -> Tuple[str, Any]:
    """``(url, server)``: ``REDIS_URL`` with no server, else a private redis-server just started
    (the caller stops it)."""
    url = os.environ.get("REDIS_URL")
    if url:
        return url, None
    from IndexedRedis.server import RedisServer

    server = RedisServer()
    server.start()
    return server.url, server


def main(argv: Optional[List[str]] = None) -> int:
    args = parseArgs(argv)
    url, server = redisForRun()
    owned = server is not None
    counter = RoundTripCounter().install()
    sqlSides: List[SqlSide] = []
    client = redis.Redis.from_url(url)
    base = Baseline(client)
    report: Dict[str, Any] = {}
    mayClean = owned  # on a server we did not start, only once our prefixes were found empty
    try:
        if not owned:
            busy = refuseForeignKeys(client, base)
            if busy:
                log(f"REDIS_URL {url} already has keys matching {busy!r}; refusing to delete them. Use an empty database.")
                return 2
            mayClean = True
        setDefaultRedisConnectionParams({"url": url})
        version = str(client.info("server")["redis_version"])
        sintercard = int(version.split(".")[0]) >= 7
        if args.sql is None and not HAVE_SQLALCHEMY:
            log("SQL comparison off: sqlalchemy is not installed (pip install -e '.[bench]')")
        sqlSides = openSqlSides(HAVE_SQLALCHEMY if args.sql is None else args.sql, log)
        parser = "hiredis" if redis.utils.HIREDIS_AVAILABLE else "python parser"
        header = (
            f"Redis {version} at {url}{' (private, started by this run)' if owned else ''}; redis-py {redis.__version__}"
            f" ({parser}); Python {platform.python_version()}; {os.cpu_count()} CPUs; IndexedRedis at {gitState()}"
        )
        report["meta"] = {
            "redis_version": version,
            "redis_url_private": owned,
            "redis_py": redis.__version__,
            "parser": parser,
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "indexedredis_git": gitState(),
            "sql": [s.label for s in sqlSides],
            "argv": sys.argv[1:] if argv is None else list(argv),
        }
        report["sizes"] = []
        opts = RunOptions(url=url, cache=args.cache, v6Rounds=args.v6_rounds, memory=args.memory)
        if args.v6:
            opts.v6Python = v6Python(args.v6_dir, log)
        log(header)
        log("warm-up round (untimed) ...")
        warmUp(args.workloads, sqlSides, counter, client, base, owned, sintercard, args.cache)
        started = time.perf_counter()
        memories = []
        for n in args.n:
            rounds = args.rounds or DEFAULT_ROUNDS
            log(f"N = {n:,}: {rounds} rounds")
            res = runSize(n, rounds, args.workloads, sqlSides, counter, client, base, owned, sintercard, opts)
            print("\n" + redisTable(res, header), flush=True)
            for text in (v6Table(res), cacheTable(res), sqlTable(res, header)):
                if text:
                    print("\n" + text, flush=True)
            if res.memory is not None:
                memories.append(res.memory)
            notes = notesText(res)
            if notes:
                print("\n" + notes, flush=True)
            report["sizes"].append(sizeJson(res))
            if args.json:
                _writeJson(args.json, report)
        if memories:
            print("\n" + memoryTable(memories), flush=True)
        print("\n" + legend(args.workloads), flush=True)
        log(f"total {time.perf_counter() - started:.0f} s (after warm-up)")
        if args.json:
            _writeJson(args.json, report)
            log(f"JSON written to {args.json}")
    finally:
        try:
            if mayClean:
                base.wipe()
                Song.deleter.destroyModel()
        except Exception as exc:  # cleanup must not hide the run's own error
            log(f"cleanup failed: {type(exc).__name__}: {exc}")
        for s in sqlSides:
            s.close()
        counter.uninstall()
        client.close()
        clearRedisPools()
        if server is not None:
            server.stop()
    return 0


def _writeJson(path: str, report: Dict[str, Any]) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(report, fh, indent=1)


__all__ = ["main", "Measure", "SizeResult", "ResultMismatch"]
