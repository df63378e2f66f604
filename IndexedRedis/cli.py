"""Command line: ``indexedredis COMMAND ...`` (also ``python -m IndexedRedis COMMAND ...``).

Commands and exit codes are documented in docs/cli.rst; ``indexedredis COMMAND --help`` shows
each command's options. Models are named as ``package.module:ClassName`` (the current directory
is importable). The Redis used is ``--url``, else ``REDIS_URL``, else what the models module
sets: a URL given either way wins over the module's own ``setDefaultRedisConnectionParams`` and
over a model's ``REDIS_CONNECTION_PARAMS``.
"""

from __future__ import annotations

import argparse
import importlib
import os
import shutil
import sys
import time
from typing import IO, Any, Callable, Dict, List, Optional, Tuple, cast

# Exit codes (docs/cli.rst).
EXIT_OK = 0
EXIT_PROBLEMS = 1  # verify found problems; repair left some
EXIT_USAGE = 2  # bad arguments, a module that cannot be imported, a name that is no model
EXIT_NO_REDIS = 3  # Redis cannot be reached
EXIT_FAILED = 4  # the operation failed (bad dump file, invalid model, a value a field refuses...)
EXIT_UNAVAILABLE = 5  # an optional part is missing (SQLAlchemy for reset-from-sql, Model.migrate)
EXIT_INTERRUPTED = 130


class UsageError(Exception):
    """A command line that cannot run (exit code 2)."""


class Unavailable(Exception):
    """An optional dependency or feature is missing (exit code 5)."""


class Failed(Exception):
    """The operation failed; nothing more to add than the message (exit code 4)."""


class NoRedis(Exception):
    """Redis cannot be reached (exit code 3)."""


# ---------------------------------------------------------------------------- progress output
class ProgressPrinter:
    """A progress callable (IndexedRedis.progress) writing to a stream.

    On a terminal: one line redrawn in place (at most 10 times a second) with a bar, the rate and
    the time left. Elsewhere (a log file, a pipe): a plain line every ``every`` seconds and at the end.
    """

    def __init__(
        self, stream: IO[str], tty: Optional[bool] = None, every: float = 5.0, operation: str = "", model: str = ""
    ) -> None:
        self.stream = stream
        self.tty = stream.isatty() if tty is None else tty
        self.every = every if not self.tty else 0.1
        self._last = 0.0
        self._width = 0
        self._started = time.monotonic()
        self._pending: Any = None  # the last report not shown yet
        self._open = False  # a terminal line is drawn and not ended
        self.operation, self.model = operation, model

    def __call__(self, p: Any, total: Any = "-") -> None:
        """Show a Progress; also takes ``(done, total)`` as a plain callback of two numbers would."""
        if total != "-":
            from .progress import Progress

            p = Progress(self.operation, self.model, "working", int(p), total, time.monotonic() - self._started)
        now = time.monotonic()
        if not p.finished and self._last and now - self._last < self.every:
            self._pending = p
            return
        self._last = now
        self._pending = None
        self._show(p)

    def _show(self, p: Any) -> None:
        line = self.line(p)
        if self.tty:
            pad = max(0, self._width - len(line))
            self._width = len(line)
            self.stream.write("\r" + line + " " * pad + ("\n" if p.finished else ""))
            self._open = not p.finished
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def close(self) -> None:
        """Show the last report if it was held back, and end a terminal line left open (for
        callers that give no final report)."""
        if self._pending is not None:
            self._show(self._pending)
            self._pending = None
        if self._open:
            self.stream.write("\n")
            self.stream.flush()
            self._open = False

    def line(self, p: Any) -> str:
        total = f"/{p.total:,}" if p.total is not None else ""
        out = f"{p.operation} {p.model}: {p.phase} {p.done:,}{total}"
        frac = p.fraction
        if frac is not None:
            if self.tty:
                filled = int(frac * 24)
                out += " [" + "#" * filled + "-" * (24 - filled) + "]"
            out += f" {frac * 100:5.1f}%"
        out += f"  {p.rate:,.0f}/s  {_clock(p.elapsed)}"
        if p.finished:
            out += " elapsed"
        elif p.eta is not None:
            out += f" elapsed, ETA {_clock(p.eta)}"
        return out


class TqdmPrinter:
    """A progress callable drawing a tqdm bar per phase (rate and ETA by tqdm): what the CLI
    shows on a terminal when tqdm is installed (``pip install "indexedredis[cli]"``)."""

    def __init__(self, stream: IO[str], operation: str = "", model: str = "") -> None:
        import tqdm

        self._tqdm = tqdm.tqdm
        self.stream = stream
        self.operation, self.model = operation, model
        self._bar: Any = None
        self._phase: Any = None
        self._started = time.monotonic()

    def __call__(self, p: Any, total: Any = "-") -> None:
        if total != "-":
            from .progress import Progress

            p = Progress(self.operation, self.model, "working", int(p), total, time.monotonic() - self._started)
        key = (p.operation, p.model, p.phase if not p.finished else (self._phase[2] if self._phase else p.phase))
        if self._bar is None or key != self._phase or (p.total is not None and self._bar.total != p.total):
            self.close()
            self._phase = key
            # a terminal that reports no size (0 columns: a pty of script or CI) gets 100 columns
            width = shutil.get_terminal_size((100, 24)).columns or 100
            self._bar = self._tqdm(
                total=p.total, desc=f"{p.operation} {p.model}: {key[2]}", unit=" obj", unit_scale=True,
                file=self.stream, ncols=width, mininterval=0.1,
            )  # fmt: skip
        self._bar.n = p.done
        self._bar.refresh()
        if p.finished:
            self.close()

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


def progressPrinter(stream: IO[str], every: float = 5.0, operation: str = "", model: str = "") -> Any:
    """The CLI's progress output for ``stream``: a tqdm bar on a terminal when tqdm is installed,
    else ProgressPrinter (its own bar on a terminal, plain lines every ``every`` seconds elsewhere)."""
    if stream.isatty():
        try:
            return TqdmPrinter(stream, operation, model)
        except ImportError:
            pass
    return ProgressPrinter(stream, every=every, operation=operation, model=model)


def _clock(seconds: float) -> str:
    s = int(seconds + 0.5)
    return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}"


# ---------------------------------------------------------------------------- models and servers
def _import(modName: str) -> Any:
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        return importlib.import_module(modName)
    except ImportError as exc:
        raise UsageError(f"cannot import module {modName!r}: {exc}") from exc


def modelsIn(module: Any) -> List[type]:
    """The IndexedRedisModel classes a module defines or imports, by name."""
    from .model import IndexedRedisModel

    found = {}
    for value in vars(module).values():
        if isinstance(value, type) and issubclass(value, IndexedRedisModel) and value is not IndexedRedisModel:
            if getattr(value, "FIELDS", None) is not None and getattr(value, "KEY_NAME", None):
                found[value.__name__] = value
    return [found[k] for k in sorted(found)]


def _target(spec: str, needModel: bool = True) -> Tuple[Any, List[type]]:
    """``pkg.mod:Model`` -> (module, [Model]); ``pkg.mod`` -> (module, its models) when not needModel."""
    from .model import IndexedRedisModel

    modName, sep, clsName = spec.partition(":")
    if not modName or (sep and not clsName):
        raise UsageError(f"give the model as package.module:ClassName, not {spec!r}")
    if needModel and not sep:
        raise UsageError(f"give the model as package.module:ClassName (for example {spec}:MyModel), not {spec!r}")
    module = _import(modName)
    if not sep:
        models = modelsIn(module)
        if not models:
            raise UsageError(f"module {modName!r} defines no IndexedRedisModel")
        return module, models
    model = getattr(module, clsName, None)
    if not (isinstance(model, type) and issubclass(model, IndexedRedisModel)):
        names = ", ".join(m.__name__ for m in modelsIn(module)) or "none"
        raise UsageError(f"{spec!r} is not an IndexedRedisModel class (models in {modName}: {names})")
    return module, [model]


def _describe(params: Dict[str, Any]) -> str:
    from .connection import _redact

    p = _redact(params)
    if p.get("url"):
        return str(p["url"])
    if p.get("unix_socket_path") or p.get("path"):
        return f"unix://{p.get('unix_socket_path') or p.get('path')}"
    extra = " (fakeredis)" if "server" in p else ""
    return f"redis://{p.get('host', '127.0.0.1')}:{p.get('port', 6379)}/{p.get('db', 0)}{extra}"


class Session:
    """One run of the CLI: where Redis is, how to report, the models bound to that Redis."""

    def __init__(self, args: argparse.Namespace, out: IO[str], err: IO[str]) -> None:
        self.url: Optional[str] = getattr(args, "url", None) or None
        self.source = "--url"
        if not self.url and os.environ.get("REDIS_URL"):
            self.url, self.source = os.environ["REDIS_URL"], "REDIS_URL"
        self.quiet = bool(getattr(args, "quiet", False))
        self.every = float(getattr(args, "progress_every", 5.0) or 5.0)
        self.out, self.err = out, err

    def bind(self, models: List[type]) -> List[type]:
        """The models, bound to the URL given (--url / REDIS_URL) when there is one."""
        if not self.url:
            return models
        from .connection import setDefaultRedisConnectionParams

        setDefaultRedisConnectionParams({"url": self.url})  # for linked models too; restored by main()
        return [cast(Any, m).connectAlt({"url": self.url}) if getattr(m, "REDIS_CONNECTION_PARAMS", None) else m for m in models]

    def server(self, model: type) -> str:
        from .schema import getSchema

        where = _describe(getSchema(model).connectionParams)
        return f"{where} (from {self.source})" if self.url else f"{where} (from the models module)"

    def check(self, model: type, announce: bool = False) -> None:
        """PING the model's Redis (NoRedis when it does not answer); ``announce``: say which server first."""
        import redis

        from .schema import getSchema

        if announce and not self.quiet:
            self.err.write(f"Redis: {self.server(model)}\n")
        try:
            getSchema(model).client().ping()
        except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, OSError) as exc:
            raise NoRedis(f"cannot reach Redis at {self.server(model)}: {exc}") from exc

    def progress(self) -> Any:
        return None if self.quiet else progressPrinter(self.err, every=self.every)

    def say(self, text: str) -> None:
        self.out.write(text + "\n")


# ---------------------------------------------------------------------------- commands
def cmdDemo(s: Session, args: argparse.Namespace) -> int:
    from .demo import run

    return run(nSongs=args.songs)


def cmdModels(s: Session, args: argparse.Namespace) -> int:
    from .schema import getSchema

    _, models = _target(args.module, needModel=False)
    for m in models:
        schema = getSchema(m)
        extras = []
        if schema.indexedNameList:
            extras.append("indexed: " + ", ".join(schema.indexedNameList))
        if schema.sortedFields:
            extras.append("sorted: " + ", ".join(f.name for f, _ in schema.sortedFields))
        if schema.uniqueNames:
            extras.append("unique: " + ", ".join("+".join(c) for c in schema.uniqueNames))
        if schema.expiry:
            extras.append("EXPIRE")
        s.say(
            f"{m.__name__}  KEY_NAME={schema.keyName!r}  {len(schema.fields)} fields"
            + ("; " + "; ".join(extras) if extras else "")
        )
    return EXIT_OK


def _currentGen(client: Any, layout: Any) -> Tuple[int, bool]:
    raw = client.get(layout.genKey)
    if not raw:
        return 0, False
    digits, _, lock = raw.partition(b"L")
    return int(digits or 0), bool(lock)


def _sample(client: Any, keys: List[bytes]) -> int:
    pipe = client.pipeline(transaction=False)
    for k in keys:
        pipe.memory_usage(k, samples=0)
    return sum(int(n or 0) for n in pipe.execute())


def modelStats(model: type, sample: int = 50) -> Dict[str, Any]:
    """Counts and sizes of one model's current generation (reads only; a few round trips).

    ``bytes`` is an estimate: MEMORY USAGE of up to ``sample`` objects and ``sample`` index keys,
    scaled to their counts, plus the exact size of the sorted, unique and expiry keys.
    """
    from .keys import REGISTRY_COMPLETE, REGISTRY_OPEN
    from .schema import getSchema

    schema = getSchema(model)
    client = schema.client()
    gen, locked = _currentGen(client, schema.layout)
    layout = schema.layout.forGen(gen)
    pipe = client.pipeline(transaction=True)
    pipe.scard(layout.keysKey)
    pipe.scard(layout.registryKey)
    pipe.sismember(layout.registryKey, cast(Any, REGISTRY_COMPLETE))
    pipe.sismember(layout.registryKey, cast(Any, REGISTRY_OPEN))
    for f, _ in schema.sortedFields:
        pipe.zcard(layout.sort(f.name))
    for c in schema.uniqueNames:
        pipe.hlen(layout.uniq(list(c)))
    if schema.expiry:
        pipe.zcard(layout.expKey)
    pipe.srandmember(layout.keysKey, sample)
    pipe.srandmember(layout.registryKey, sample + 2)
    replies = pipe.execute()
    objects, registered, complete, isOpen = int(replies[0]), int(replies[1]), bool(replies[2]), bool(replies[3])
    pos = 4
    sortedCounts = {f.name: int(replies[pos + i]) for i, (f, _) in enumerate(schema.sortedFields)}
    pos += len(schema.sortedFields)
    uniqueCounts = {"+".join(c): int(replies[pos + i]) for i, c in enumerate(schema.uniqueNames)}
    pos += len(schema.uniqueNames)
    expiring = int(replies[pos]) if schema.expiry else None
    pos += 1 if schema.expiry else 0
    pkSample, idxSample = replies[pos], [k for k in replies[pos + 1] if k.startswith(layout.idxPrefix)][:sample]
    indexKeys = registered - int(complete) - int(isOpen) if registered else None
    dataBytes = _sample(client, [layout.data(pk) for pk in pkSample]) if pkSample else 0
    estimate = dataBytes * objects / len(pkSample) if pkSample else 0
    if idxSample and indexKeys:
        estimate += _sample(client, idxSample) * indexKeys / len(idxSample)
    extraKeys = [layout.keysKey, layout.registryKey] + [layout.sort(f.name) for f, _ in schema.sortedFields]
    extraKeys += [layout.uniq(list(c)) for c in schema.uniqueNames] + ([layout.expKey] if schema.expiry else [])
    estimate += _sample(client, extraKeys)
    return {
        "model": schema.modelName,
        "keyName": schema.keyName,
        "generation": gen,
        "locked": locked,
        "objects": objects,
        "indexKeys": indexKeys,
        "registryComplete": complete,
        "sorted": sortedCounts,
        "unique": uniqueCounts,
        "expiring": expiring,
        "bytes": int(estimate),
        "sampled": len(pkSample),
        "layout": layout,
    }


def _size(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GiB"  # pragma: no cover


def _largestIndexSets(client: Any, layout: Any, limit: int, scanLimit: int) -> Tuple[List[Tuple[bytes, int]], int]:
    """The ``limit`` largest index sets among the first ``scanLimit`` keys the registry lists."""
    seen: List[bytes] = []
    for key in client.sscan_iter(layout.registryKey, count=1000):
        if key.startswith(layout.idxPrefix):
            seen.append(key)
            if len(seen) >= scanLimit:
                break
    sizes: List[Tuple[bytes, int]] = []
    for i in range(0, len(seen), 1000):
        pipe = client.pipeline(transaction=False)
        for k in seen[i : i + 1000]:
            pipe.scard(k)
        sizes.extend(zip(seen[i : i + 1000], (int(n) for n in pipe.execute())))
    sizes.sort(key=lambda kv: -kv[1])
    return sizes[:limit], len(seen)


def cmdInspect(s: Session, args: argparse.Namespace) -> int:
    from .dumpfile import fieldTypeName
    from .schema import getSchema

    _, models = _target(args.model)
    (model,) = s.bind(models)
    s.check(model)
    schema = getSchema(model)
    st = modelStats(model, args.sample)
    layout = st["layout"]
    s.say(f"Model {schema.modelName} ({model.__module__}), KEY_NAME {schema.keyName!r}")
    s.say(f"  Redis: {s.server(model)}")
    if st["generation"] == 0:
        s.say("  layout: generation 0, the IndexedRedis 6.0.3 key layout (readable by 6.0.3)")
    else:
        s.say(
            f"  layout: generation {st['generation']} (made by reset; keys under {layout.base.decode('utf-8', 'replace')}; "
            "6.0.3 reads generation 0 only)"
        )
    if st["locked"]:
        s.say("  locked: a big operation (reindex, a large delete or save) holds the model's lock now")
    s.say("  fields:")
    width = max(len(f.name) for f in schema.fields)
    unique = {n for c in schema.uniqueNames for n in c}
    for f in schema.fields:
        flags = []
        if f.name in schema.indexedNames:
            flags.append("indexed" + (" (hashIndex)" if getattr(f, "hashIndex", False) else ""))
        if f.name in schema.sortedKinds:
            flags.append("sorted")
        if f.name in unique:
            flags.append("unique")
        if getattr(f, "isForeignLink", False):
            flags.append("link")
        s.say(f"    {f.name.ljust(width)}  {fieldTypeName(f)}" + (f"  [{', '.join(flags)}]" if flags else ""))
    if schema.uniqueNames:
        s.say("  unique constraints: " + ", ".join("+".join(c) for c in schema.uniqueNames))
    if schema.expiry:
        ttl = f"default time to live {schema.defaultTtl:g} s" if schema.defaultTtl else "deadlines set per object"
        s.say(f"  EXPIRE: {ttl}")
    s.say(f"  objects: {st['objects']:,}")
    if st["indexKeys"] is None:
        s.say("  index keys: no key registry yet (6.0.3 data: the first verify or reindex builds it)")
    else:
        s.say(f"  index keys: {st['indexKeys']:,}" + ("" if st["registryComplete"] else " (registry not complete)"))
    for name, n in st["sorted"].items():
        s.say(f"  sorted set {name}: {n:,} entries")
    for name, n in st["unique"].items():
        s.say(f"  unique {name}: {n:,} entries")
    if st["expiring"] is not None:
        s.say(f"  expiring: {st['expiring']:,} objects with a deadline")
    per = ""
    if st["sampled"]:
        per = f"; MEMORY USAGE of {st['sampled']} sampled objects and index keys, scaled"
    s.say(f"  memory: about {_size(st['bytes'])}{per}")
    top, scanned = _largestIndexSets(schema.client(), layout, args.top, args.scan_limit)
    if top:
        more = f" (of the first {scanned:,} listed)" if scanned >= args.scan_limit else ""
        s.say(f"  largest index sets{more}:")
        for key, n in top:
            s.say(f"    {n:>9,}  {key.decode('utf-8', 'backslashreplace')}")
    return EXIT_OK


def cmdStats(s: Session, args: argparse.Namespace) -> int:
    _, models = _target(args.target, needModel=False)
    models = s.bind(models)
    s.check(models[0])
    rows = [("model", "objects", "index keys", "sorted", "unique", "expiring", "bytes (est.)")]
    for m in models:
        st = modelStats(m, args.sample)
        rows.append(
            (
                st["model"] + (f" (gen {st['generation']})" if st["generation"] else ""),
                f"{st['objects']:,}",
                "-" if st["indexKeys"] is None else f"{st['indexKeys']:,}",
                f"{sum(st['sorted'].values()):,}" if st["sorted"] else "-",
                f"{sum(st['unique'].values()):,}" if st["unique"] else "-",
                f"{st['expiring']:,}" if st["expiring"] is not None else "-",
                _size(st["bytes"]),
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for r in rows:
        s.say("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))).rstrip())
    return EXIT_OK


def cmdDump(s: Session, args: argparse.Namespace) -> int:
    from .dumpfile import dumpModel

    _, models = _target(args.model)
    (model,) = s.bind(models)
    s.check(model)
    if args.output and args.output != "-":
        with open(args.output, "w", encoding="utf-8") as out:
            n = dumpModel(model, out, progress=s.progress(), lock=args.lock)
    else:
        n = dumpModel(model, s.out, progress=s.progress(), lock=args.lock)
        s.out.flush()
    if not s.quiet:
        s.err.write(f"dumped {n:,} {model.__name__} objects\n")
    return EXIT_OK


def cmdLoad(s: Session, args: argparse.Namespace) -> int:
    from .dumpfile import loadModel

    _, models = _target(args.model)
    (model,) = s.bind(models)
    s.check(model, announce=True)
    if args.input and args.input != "-":
        with open(args.input, encoding="utf-8") as inp:
            n = loadModel(model, inp, mode=args.mode, progress=s.progress(), anyModel=args.any_model)
    else:
        n = loadModel(model, sys.stdin, mode=args.mode, progress=s.progress(), anyModel=args.any_model)
    if not s.quiet:
        how = "replaced the dataset (reset)" if args.mode == "reset" else "saved as new objects"
        s.err.write(f"loaded {n:,} {model.__name__} objects: {how}\n")
    return EXIT_OK


def cmdVerify(s: Session, args: argparse.Namespace) -> int:
    _, models = _target(args.model)
    (model,) = s.bind(models)
    s.check(model, announce=args.command == "repair")
    if args.command == "verify":
        report = model.objects.verify(deep=args.deep, progress=s.progress())  # type: ignore[attr-defined]
    else:
        report = model.objects.repair(deep=args.deep, progress=s.progress())  # type: ignore[attr-defined]
    s.say(str(report))
    return EXIT_OK if report.ok else EXIT_PROBLEMS


def cmdReindex(s: Session, args: argparse.Namespace) -> int:
    _, models = _target(args.model)
    (model,) = s.bind(models)
    s.check(model, announce=True)
    n = model.objects.reindex(progress=s.progress())  # type: ignore[attr-defined]
    s.say(f"{model.__name__}: rebuilt {n:,} index sets")
    return EXIT_OK


def cmdPurge(s: Session, args: argparse.Namespace) -> int:
    from .schema import getSchema

    _, models = _target(args.model)
    (model,) = s.bind(models)
    if not getSchema(model).expiry:
        raise UsageError(f"model {model.__name__} has no EXPIRE: nothing expires")
    s.check(model, announce=True)
    n = model.objects.purgeExpired(limit=args.limit)  # type: ignore[attr-defined]
    s.say(f"{model.__name__}: purged {n:,} expired objects")
    return EXIT_OK


def _mapping(schema: Any, specs: List[str]) -> Dict[str, str]:
    out: Dict[str, str] = {}
    for spec in specs:
        name, sep, column = spec.partition("=")
        if not sep or not name or not column:
            raise UsageError(f"--map takes FIELD=COLUMN, not {spec!r}")
        if name not in schema.fieldsByName:
            raise UsageError(
                f"--map {spec}: model {schema.modelName} has no field {name!r} (fields: {', '.join(schema.fieldNames)})"
            )
        out[name] = column
    return out


def sqlRows(sqlUrl: str, query: str, batch: int = 1000) -> Any:
    """Rows of a SQL query as mappings, streamed (SQLAlchemy Core; server-side cursor where the
    driver has one)."""
    try:
        import sqlalchemy
    except ImportError as exc:
        raise Unavailable("reset-from-sql needs SQLAlchemy: pip install 'indexedredis[sql]'") from exc
    engine = sqlalchemy.create_engine(sqlUrl)
    try:
        with engine.connect() as conn:
            result = conn.execution_options(stream_results=True, yield_per=batch).execute(sqlalchemy.text(query))
            for row in result:
                yield row._mapping
    finally:
        engine.dispose()


def cmdResetFromSql(s: Session, args: argparse.Namespace) -> int:
    from .schema import getSchema

    _, models = _target(args.model)
    (model,) = s.bind(models)
    schema = getSchema(model)
    mapping = _mapping(schema, args.map or [])
    try:
        import sqlalchemy
        import sqlalchemy.exc
    except ImportError:
        raise Unavailable("reset-from-sql needs SQLAlchemy: pip install 'indexedredis[sql]'") from None
    s.check(model, announce=True)
    state: Dict[str, Any] = {}

    def objects() -> Any:
        for row in sqlRows(args.sql_url, args.query):
            plan = state.get("plan")
            if plan is None:
                columns = set(row.keys())
                fields = dict(mapping)
                for name in schema.fieldNames:
                    if name not in fields and name in columns:
                        fields[name] = name
                missing = sorted(c for c in fields.values() if c not in columns)
                if missing:
                    raise UsageError(
                        f"the query gives no column(s) {', '.join(missing)} (its columns: {', '.join(sorted(columns))})"
                    )
                if not fields:
                    raise UsageError(
                        f"no column of the query is named as a field of {schema.modelName} ({', '.join(schema.fieldNames)}); "
                        "give --map FIELD=COLUMN"
                    )
                if args.pk_column and args.pk_column not in columns:
                    raise UsageError(f"--pk-column {args.pk_column!r}: the query has no such column")
                plan = state["plan"] = list(fields.items())
            kwargs = {name: row[column] for name, column in plan}
            if args.pk_column:
                kwargs["_id"] = row[args.pk_column]
            yield model(**kwargs)

    try:
        pks = model.reset(objects(), progress=s.progress())  # type: ignore[attr-defined]
    except sqlalchemy.exc.SQLAlchemyError as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise Failed(f"the SQL query failed, {model.__name__} is unchanged: {first}") from exc
    s.say(f"{model.__name__}: reset to {len(pks):,} objects from SQL")
    return EXIT_OK


def cmdMigrate(s: Session, args: argparse.Namespace) -> int:
    _, models = _target(args.model)
    (model,) = s.bind(models)
    migrate = getattr(model, "migrate", None)
    if not callable(migrate):
        raise Unavailable(
            "migrate needs Model.migrate, which this IndexedRedis does not have yet; reset the model from its "
            "data (dump, then load) to rebuild it"
        )
    s.check(model, announce=True)
    printer = s.progress()
    if printer is not None:
        printer.operation, printer.model = "migrate", model.__name__
    try:
        result = migrate(progress=printer)
    finally:
        if printer is not None:
            printer.close()
    s.say(f"{model.__name__}: migrated" + (f": {result}" if result is not None else ""))
    return EXIT_OK


# ---------------------------------------------------------------------------- parser
def _common() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(add_help=False)
    g = p.add_argument_group("connection and output")
    g.add_argument(
        "--url",
        default=argparse.SUPPRESS,
        help="Redis URL (redis://host:port/db); wins over REDIS_URL and over the models module's own connection settings",
    )
    g.add_argument(
        "-q", "--quiet", action="store_true", default=argparse.SUPPRESS, help="no progress output and no notes on stderr"
    )
    g.add_argument(
        "--progress-every",
        type=float,
        metavar="SECONDS",
        default=argparse.SUPPRESS,
        help="when stderr is not a terminal, one progress line every SECONDS (default 5)",
    )
    return p


def buildParser() -> argparse.ArgumentParser:
    common = _common()
    parser = argparse.ArgumentParser(
        prog="indexedredis",
        description="Look inside and operate IndexedRedis models. Exit codes: 0 done, 1 problems found, 2 usage, "
        "3 Redis unreachable, 4 operation failed, 5 optional part missing (see docs/cli.rst).",
        parents=[common],
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, text: str, func: Callable[[Session, argparse.Namespace], int], target: str = "model") -> Any:
        p = sub.add_parser(name, help=text, description=text, parents=[common])
        p.set_defaults(func=func)
        if target == "model":
            p.add_argument("model", help="the model class as package.module:ClassName")
        elif target == "module":
            p.add_argument("module", help="a module holding models, as package.module")
        elif target == "either":
            p.add_argument("target", help="package.module (every model in it) or package.module:ClassName")
        return p

    demo = add(
        "demo",
        "load a SQLite table of songs into Redis and query it (starts a private Redis unless REDIS_URL is set)",
        cmdDemo,
        target="",
    )
    demo.add_argument("--songs", type=int, default=3000, help="how many songs to generate (default 3000)")
    add("models", "list the models a module defines (no Redis needed)", cmdModels, target="module")
    p = add(
        "inspect",
        "show a model's fields, indexes, key layout in use, object count, memory and largest index sets",
        cmdInspect,
    )
    p.add_argument("--sample", type=int, default=50, help="objects and index keys MEMORY USAGE samples (default 50)")
    p.add_argument("--top", type=int, default=5, help="how many of the largest index sets to show (default 5)")
    p.add_argument("--scan-limit", type=int, default=100000, help="index keys sized to find the largest (default 100000)")
    p = add(
        "stats", "per model: objects, index keys, sorted/unique/expiring entries, bytes (estimated)", cmdStats, target="either"
    )
    p.add_argument("--sample", type=int, default=50, help="objects and index keys MEMORY USAGE samples per model (default 50)")
    p = add("dump", "write a model's objects as JSON Lines (format in docs/cli.rst) to stdout or --output", cmdDump)
    p.add_argument("-o", "--output", help="file to write (default: stdout)")
    p.add_argument(
        "--lock",
        action="store_true",
        help="read the snapshot holding the model's lock (readers and writers of the model wait until it is read); "
        "without it the dump is read again when a write came in between, and fails after 5 attempts",
    )
    p = add("load", "load a dump (stdin or --input) into a model: --mode reset replaces the dataset atomically", cmdLoad)
    p.add_argument("-i", "--input", help="file to read (default: stdin)")
    p.add_argument(
        "--mode",
        choices=("reset", "save"),
        default="reset",
        help="reset: the dump replaces the dataset in one switch, keeping its pks (default); save: saved as new objects "
        "beside the existing ones, in batches",
    )
    p.add_argument("--any-model", action="store_true", help="accept a dump of a model of another name (fields matched by name)")
    for name, text in (
        ("verify", "report index entries that disagree with stored data, dangling links and leftover generations"),
        ("repair", "fix what verify reports (safe on a live server); says which Redis it uses first"),
    ):
        p = add(name, text, cmdVerify)
        p.add_argument(
            "--deep",
            action="store_true",
            help="also SCAN the whole keyspace for keys of the model that nothing lists (costs what the database holds)",
        )
    add("reindex", "rebuild every index set and sorted set of a model from its stored data", cmdReindex)
    p = add("purge-expired", "remove the objects past their deadline (models with EXPIRE), in bounded steps", cmdPurge)
    p.add_argument("--limit", type=int, default=None, help="remove at most this many")
    p = add(
        "reset-from-sql",
        "replace a model's dataset with the rows of a SQL query (SQLAlchemy: pip install 'indexedredis[sql]')",
        cmdResetFromSql,
    )
    p.add_argument("--sql-url", required=True, help="SQLAlchemy database URL, e.g. sqlite:///app.db or postgresql+psycopg://...")
    p.add_argument("--query", required=True, help="the SELECT giving one row per object")
    p.add_argument(
        "--map",
        action="append",
        metavar="FIELD=COLUMN",
        help="take FIELD from COLUMN (repeatable); fields named as a column are taken from it without --map",
    )
    p.add_argument("--pk-column", help="a column whose value becomes the object's pk (e.g. the SQL id)")
    add("migrate", "rebuild a model after its definition changed, while readers and writers keep working", cmdMigrate)
    return parser


def main(argv: Optional[List[str]] = None, out: Optional[IO[str]] = None, err: Optional[IO[str]] = None) -> int:
    """Run the command line; returns the exit code (documented in docs/cli.rst)."""
    import redis

    from .connection import _explicit_defaults, clearRedisPools, getDefaultRedisConnectionParams, setDefaultRedisConnectionParams
    from .exceptions import IndexedRedisError, RedisOperationError

    out = out if out is not None else sys.stdout
    err = err if err is not None else sys.stderr
    parser = buildParser()
    args = parser.parse_args(argv)
    session = Session(args, out, err)
    hadDefaults, previous = _explicit_defaults, getDefaultRedisConnectionParams()
    try:
        return int(args.func(session, args))
    except UsageError as exc:
        err.write(f"indexedredis {args.command}: {exc}\n")
        return EXIT_USAGE
    except NoRedis as exc:
        err.write(f"indexedredis {args.command}: {exc}\n")
        return EXIT_NO_REDIS
    except Failed as exc:
        err.write(f"indexedredis {args.command}: {exc}\n")
        return EXIT_FAILED
    except Unavailable as exc:
        err.write(f"indexedredis {args.command}: {exc}\n")
        return EXIT_UNAVAILABLE
    except RedisOperationError as exc:
        if isinstance(exc.__cause__, (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)):
            err.write(f"indexedredis {args.command}: lost Redis: {str(exc).splitlines()[0]}\n")
            return EXIT_NO_REDIS
        err.write(f"indexedredis {args.command}: {exc}\n")
        return EXIT_FAILED
    except IndexedRedisError as exc:
        err.write(f"indexedredis {args.command}: {exc}\n")
        return EXIT_FAILED
    except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError) as exc:
        err.write(f"indexedredis {args.command}: lost Redis: {exc}\n")
        return EXIT_NO_REDIS
    except KeyboardInterrupt:
        err.write(f"indexedredis {args.command}: interrupted\n")
        return EXIT_INTERRUPTED
    finally:
        if session.url:
            # main() may run inside a program (tests): put its connection defaults back.
            from . import connection

            if hadDefaults:
                setDefaultRedisConnectionParams(previous)
            else:
                connection._explicit_defaults = False
                connection._DEFAULT_PARAMS = {}
                clearRedisPools()


def run() -> None:
    """The ``indexedredis`` console script."""
    sys.exit(main())


if __name__ == "__main__":  # pragma: no cover
    run()
