"""The benchmark runner behind ``python -m benchmarks`` (see ``benchmarks/__init__.py``)."""

from __future__ import annotations

import argparse
import gc
import json
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
from .data import FIRST_YEAR, GENRES, KEY_NAME, N_ARTISTS, N_YEARS, Song, artistName, byPk, makeQueries, makeRows, rowOfObject
from .roundtrips import RoundTripCounter
from .sql import HAVE_SQLALCHEMY, SqlSide, openSqlSides
from .workloads import BASE, IR, WORKLOAD_KEYS, Ctx, Task, Workload, workloadsNamed

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
    if w.sql is None:
        raise ValueError(f"workload {w.key} has no SQL side")
    return w.sql(sqlByLabel[side], ctx)


def runRounds(
    ctx: Ctx,
    rounds: int,
    workloads: Sequence[Workload],
    sqlSides: Sequence[SqlSide],
    counter: RoundTripCounter,
    client: redis.Redis,
    owned: bool,
    result: Optional[SizeResult],
) -> None:
    """Run every workload ``rounds`` times on both sides (and SQL), interleaved; record into ``result``."""
    sqlByLabel = {s.label: s for s in sqlSides}
    for r in range(rounds):
        t0 = time.perf_counter()
        wipe(client, ctx.base, owned)
        for w in workloads:
            sides = [IR, BASE] + ([s.label for s in sqlSides] if w.sql is not None else [])
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
) -> SizeResult:
    """Load SQL, then run the rounds at size ``n``."""
    rows = makeRows(n, SEED)
    ctx = Ctx(n, rows, makeRows(n, SEED + 1), makeQueries(n, SEED), base, sintercard)
    result = SizeResult(n, rounds, list(workloads), [s.label for s in sqlSides])
    for s in sqlSides:
        s.load(rows)
        result.notes[f"{s.label} load seconds"] = s.loadSeconds
        log(f"  {s.label}: {n:,} rows loaded in {s.loadSeconds:.1f} s")
    runRounds(ctx, rounds, workloads, sqlSides, counter, client, owned, result)
    wipe(client, base, owned)
    return result


def warmUp(
    workloads: Sequence[Workload],
    sqlSides: Sequence[SqlSide],
    counter: RoundTripCounter,
    client: redis.Redis,
    base: Baseline,
    owned: bool,
    sintercard: bool,
) -> None:
    """One untimed round on a tiny dataset: loads the Lua scripts, opens connections, fills SQL caches, runs every check."""
    rows = makeRows(WARMUP_N, SEED + 7)
    for s in sqlSides:
        s.load(rows)
    ctx = Ctx(WARMUP_N, rows, makeRows(WARMUP_N, SEED + 8), makeQueries(WARMUP_N, SEED + 7), base, sintercard)
    runRounds(ctx, 1, workloads, sqlSides, counter, client, owned, None)
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


def redisTable(res: SizeResult, header: str) -> str:
    """Table 1: IndexedRedis against the hand-written baseline."""
    lines = [
        f"IndexedRedis vs hand-written redis-py baseline, N = {res.n:,} objects, median of {res.rounds} rounds",
        header,
        "",
        f"{'workload':<42} {'unit/s':<8} {'IndexedRedis':>13} {'baseline':>13} {'IR/base':>8} {'IR time/call':>13}"
        f" {'RT/call IR':>10} {'RT/call base':>12}",
    ]
    for w in res.workloads:
        ms = res.measures.get(w.key)
        if not ms or IR not in ms or BASE not in ms:
            continue
        ir, bl = ms[IR], ms[BASE]
        lines.append(
            f"{w.label.format(calls=ir.calls):<42} {w.unit:<8} {_num(ir.perSecond()):>13} {_num(bl.perSecond()):>13}"
            f" {ir.perSecond() / bl.perSecond():>7.2f}x {_time(ir.secondsPerCall()):>13}"
            f" {_rt(ir.roundtripsPerCall()):>10} {_rt(bl.roundtripsPerCall()):>12}"
        )
    return "\n".join(lines)


def sqlTable(res: SizeResult, header: str) -> str:
    """Table 2: IndexedRedis against SQLAlchemy on SQLite (and PostgreSQL)."""
    if not res.sqlLabels:
        return ""
    head = f"{'workload':<42} {'unit/s':<8} {'IndexedRedis':>13}"
    for label in res.sqlLabels:
        short = label.split()[0]
        head += f" {short:>13} {'IR/' + short:>14}"
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
        line = f"{w.label.format(calls=ms[IR].calls):<42} {w.unit:<8} {_num(ir):>13}"
        for label in res.sqlLabels:
            s = ms[label].perSecond()
            line += f" {_num(s):>13} {ir / s:>13.2f}x"
        lines.append(line)
    return "\n".join(lines)


def legend(workloads: Sequence[Workload]) -> str:
    """What each row runs on each side."""
    lines = ["What each row runs (IR = IndexedRedis; baseline = hand-written redis-py on the same server):"]
    for w in workloads:
        lines.append(f"  {w.key:<15} IR:       {w.irDoc}")
        lines.append(f"  {'':<15} baseline: {w.baseDoc}")
    lines.append(
        "  Baselines return dicts of native values (int, float price, parsed JSON list, str) and skip what "
        "IndexedRedis adds: generation checks, index checks under concurrent writers, model objects."
    )
    return "\n".join(lines)


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
        log(header)
        log("warm-up round (untimed) ...")
        warmUp(args.workloads, sqlSides, counter, client, base, owned, sintercard)
        started = time.perf_counter()
        for n in args.n:
            rounds = args.rounds or DEFAULT_ROUNDS
            log(f"N = {n:,}: {rounds} rounds")
            res = runSize(n, rounds, args.workloads, sqlSides, counter, client, base, owned, sintercard)
            print("\n" + redisTable(res, header), flush=True)
            sqlText = sqlTable(res, header)
            if sqlText:
                print("\n" + sqlText, flush=True)
            notes = notesText(res)
            if notes:
                print("\n" + notes, flush=True)
            report["sizes"].append(sizeJson(res))
            if args.json:
                _writeJson(args.json, report)
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
