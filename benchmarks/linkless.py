"""Reads of a model without links: ``get``, ``all()`` and plain attribute reads, against another commit.

    python -m benchmarks.linkless [--n 20000] [--gets 2000] [--rounds 5] [--against REV] [--declared]

Only models with link fields get the ``__getattribute__`` that resolves link holders; a model
without links keeps ``object.__getattribute__``. This shows it: each side runs in a fresh
subprocess on the same Redis (a private ``redis-server``, or ``REDIS_URL``), saves N objects
of an 8-field model under its own key name, then times

* ``get``: ``Model.objects.get(pk)`` for ``--gets`` pks, one by one (µs per call);
* ``all``: ``Model.objects.all()`` of the N objects (ms, best of 3);
* ``reads``: reading the 8 fields of every fetched object (ns per attribute read, best of 3).

Sides: this tree, and with ``--against REV`` the package as it is at git revision REV
(``git archive REV IndexedRedis`` into a temporary directory, put first on ``PYTHONPATH``).
Each workload also runs on the same model with one link field more (never set), to show what
the link-resolving ``__getattribute__`` costs a model that has links. ``--declared`` adds, for
this tree only, the same 8 fields declared as class attributes (``s0 = IRField(...)``) instead of
a FIELDS list. Rounds rotate the order of the sides; the table gives medians over rounds and
the ratio of this tree to REV.
"""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
import tempfile
import time
from typing import Any, Dict, List, Optional, Tuple

FIELDS = 8


def _worker(url: str, keyName: str, n: int, gets: int, mode: str) -> Dict[str, Any]:
    """Runs in the subprocess of one side: save N objects, time the reads, clean up."""
    import IndexedRedis
    from IndexedRedis import IndexedRedisModel, IRField, setDefaultRedisConnectionParams

    setDefaultRedisConnectionParams({"url": url})
    fields: List[Any] = [IRField(f"s{i}") for i in range(4)] + [IRField(f"i{i}", valueType=int) for i in range(4)]
    if mode == "link":
        from IndexedRedis.fields import IRForeignLinkField

        fields.append(IRForeignLinkField("link", "self"))
    attrs: Dict[str, Any] = {"INDEXED_FIELDS": ["s0"], "KEY_NAME": keyName}
    if mode == "declared":
        attrs.update({str(f): f for f in fields})
    else:
        attrs["FIELDS"] = fields
    Row: Any = type("Row", (IndexedRedisModel,), attrs)
    names = [f"s{i}" for i in range(4)] + [f"i{i}" for i in range(4)]
    Row.deleter.destroyModel()
    try:
        rows = [{**{f"s{i}": f"text {k} {i}" for i in range(4)}, **{f"i{i}": k * 10 + i for i in range(4)}} for k in range(n)]
        Row.saver.save([Row(**row) for row in rows])
        pks = Row.objects.getPrimaryKeys()[:gets]
        Row.objects.all()  # scripts loaded, connection open
        for pk in pks[:50]:
            Row.objects.get(pk)

        gc.collect()
        start = time.perf_counter()
        for pk in pks:
            Row.objects.get(pk)
        getUs = (time.perf_counter() - start) / len(pks) * 1e6

        allMs = []
        objs: Any = None
        for _ in range(3):
            objs = None
            gc.collect()
            start = time.perf_counter()
            objs = Row.objects.all()
            allMs.append((time.perf_counter() - start) * 1e3)

        readNs = []
        for _ in range(3):
            start = time.perf_counter()
            for obj in objs:
                for name in names:
                    getattr(obj, name)
            readNs.append((time.perf_counter() - start) / (len(objs) * len(names)) * 1e9)
        plain = type(objs[0]).__getattribute__ is object.__getattribute__
        return {
            "package": os.path.dirname(os.path.abspath(IndexedRedis.__file__)),
            "plainGetattribute": plain,
            "get": getUs,
            "all": min(allMs),
            "reads": min(readNs),
        }
    finally:
        Row.deleter.destroyModel()


def _runSide(root: str, url: str, keyName: str, n: int, gets: int, mode: str) -> Dict[str, Any]:
    env = dict(os.environ, PYTHONPATH=root)
    cmd = [sys.executable, os.path.abspath(__file__), "--worker", url, keyName, str(n), str(gets), mode]
    out = subprocess.run(cmd, env=env, cwd=tempfile.gettempdir(), capture_output=True, text=True, timeout=900)
    if out.returncode != 0:
        raise RuntimeError(f"side {root} failed:\n{out.stderr}")
    result = json.loads(out.stdout.strip().splitlines()[-1])
    if os.path.realpath(result["package"]) != os.path.realpath(os.path.join(root, "IndexedRedis")):
        raise RuntimeError(f"side {root} imported IndexedRedis from {result['package']}")
    return result


def _checkout(rev: str, into: str) -> str:
    """The ``IndexedRedis`` package at ``rev`` extracted under ``into`` (no change to the repository)."""
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    archive = subprocess.run(["git", "-C", here, "archive", "--format=tar", rev, "IndexedRedis"], capture_output=True, check=True)
    subprocess.run(["tar", "-x", "-C", into], input=archive.stdout, check=True)
    return into


def _median(values: List[float]) -> float:
    s = sorted(values)
    mid = len(s) // 2
    return s[mid] if len(s) % 2 else (s[mid - 1] + s[mid]) / 2


def main(argv: Optional[List[str]] = None) -> int:
    import argparse

    from benchmarks.suite import redisForRun, gitState

    parser = argparse.ArgumentParser(prog="python -m benchmarks.linkless", description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=20000, help="objects saved and read by all() (default 20000)")
    parser.add_argument("--gets", type=int, default=2000, help="single gets timed (default 2000)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--against", metavar="REV", help="git revision to compare with (e.g. the commit before a change)")
    parser.add_argument("--declared", action="store_true", help="also time a model whose fields are class attributes")
    args = parser.parse_args(argv)

    url, server = redisForRun()
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    tmp = tempfile.TemporaryDirectory(prefix="ir-linkless-")
    try:
        sides: List[Tuple[str, str]] = [("this tree", here)]
        if args.against:
            sides.append((f"{args.against}", _checkout(args.against, tmp.name)))
        modes = ["plain", "link"] + (["declared"] if args.declared else [])
        results: Dict[Tuple[str, str], List[Dict[str, Any]]] = {}
        for r in range(args.rounds):
            order = sides[r % len(sides) :] + sides[: r % len(sides)]
            for mode in modes:
                for label, root in order:
                    if mode == "declared" and root != here:
                        continue  # class-attribute declarations are new in this tree
                    key = f"bench:linkless:{mode}:{sides.index((label, root))}"
                    results.setdefault((label, mode), []).append(_runSide(root, url, key, args.n, args.gets, mode))
            print(f"round {r + 1}/{args.rounds} done", file=sys.stderr, flush=True)
        print(f"N = {args.n}, {args.gets} gets, {args.rounds} rounds (medians); Redis at {url}; this tree is {gitState()}")
        header = f"{'model':<22} {'side':<34} {'get µs':>8} {'all() ms':>9} {'read ns':>8}  object.__getattribute__"
        print(header)
        titles = {"plain": "without links", "link": "with one link field", "declared": "declared as attributes"}
        for mode in modes:
            model = titles[mode]
            for label, _root in sides:
                if (label, mode) not in results:
                    continue
                runs = results[(label, mode)]
                med = {k: _median([run[k] for run in runs]) for k in ("get", "all", "reads")}
                plain = all(run["plainGetattribute"] for run in runs)
                print(f"{model:<22} {label:<34} {med['get']:>8.1f} {med['all']:>9.1f} {med['reads']:>8.1f}  {plain}")
            if len(sides) == 2 and mode != "declared":
                ratios = []
                for k in ("get", "all", "reads"):
                    mine = _median([run[k] for run in results[(sides[0][0], mode)]])
                    theirs = _median([run[k] for run in results[(sides[1][0], mode)]])
                    ratios.append(mine / theirs)
                print(f"{model:<22} {'ratio this / ' + sides[1][0]:<34} {ratios[0]:>8.2f} {ratios[1]:>9.2f} {ratios[2]:>8.2f}")
        return 0
    finally:
        tmp.cleanup()
        if server is not None:
            server.stop()


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        url, keyName, n, gets, mode = sys.argv[2:7]
        print(json.dumps(_worker(url, keyName, int(n), int(gets), mode)))
        sys.exit(0)
    sys.exit(main())
