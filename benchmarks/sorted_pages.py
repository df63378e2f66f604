"""Sorted indexes: page 1 and page 50 of a price range ordered by price, and the range's count.

``python -m benchmarks.sorted_pages [--n 100000 1000000] [--rounds R] [--calls K] [--no-sql] [--json FILE]``

A product model (name, category indexed, price ``IRFixedPointField(decimalPlaces=2)`` in
``SORTED_FIELDS``, stock) is loaded with ``Product.reset(generator)`` at each N, and the same rows
go to the other sides:

* IndexedRedis: ``Product.objects.filter(price__range=(lo, hi)).order_by('-price')[:20].all()``
  (page 1), ``[980:1000]`` (page 50), ``filter(price__range=(lo, hi)).count()``.
* raw: hand-written redis-py on the same server in the same run, with its own sorted set of
  prices (member the pk as 20 digits, score the price in cents, as IndexedRedis keeps it) and one
  hash per product holding the same bytes, under ``irbench:sorted:``. Two variants of a page: one
  EVALSHA that runs ZREVRANGEBYSCORE ... LIMIT offset 20 and HGETALL of each member ("Lua"), or
  ZREVRANGEBYSCORE then a pipeline of 20 HGETALL ("pipeline"); both decode the rows into dicts of
  native values. The table's "raw" is the faster of the two. The count is one ZCOUNT.
* SQLAlchemy 2 ORM on SQLite (a temporary file) and on PostgreSQL (when ``DATABASE_URL`` is set;
  ``benchmarks/sql.py`` picks the driver): one table, a B-tree index on ``price`` (and one on
  ``category``), ANALYZEd (and VACUUMed on PostgreSQL); ``select(Product).where(price.between(lo, hi)).order_by(price.desc(),
  id.desc()).offset(o).limit(20)`` as ORM objects in a fresh ``Session`` per call, and
  ``select(count()).where(price.between(lo, hi))``. The ``id`` tie-break gives the order
  IndexedRedis gives (ties by pk, descending in a descending order); both databases read it off
  the price index (the index carries the row id), as EXPLAIN shows with ``--explain``.

Each range covers 10% of the price span, so page 50 always exists: about 10,000 matches at N =
100,000 and 100,000 at 1,000,000. Every call of a round uses a different range (the same ones on
every side); each call is timed alone, and the table gives the median over rounds x calls. The
order of the sides rotates from round to round. Before timing, every side's results for every
range are compared and the run stops if any differs. Round trips per call are counted for the
Redis sides. Loading is not timed (its seconds are printed).

A default run (N = 100,000 and 1,000,000, SQLite and PostgreSQL) takes about 2 minutes on 2
cores, most of it loading 1,000,000 rows. Starts a private ``redis-server`` unless ``REDIS_URL`` is set (its
database must then hold no keys under ``_ir_|bench:Product:`` or ``irbench:sorted:``).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import random
import statistics
import sys
import time
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import redis

from IndexedRedis import IndexedRedisModel, IRField, IRFixedPointField, setDefaultRedisConnectionParams
from IndexedRedis.connection import clearRedisPools

from .roundtrips import RoundTripCounter
from .sql import HAVE_SQLALCHEMY, postgresUrl
from .suite import gitState, log, redisForRun

DEFAULT_SIZES = [100_000, 1_000_000]
DEFAULT_ROUNDS = 5
DEFAULT_CALLS = 100  # distinct ranges per round
SEED = 20240612
KEY_NAME = "bench:Product"
N_CATEGORIES = 50
MIN_CENTS, MAX_CENTS = 100, 1_000_000  # prices 1.00 .. 9,999.99
RANGE_WIDTH = (MAX_CENTS - MIN_CENTS) // 10  # every range holds about 10% of the rows
PAGE = 20
PAGE50_OFFSET = 49 * PAGE  # [980:1000]

IR = "IndexedRedis"
RAW_LUA = "raw Lua"
RAW_PIPE = "raw pipeline"
RAW_ZCOUNT = "raw ZCOUNT"

Row = Tuple[int, str, str, int, int]  # pk, name, category, price in cents, stock: what the sides must agree on


class Product(IndexedRedisModel):
    """A product: a category to filter on, a price kept in a sorted index."""

    FIELDS = [
        IRField("name"),
        IRField("category"),
        IRFixedPointField("price", decimalPlaces=2),
        IRField("stock", valueType=int),
    ]
    INDEXED_FIELDS = ["category"]
    SORTED_FIELDS = ["price"]
    KEY_NAME = KEY_NAME


# ---------------------------------------------------------------------------- data
@dataclass
class Columns:
    """The dataset as columns (a million dicts would cost more memory than Redis holds); pks are 1..n."""

    n: int
    category: List[int]
    cents: List[int]
    stock: List[int]

    def name(self, i: int) -> str:
        return f"Product {i + 1:07d}"

    def categoryName(self, i: int) -> str:
        return f"cat-{self.category[i]:02d}"

    def price(self, i: int) -> str:
        """The price as IndexedRedis stores it (2 decimals)."""
        c = self.cents[i]
        return f"{c // 100}.{c % 100:02d}"


def makeColumns(n: int, seed: int) -> Columns:
    rng = random.Random(seed)
    return Columns(
        n,
        [rng.randrange(N_CATEGORIES) for _ in range(n)],
        [rng.randrange(MIN_CENTS, MAX_CENTS) for _ in range(n)],
        [rng.randrange(1000) for _ in range(n)],
    )


def makeRanges(k: int, seed: int) -> List[Tuple[int, int]]:
    """``k`` distinct (low, high) ranges in cents, inclusive, each 10% of the price span."""
    rng = random.Random(seed)
    lows = rng.sample(range(MIN_CENTS, MAX_CENTS - RANGE_WIDTH), k)
    return [(lo, lo + RANGE_WIDTH) for lo in lows]


def dec(cents: int) -> Decimal:
    return Decimal(cents).scaleb(-2)


def centsOf(value: Any) -> int:
    return int((Decimal(str(value)) * 100).to_integral_value())


# ---------------------------------------------------------------------------- IndexedRedis
class IrSide:
    label = IR

    def load(self, cols: Columns) -> None:
        """``Product.reset`` from a generator (the model's fast path for bulk loads)."""
        Product.reset(
            Product(_id=i + 1, name=cols.name(i), category=cols.categoryName(i), price=cols.price(i), stock=cols.stock[i])
            for i in range(cols.n)
        )

    def page(self, lo: int, hi: int, offset: int) -> List[Any]:
        return Product.objects.filter(price__range=(dec(lo), dec(hi))).order_by("-price")[offset : offset + PAGE].all()

    def count(self, lo: int, hi: int) -> int:
        return Product.objects.filter(price__range=(dec(lo), dec(hi))).count()

    @staticmethod
    def norm(objs: Sequence[Any]) -> List[Row]:
        return [(o.getPk(), o.name, o.category, centsOf(o.price), o.stock) for o in objs]


# ---------------------------------------------------------------------------- raw redis-py
RAW_PREFIX = b"irbench:sorted:"
RAW_PAGE_LUA = """
local ids = redis.call('ZREVRANGEBYSCORE', KEYS[1], ARGV[2], ARGV[1], 'LIMIT', ARGV[3], ARGV[4])
local out = {}
for i = 1, #ids do
  out[2 * i - 1] = ids[i]
  out[2 * i] = redis.call('HGETALL', ARGV[5] .. tonumber(ids[i]))
end
return out
"""


def rawRow(pk: int, raw: Dict[bytes, bytes]) -> Dict[str, Any]:
    return {
        "pk": pk,
        "name": raw[b"name"].decode(),
        "category": raw[b"category"].decode(),
        "price": float(raw[b"price"]),
        "stock": int(raw[b"stock"]),
    }


class RawSide:
    """The same sorted-set work in plain redis-py (the data hash is the one IndexedRedis writes)."""

    def __init__(self, client: redis.Redis) -> None:
        self.client = client
        self.zkey = RAW_PREFIX + b"sort:price"
        self.dataPrefix = RAW_PREFIX + b"data:"
        self.script = client.register_script(RAW_PAGE_LUA)

    def load(self, cols: Columns, chunk: int = 2000) -> None:
        """Pipelines (no MULTI) of HSET data:pk + ZADD, ``chunk`` rows per round trip."""
        for start in range(0, cols.n, chunk):
            pipe = self.client.pipeline(transaction=False)
            scores: Dict[bytes, int] = {}
            for i in range(start, min(cols.n, start + chunk)):
                pipe.hset(
                    self.dataPrefix + b"%d" % (i + 1),
                    mapping={
                        "name": cols.name(i),
                        "category": cols.categoryName(i),
                        "price": cols.price(i),
                        "stock": cols.stock[i],
                    },
                )
                scores[b"%020d" % (i + 1)] = cols.cents[i]
            pipe.zadd(self.zkey, scores)  # type: ignore[arg-type]
            pipe.execute()

    def pageLua(self, lo: int, hi: int, offset: int) -> List[Dict[str, Any]]:
        """One EVALSHA: ZREVRANGEBYSCORE LIMIT offset 20 and an HGETALL per member."""
        flat = self.script(keys=[self.zkey], args=[lo, hi, offset, PAGE, self.dataPrefix])
        out = []
        for i in range(0, len(flat), 2):
            h = flat[i + 1]
            raw = {h[j]: h[j + 1] for j in range(0, len(h), 2)}
            out.append(rawRow(int(flat[i]), raw))
        return out

    def pagePipe(self, lo: int, hi: int, offset: int) -> List[Dict[str, Any]]:
        """ZREVRANGEBYSCORE LIMIT offset 20, then one pipeline of 20 HGETALL: 2 round trips."""
        ids = self.client.zrevrangebyscore(self.zkey, hi, lo, start=offset, num=PAGE)
        pipe = self.client.pipeline(transaction=False)
        pks = [int(m) for m in ids]
        for pk in pks:
            pipe.hgetall(self.dataPrefix + b"%d" % pk)
        return [rawRow(pk, raw) for pk, raw in zip(pks, pipe.execute()) if raw]

    def count(self, lo: int, hi: int) -> int:
        """ZCOUNT: 1 round trip."""
        return int(self.client.zcount(self.zkey, lo, hi))

    def storedHash(self, pk: int) -> Dict[bytes, bytes]:
        return self.client.hgetall(self.dataPrefix + b"%d" % pk)

    def wipe(self) -> None:
        """SCAN + UNLINK of the raw side's own prefix only."""
        batch: List[bytes] = []
        for key in self.client.scan_iter(match=RAW_PREFIX + b"*", count=1000):
            batch.append(key)
            if len(batch) >= 1000:
                self.client.unlink(*batch)
                batch = []
        if batch:
            self.client.unlink(*batch)

    @staticmethod
    def norm(rows: Sequence[Dict[str, Any]]) -> List[Row]:
        return [(r["pk"], r["name"], r["category"], centsOf(r["price"]), r["stock"]) for r in rows]


# ---------------------------------------------------------------------------- SQL
if HAVE_SQLALCHEMY:
    from sqlalchemy import Integer, Numeric, String, create_engine, func, insert, select, text
    from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column


def makeProductRow(tableName: str) -> Any:
    """A mapped class for the products table named ``tableName`` (own registry)."""

    class Base(DeclarativeBase):
        pass

    class ProductRow(Base):
        __tablename__ = tableName
        id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
        name: Mapped[str] = mapped_column(String(64))
        category: Mapped[str] = mapped_column(String(16), index=True)
        price: Mapped[Decimal] = mapped_column(Numeric(10, 2), index=True)
        stock: Mapped[int] = mapped_column(Integer)

    return ProductRow


class SqlSide:
    """One database with the products table; each method is one timed call."""

    def __init__(self, label: str, engine: Any, tableName: str, tmpDir: Optional[str] = None) -> None:
        self.label = label
        self.engine = engine
        self.tableName = tableName
        self.model = makeProductRow(tableName)
        self.tmpDir = tmpDir
        self.isPostgres = engine.dialect.name == "postgresql"

    def load(self, cols: Columns) -> None:
        """Create the table, bulk insert (COPY on PostgreSQL, executemany on SQLite), build the indexes, (VACUUM) ANALYZE."""
        table = self.model.__table__
        table.drop(self.engine, checkfirst=True)
        indexes = list(table.indexes)
        for ix in indexes:  # built after the rows are in: faster than maintaining them row by row
            table.indexes.discard(ix)
        table.create(self.engine)
        try:
            if self.isPostgres:
                self._copy(cols)
            else:
                with self.engine.begin() as conn:
                    for start in range(0, cols.n, 20_000):
                        conn.execute(
                            insert(table),
                            [
                                {
                                    "id": i + 1,
                                    "name": cols.name(i),
                                    "category": cols.categoryName(i),
                                    "price": dec(cols.cents[i]),
                                    "stock": cols.stock[i],
                                }
                                for i in range(start, min(cols.n, start + 20_000))
                            ],
                        )
        finally:
            for ix in indexes:
                table.indexes.add(ix)
        for ix in indexes:
            ix.create(self.engine)
        # VACUUM on PostgreSQL too: it sets the visibility map that index-only scans (the count)
        # need, which autovacuum would otherwise do at some moment during the timing
        with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text(f"{'VACUUM ' if self.isPostgres else ''}ANALYZE {self.tableName}"))

    def _copy(self, cols: Columns) -> None:
        raw = self.engine.raw_connection()
        try:
            cur = raw.cursor()
            copyCmd = f"COPY {self.tableName} (id, name, category, price, stock) FROM STDIN"
            if hasattr(cur, "copy"):  # psycopg 3
                with cur.copy(copyCmd) as cp:
                    for i in range(cols.n):
                        cp.write_row((i + 1, cols.name(i), cols.categoryName(i), cols.price(i), cols.stock[i]))
            else:  # psycopg2
                import io

                buf = io.StringIO()
                for i in range(cols.n):
                    buf.write(f"{i + 1}\t{cols.name(i)}\t{cols.categoryName(i)}\t{cols.price(i)}\t{cols.stock[i]}\n")
                buf.seek(0)
                cur.copy_expert(copyCmd, buf)
            raw.commit()
        finally:
            raw.close()

    def _pageQuery(self, lo: int, hi: int, offset: int) -> Any:
        M = self.model
        return select(M).where(M.price.between(dec(lo), dec(hi))).order_by(M.price.desc(), M.id.desc()).offset(offset).limit(PAGE)

    def page(self, lo: int, hi: int, offset: int) -> List[Any]:
        with Session(self.engine) as s:
            return s.scalars(self._pageQuery(lo, hi, offset)).all()

    def count(self, lo: int, hi: int) -> int:
        M = self.model
        with Session(self.engine) as s:
            return int(s.scalar(select(func.count()).select_from(M).where(M.price.between(dec(lo), dec(hi)))) or 0)

    def explain(self, lo: int, hi: int) -> str:
        q = self._pageQuery(lo, hi, PAGE50_OFFSET)
        compiled = q.compile(self.engine, compile_kwargs={"literal_binds": True})
        prefix = "EXPLAIN ANALYZE " if self.isPostgres else "EXPLAIN QUERY PLAN "
        with self.engine.connect() as conn:
            rows = conn.execute(text(prefix + str(compiled))).all()
        return "\n".join("    " + " ".join(str(c) for c in r) for r in rows)

    @staticmethod
    def norm(objs: Sequence[Any]) -> List[Row]:
        return [(o.id, o.name, o.category, centsOf(o.price), o.stock) for o in objs]

    def close(self) -> None:
        try:
            if self.tmpDir is None:
                self.model.__table__.drop(self.engine, checkfirst=True)
        finally:
            self.engine.dispose()
            if self.tmpDir is not None:
                import shutil

                shutil.rmtree(self.tmpDir, ignore_errors=True)


def openSqlSides(want: bool) -> List[SqlSide]:
    """SQLite in a temporary file, and PostgreSQL when DATABASE_URL is set and reachable."""
    if not want:
        return []
    if not HAVE_SQLALCHEMY:
        log("SQL comparison skipped: sqlalchemy is not installed (pip install -e '.[bench]')")
        return []
    import tempfile

    tmpDir = tempfile.mkdtemp(prefix="irbench-sorted-")
    sides = [SqlSide("SQLite", create_engine(f"sqlite:///{os.path.join(tmpDir, 'products.db')}"), "products", tmpDir)]
    url = os.environ.get("DATABASE_URL")
    if url:
        try:
            engine = create_engine(postgresUrl(url))
            with engine.connect() as conn:
                version = conn.execute(text("SHOW server_version")).scalar()
        except Exception as exc:  # driver missing, server down, bad URL: skip, do not fail the run
            log(f"PostgreSQL skipped ({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''})")
        else:
            sides.append(SqlSide(f"PostgreSQL {str(version).split()[0]}", engine, f"irbench_products_{os.getpid()}"))
    return sides


# ---------------------------------------------------------------------------- workloads
@dataclass
class Workload:
    key: str
    label: str
    offset: Optional[int]  # a page from this offset; None: count()


WORKLOADS = [
    Workload("page1", "page 1 [:20]", 0),
    Workload("page50", "page 50 [980:1000]", PAGE50_OFFSET),
    Workload("count", "count()", None),
]


@dataclass
class Side:
    """One column of the table: a function of (lo, hi) per workload, and how to compare its results."""

    label: str
    calls: Dict[str, Callable[[int, int], Any]]
    norm: Callable[[Any], Any]
    redis: bool


def buildSides(ir: IrSide, raw: RawSide, sql: Sequence[SqlSide]) -> List[Side]:
    def pages(fn: Callable[[int, int, int], Any]) -> Dict[str, Callable[[int, int], Any]]:
        return {w.key: (lambda lo, hi, o=w.offset: fn(lo, hi, o)) for w in WORKLOADS if w.offset is not None}

    sides = [
        Side(IR, {**pages(ir.page), "count": ir.count}, ir.norm, True),
        Side(RAW_LUA, pages(raw.pageLua), raw.norm, True),
        Side(RAW_PIPE, pages(raw.pagePipe), raw.norm, True),
        Side(RAW_ZCOUNT, {"count": raw.count}, raw.norm, True),
    ]
    for s in sql:
        sides.append(Side(s.label, {**pages(s.page), "count": s.count}, s.norm, False))
    return sides


def normed(side: Side, key: str, result: Any) -> Any:
    return result if key == "count" else side.norm(result)


# ---------------------------------------------------------------------------- the run
@dataclass
class Cell:
    """One side of one workload at one N: every call's seconds, round trips."""

    seconds: List[float] = field(default_factory=list)
    roundtrips: List[float] = field(default_factory=list)

    def median(self) -> float:
        return statistics.median(self.seconds)

    def asJson(self) -> Dict[str, Any]:
        qs = statistics.quantiles(self.seconds, n=20) if len(self.seconds) > 1 else [self.seconds[0]] * 19
        return {
            "calls": len(self.seconds),
            "median_us": self.median() * 1e6,
            "p5_us": qs[0] * 1e6,
            "p95_us": qs[-1] * 1e6,
            "roundtrips_per_call": statistics.median(self.roundtrips) if self.roundtrips else None,
        }


@dataclass
class SizeResult:
    n: int
    rounds: int
    calls: int
    matches: Tuple[int, int]  # fewest and most matches of a range
    loadSeconds: Dict[str, float]
    cells: Dict[str, Dict[str, Cell]] = field(default_factory=dict)

    def cell(self, key: str, side: str) -> Cell:
        return self.cells.setdefault(key, {}).setdefault(side, Cell())


class ResultMismatch(RuntimeError):
    """Two sides returned different results for the same call: the comparison would be meaningless."""


def check(sides: Sequence[Side], ranges: Sequence[Tuple[int, int]], raw: RawSide, n: int) -> Tuple[int, int]:
    """Every side gives IndexedRedis's result for every range and workload (untimed); the data
    hashes hold the same bytes. Returns the fewest and most matches of a range."""
    irHash = raw.client.hgetall(_irDataKey(1))
    if irHash != raw.storedHash(1):
        raise ResultMismatch(f"N={n}: the raw side's hash differs from IndexedRedis's: {raw.storedHash(1)!r} vs {irHash!r}")
    counts = []
    for lo, hi in ranges:
        for w in WORKLOADS:
            ref = None
            for side in sides:
                fn = side.calls.get(w.key)
                if fn is None:
                    continue
                got = normed(side, w.key, fn(lo, hi))
                if ref is None:
                    ref = got
                    if w.key == "count":
                        counts.append(got)
                    elif len(got) != PAGE:
                        raise ResultMismatch(f"N={n} {w.key} range {lo}..{hi}: {len(got)} rows, not {PAGE}")
                elif got != ref:
                    raise ResultMismatch(
                        f"N={n} {w.key} range {lo}..{hi}: {side.label} differs from {IR}: {got!r:.300} vs {ref!r:.300}"
                    )
    return min(counts), max(counts)


def _irDataKey(pk: int) -> bytes:
    from IndexedRedis.schema import getSchema

    schema = getSchema(Product)
    return schema.layoutFor(schema.knownGeneration(schema.client())).data(pk)


def timeRounds(
    sides: Sequence[Side], ranges: Sequence[Tuple[int, int]], rounds: int, counter: RoundTripCounter, res: SizeResult
) -> None:
    """``rounds`` rounds; per round, each workload on each side (rotated order), each range one timed call."""
    perf = time.perf_counter
    for r in range(rounds):
        t0 = perf()
        for w in WORKLOADS:
            present = [s for s in sides if w.key in s.calls]
            k = r % len(present)
            for side in present[k:] + present[:k]:
                fn = side.calls[w.key]
                cell = res.cell(w.key, side.label)
                gc.collect()
                gc.freeze()  # the harness's data (the columns) is left out of collections while timing
                try:
                    before = counter.count
                    for lo, hi in ranges:
                        start = perf()
                        fn(lo, hi)
                        cell.seconds.append(perf() - start)
                    cell.roundtrips.append((counter.count - before) / len(ranges))
                finally:
                    gc.unfreeze()
                if not side.redis:
                    cell.roundtrips.clear()
        log(f"  N={res.n:,} round {r + 1}/{rounds} done in {perf() - t0:.1f} s")


def wipe(client: redis.Redis, raw: RawSide, owned: bool) -> None:
    """Empty both Redis datasets: FLUSHDB only on the server this run started; else only our own keys."""
    if owned:
        client.flushdb()
    raw.wipe()
    Product.deleter.destroyModel()


def runSize(
    n: int,
    rounds: int,
    calls: int,
    ir: IrSide,
    raw: RawSide,
    sql: Sequence[SqlSide],
    client: redis.Redis,
    owned: bool,
    counter: RoundTripCounter,
    explain: bool,
) -> SizeResult:
    cols = makeColumns(n, SEED + n)
    ranges = makeRanges(calls, SEED * 31 + n)
    loads: Dict[str, float] = {}
    wipe(client, raw, owned)
    for label, load in [(IR, ir.load), ("raw", raw.load)] + [(s.label, s.load) for s in sql]:
        t0 = time.perf_counter()
        load(cols)
        loads[label] = time.perf_counter() - t0
        log(f"  {label}: {n:,} rows loaded in {loads[label]:.1f} s")
    del cols
    sides = buildSides(ir, raw, sql)
    matches = check(sides, ranges, raw, n)
    log(f"  results agree on all {len(ranges)} ranges ({matches[0]:,}..{matches[1]:,} matches each)")
    if explain:
        for s in sql:
            log(f"  {s.label} plan of page 50:\n{s.explain(*ranges[0])}")
    res = SizeResult(n, rounds, calls, matches, loads)
    timeRounds(sides, ranges, rounds, counter, res)
    return res


# ---------------------------------------------------------------------------- output
def _us(seconds: float) -> str:
    us = seconds * 1e6
    return f"{us:,.0f}" if us >= 100 else f"{us:.1f}"


def rawBest(res: SizeResult, key: str) -> Tuple[str, Cell]:
    cands = [(label, c) for label, c in res.cells[key].items() if label.startswith("raw ")]
    return min(cands, key=lambda lc: lc[1].median())


def table(results: Sequence[SizeResult], sqlLabels: Sequence[str], header: str) -> str:
    sqlShort = [label.split()[0] for label in sqlLabels]
    head = f"{'N':>9}  {'workload':<20} {'IndexedRedis':>12} {'raw':>8} {'raw/IR':>7}"
    for short in sqlShort:
        head += f" {short:>10} {('PG' if short == 'PostgreSQL' else short) + '/IR':>9}"
    head += f"  {'RT IR':>5}  raw variant"
    lines = [
        "Sorted index reads: filter(price__range=(lo, hi)).order_by('-price')[a:b].all() and .count(),",
        "median microseconds per call (ratios > 1: IndexedRedis is faster)",
        header,
        "",
        head,
    ]
    for res in results:
        for w in WORKLOADS:
            ir = res.cells[w.key][IR].median()
            label, rc = rawBest(res, w.key)
            line = f"{res.n:>9,}  {w.label:<20} {_us(ir):>12} {_us(rc.median()):>8} {rc.median() / ir:>6.2f}x"
            for sl in sqlLabels:
                s = res.cells[w.key][sl].median()
                line += f" {_us(s):>10} {s / ir:>8.2f}x"
            rt = statistics.median(res.cells[w.key][IR].roundtrips)
            line += f"  {rt:>5.0f}  {label[4:]} ({statistics.median(rc.roundtrips):.0f} RT)"
            lines.append(line)
        lines.append("")
    if len(results) > 1:
        first, last = results[0], results[-1]
        lines.append(f"Median time per call at N = {last.n:,} / at N = {first.n:,}:")
        for w in WORKLOADS:
            parts = []
            for side in [IR] + [rawBest(last, w.key)[0]] + list(sqlLabels):
                if side in last.cells[w.key] and side in first.cells[w.key]:
                    ratio = last.cells[w.key][side].median() / first.cells[w.key][side].median()
                    parts.append(f"{side.split()[0] if side in sqlLabels else side} {ratio:.2f}")
            lines.append(f"  {w.label:<20} " + ", ".join(parts))
        lines.append("")
    for res in results:
        loads = ", ".join(f"{k} {v:.1f} s" for k, v in res.loadSeconds.items())
        lines.append(
            f"N = {res.n:,}: {res.rounds} rounds x {res.calls} ranges, {res.matches[0]:,}..{res.matches[1]:,} matches per range;"
            f" loading (untimed): {loads}"
        )
    return "\n".join(lines)


# ---------------------------------------------------------------------------- main
def parseArgs(argv: Optional[List[str]]) -> argparse.Namespace:
    ap = argparse.ArgumentParser(
        prog="python -m benchmarks.sorted_pages",
        description="Time a page of a price range ordered by price, and its count: IndexedRedis, raw redis-py, SQL.",
    )
    ap.add_argument("--n", type=int, nargs="+", default=DEFAULT_SIZES, help="dataset sizes (default: 100000 1000000)")
    ap.add_argument("--rounds", type=int, default=DEFAULT_ROUNDS, help=f"rounds per size (default {DEFAULT_ROUNDS})")
    ap.add_argument("--calls", type=int, default=DEFAULT_CALLS, help=f"distinct ranges per round (default {DEFAULT_CALLS})")
    ap.add_argument(
        "--sql",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also time SQLAlchemy on SQLite, and PostgreSQL when DATABASE_URL is set (default: on)",
    )
    ap.add_argument("--explain", action="store_true", help="log the SQL plans of page 50")
    ap.add_argument("--json", metavar="FILE", help="also write every measurement to FILE as JSON")
    args = ap.parse_args(argv)
    if any(n < 20 * (PAGE50_OFFSET + PAGE) for n in args.n):
        ap.error(f"--n: sizes must be at least {20 * (PAGE50_OFFSET + PAGE)} (page 50 of a 10% range must exist)")
    if args.rounds < 1 or args.calls < 2:
        ap.error("--rounds must be at least 1 and --calls at least 2")
    return args


def refuseForeignKeys(client: redis.Redis) -> Optional[str]:
    for pattern in (b"_ir_|" + KEY_NAME.encode() + b":*", RAW_PREFIX + b"*"):
        for _ in client.scan_iter(match=pattern, count=1000):
            return pattern.decode()
    return None


def main(argv: Optional[List[str]] = None) -> int:
    args = parseArgs(argv)
    url, server = redisForRun()
    owned = server is not None
    client = redis.Redis.from_url(url)
    counter = RoundTripCounter().install()
    raw = RawSide(client)
    sql: List[SqlSide] = []
    mayClean = owned
    results: List[SizeResult] = []
    try:
        if not owned:
            busy = refuseForeignKeys(client)
            if busy:
                log(f"REDIS_URL {url} already has keys matching {busy!r}; refusing to delete them. Use an empty database.")
                return 2
            mayClean = True
        setDefaultRedisConnectionParams({"url": url})
        sql = openSqlSides(args.sql)
        version = str(client.info("server")["redis_version"])
        parser = "hiredis" if redis.utils.HIREDIS_AVAILABLE else "python parser"
        header = (
            f"Redis {version}{' (private)' if owned else ''}; redis-py {redis.__version__} ({parser}); Python"
            f" {platform.python_version()}; {os.cpu_count()} CPUs; IndexedRedis at {gitState()}"
            + (f"; SQL: {', '.join(s.label for s in sql)}" if sql else "")
        )
        log(header)
        started = time.perf_counter()
        log("warm-up (untimed) ...")
        runSize(20 * (PAGE50_OFFSET + PAGE), 1, 5, IrSide(), raw, sql, client, owned, counter, False)
        for n in args.n:
            log(f"N = {n:,}: {args.rounds} rounds x {args.calls} ranges")
            results.append(runSize(n, args.rounds, args.calls, IrSide(), raw, sql, client, owned, counter, args.explain))
            if args.json:
                _writeJson(args.json, header, results, args)
        print("\n" + table(results, [s.label for s in sql], header), flush=True)
        log(f"total {time.perf_counter() - started:.0f} s")
        if args.json:
            _writeJson(args.json, header, results, args)
            log(f"JSON written to {args.json}")
    finally:
        try:
            if mayClean:
                raw.wipe()
                Product.deleter.destroyModel()
        except Exception as exc:  # cleanup must not hide the run's own error
            log(f"cleanup failed: {type(exc).__name__}: {exc}")
        for s in sql:
            s.close()
        counter.uninstall()
        client.close()
        clearRedisPools()
        if server is not None:
            server.stop()
    return 0


def _writeJson(path: str, header: str, results: Sequence[SizeResult], args: argparse.Namespace) -> None:
    report = {
        "header": header,
        "argv": {"n": args.n, "rounds": args.rounds, "calls": args.calls, "sql": args.sql},
        "sizes": [
            {
                "n": r.n,
                "rounds": r.rounds,
                "calls": r.calls,
                "matches_min_max": list(r.matches),
                "load_seconds": r.loadSeconds,
                "workloads": {k: {side: c.asJson() for side, c in cells.items()} for k, cells in r.cells.items()},
            }
            for r in results
        ],
    }
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(report, fh, indent=1)


if __name__ == "__main__":
    sys.exit(main())


__all__ = ["Product", "main"]
