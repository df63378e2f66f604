"""The command line (IndexedRedis/cli.py), in process through main(argv) and as a subprocess;
dump/load (IndexedRedis/dumpfile.py); progress callbacks of reset, reindex, verify and repair."""

import io
import json
import math
import os
import sqlite3
import subprocess
import sys
import time

import pytest

from IndexedRedis import cli
from IndexedRedis.cli import ProgressPrinter, main
from IndexedRedis.progress import Progress
from tests.cli_models import CliArtist, CliEvery, CliExpiring, everyValues

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run(*argv):
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def _fill(n=12):
    artist = CliArtist(name="Nina")
    artist.save()
    objs = []
    for i in range(n):
        values = everyValues(i)
        if i % 5:
            values["artist"] = artist
            values["others"] = [artist]
        objs.append(CliEvery(**values))
    CliEvery.reset(objs)
    return artist


def _snapshot(model):
    return {o.getPk(): o.asDict(strKeys=True) for o in model.objects.all()}


def _same(a, b):
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a):
        return math.isnan(b)
    return a == b


def test_help_of_every_command(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    text = capsys.readouterr().out
    commands = ["demo", "models", "inspect", "stats", "dump", "load", "verify", "repair", "reindex"]
    commands += ["purge-expired", "reset-from-sql", "migrate"]
    for name in commands:
        assert name in text
        with pytest.raises(SystemExit) as exc:
            main([name, "--help"])
        assert exc.value.code == 0
        assert "--url" in capsys.readouterr().out


def test_usage_errors_exit_2(real_db):
    assert run("inspect", "tests.cli_models")[0] == cli.EXIT_USAGE  # no :Model
    code, _, err = run("inspect", "tests.no_such_module:X")
    assert code == cli.EXIT_USAGE and "cannot import module 'tests.no_such_module'" in err
    code, _, err = run("dump", "tests.cli_models:Nope")
    assert code == cli.EXIT_USAGE and "CliArtist" in err  # names the models there are
    with pytest.raises(SystemExit) as exc:
        main(["load", "tests.cli_models:CliArtist", "--mode", "other"])
    assert exc.value.code == 2


def test_models_lists_a_module():
    code, out, _ = run("models", "tests.cli_models")
    assert code == 0
    lines = out.splitlines()
    assert [line.split()[0] for line in lines] == ["CliArtist", "CliEvery", "CliExpiring"]
    assert "indexed: text, count, flag, artist; sorted: count; unique: text" in lines[1]
    assert "EXPIRE" in lines[2]


def test_inspect(real_db, redis_server_url):
    _fill()
    code, out, _ = run("inspect", "tests.cli_models:CliEvery", "--url", redis_server_url)
    assert code == 0, out
    assert f"Redis: {redis_server_url} (from --url)" in out
    assert "layout: generation 1 (made by reset" in out
    assert "objects: 12" in out
    fields = {line.split()[0]: " ".join(line.split()[1:]) for line in out.split("fields:\n")[1].split("  unique")[0].splitlines()}
    assert fields["price"] == "IRFixedPointField" and fields["count"] == "IRField(int) [indexed, sorted]"
    assert fields["text"] == "IRField(str) [indexed, unique]" and fields["others"] == "IRForeignMultiLinkField [link]"
    assert len(fields) == len(CliEvery.FIELDS)
    assert "sorted set count: 12 entries" in out and "unique text: 12 entries" in out
    assert "largest index sets:" in out
    top = out.split("largest index sets:")[1].splitlines()[1]
    assert top.split() == ["9", "_ir_|irtest:cli:Every:gen1:idx:artist:1"]  # 9 of the 12 objects link to it
    assert "memory: about " in out
    CliArtist(name="a").save()
    out = run("inspect", "tests.cli_models:CliArtist")[1]
    assert "generation 0, the IndexedRedis 6.0.3 key layout" in out


def test_stats_counts_every_kind_of_entry(real_db):
    _fill(10)
    CliExpiring(name="soon").save(ttl=600)
    CliExpiring(name="never").save()
    code, out, _ = run("stats", "tests.cli_models")
    assert code == 0
    rows = {line.split()[0]: line.split() for line in out.splitlines()[1:]}
    assert out.splitlines()[0].split()[:3] == ["model", "objects", "index"]
    assert rows["CliEvery"][1:7] == [
        "(gen",
        "1)",
        "10",
        str(len(real_db.smembers(b"_ir_|irtest:cli:Every:gen1:idxkeys")) - 2),
        "10",
        "10",
    ]
    assert rows["CliExpiring"][1:5] == ["2", "-", "-", "-"] and rows["CliExpiring"][5] == "1"
    assert rows["CliArtist"][1] == "1"


def test_dump_load_round_trip_of_every_field_type(real_db, tmp_path):
    _fill(12)
    before = _snapshot(CliEvery)
    path = tmp_path / "every.jsonl"
    code, _, err = run("dump", "tests.cli_models:CliEvery", "-o", str(path), "--progress-every", "0")
    assert code == 0 and "dumped 12 CliEvery objects" in err
    lines = path.read_text(encoding="utf-8").splitlines()
    head = json.loads(lines[0])
    assert head["format"] == "indexedredis-dump" and head["version"] == 2 and head["count"] == 12
    assert [f["name"] for f in head["fields"]] == [f.name for f in CliEvery.FIELDS]
    enc = {f["name"]: f["encoding"] for f in head["fields"]}
    assert enc["count"] == "value" and enc["when"] == "text" and enc["blob"] == "base64" and enc["packed"] == "base64"
    rows = [json.loads(line) for line in lines[1:]]
    assert [r["_id"] for r in rows] == sorted(before)
    assert rows[1]["count"] == 999996 and rows[1]["when"] == "2024-01-11 12:30:15.123456" and rows[0]["when"] is None

    CliEvery.objects.delete()
    code, _, err = run("load", "tests.cli_models:CliEvery", "-i", str(path))
    assert code == 0 and "loaded 12 CliEvery objects: replaced the dataset (reset)" in err
    after = _snapshot(CliEvery)
    assert sorted(after) == sorted(before)  # same pks
    for pk, values in before.items():
        for name, value in values.items():
            assert _same(value, after[pk][name]), (pk, name, value, after[pk][name])
    assert CliEvery.objects.filter(count=999996).count() == 1
    assert [o.text for o in CliEvery.objects.filter(artist=CliArtist.objects.first()).all()][:1] == ["t1 é ✓ :*?["]
    assert CliEvery.objects.verify().ok
    # a dump of the loaded data is the same file
    again = tmp_path / "again.jsonl"
    assert run("dump", "tests.cli_models:CliEvery", "-o", str(again), "-q")[0] == 0
    assert again.read_text(encoding="utf-8") == path.read_text(encoding="utf-8")


def test_dump_to_stdout_and_load_in_save_mode(real_db, tmp_path, monkeypatch):
    CliArtist.reset([CliArtist(name=f"a{i}") for i in range(1200)])
    code, out, _ = run("dump", "tests.cli_models:CliArtist", "-q")
    assert code == 0 and len(out.splitlines()) == 1201
    monkeypatch.setattr(sys, "stdin", io.StringIO(out))
    code, _, err = run("load", "tests.cli_models:CliArtist", "--mode", "save")
    assert code == 0 and "loaded 1,200 CliArtist objects: saved as new objects" in err
    assert CliArtist.objects.count() == 2400
    assert CliArtist.objects.filter(name="a7").count() == 2
    assert CliArtist.objects.verify().ok


def test_load_refuses_bad_files_and_leaves_data(real_db, tmp_path):
    CliArtist.reset([CliArtist(name="keep")])
    head = {"format": "indexedredis-dump", "version": 1, "model": "CliArtist", "fields": [{"name": "name", "encoding": "value"}]}
    cases = {
        "version": [dict(head, version=3)],
        "model": [dict(head, model="Other")],
        "field": [dict(head, fields=[{"name": "nope", "encoding": "value"}])],
        "line": [head, {"_id": 1, "name": "ok"}, "not json"],
        "empty": [],
    }
    for what, lines in cases.items():
        path = tmp_path / f"{what}.jsonl"
        path.write_text("\n".join(x if isinstance(x, str) else json.dumps(x) for x in lines), encoding="utf-8")
        code, _, err = run("load", "tests.cli_models:CliArtist", "-i", str(path), "-q")
        assert code == cli.EXIT_FAILED, (what, err)
        assert err.count("\n") == 1 and "CliArtist" in err, err
        assert [o.name for o in CliArtist.objects.all()] == ["keep"], what
    assert "line 3 is not JSON" in run("load", "tests.cli_models:CliArtist", "-i", str(tmp_path / "line.jsonl"))[2]
    code = run("load", "tests.cli_models:CliArtist", "-i", str(tmp_path / "model.jsonl"), "--any-model", "-q")[0]
    assert code == 0 and CliArtist.objects.count() == 0  # a dump without objects, of another model


def test_load_reports_unique_conflict(real_db, tmp_path):
    _fill(6)
    path = tmp_path / "every.jsonl"
    assert run("dump", "tests.cli_models:CliEvery", "-o", str(path), "-q")[0] == 0
    code, _, err = run("load", "tests.cli_models:CliEvery", "-i", str(path), "--mode", "save", "-q")
    assert code == cli.EXIT_FAILED and "text" in err  # the texts are taken: nothing written
    assert CliEvery.objects.count() == 6


def test_verify_repair_reindex(real_db):
    _fill(8)
    real_db.srem(b"_ir_|irtest:cli:Every:gen1:idx:count:999996", b"2")
    code, out, _ = run("verify", "tests.cli_models:CliEvery", "-q")
    assert code == cli.EXIT_PROBLEMS and "missing index entry" in out
    code, out, err = run("repair", "tests.cli_models:CliEvery")
    assert code == 0 and "0 problem(s)" in out
    assert err.startswith("Redis: ") and "(from the models module)" in err.splitlines()[0]
    code, out, _ = run("reindex", "tests.cli_models:CliEvery", "-q")
    assert code == 0 and "CliEvery: rebuilt" in out
    assert run("verify", "tests.cli_models:CliEvery", "-q")[0] == 0


def test_purge_expired(real_db):
    CliExpiring(name="gone").save(ttl=0.05)
    CliExpiring(name="stays").save()
    time.sleep(0.1)
    code, out, _ = run("purge-expired", "tests.cli_models:CliExpiring", "-q")
    assert code == 0 and out.strip() == "CliExpiring: purged 1 expired objects"
    assert real_db.zcard(b"_ir_|irtest:cli:Expiring:exp") == 0
    code, _, err = run("purge-expired", "tests.cli_models:CliArtist", "-q")
    assert code == cli.EXIT_USAGE and "has no EXPIRE" in err


def test_reset_from_sql(real_db, tmp_path):
    pytest.importorskip("sqlalchemy")
    db = tmp_path / "shop.db"
    con = sqlite3.connect(db)
    con.execute("CREATE TABLE artists (id INTEGER PRIMARY KEY, artist_name TEXT, other TEXT)")
    con.executemany("INSERT INTO artists VALUES (?, ?, 'x')", [(100 + i, f"n{i}") for i in range(700)])
    con.commit()
    con.close()
    CliArtist.reset([CliArtist(name="old")])
    url = f"sqlite:///{db}"
    argv = ["reset-from-sql", "tests.cli_models:CliArtist", "--sql-url", url, "--progress-every", "0"]
    code, out, err = run(
        *argv, "--query", "SELECT id, artist_name FROM artists", "--map", "name=artist_name", "--pk-column", "id"
    )
    assert code == 0, err
    assert out.strip() == "CliArtist: reset to 700 objects from SQL"
    assert "reset CliArtist: done 700" in err
    assert sorted(CliArtist.objects.getPrimaryKeys()) == list(range(100, 800))
    assert CliArtist.objects.get(105).name == "n5" and CliArtist.objects.filter(name="old").count() == 0
    code, _, err = run(*argv, "--query", "SELECT id FROM artists", "-q")
    assert code == cli.EXIT_USAGE and "--map FIELD=COLUMN" in err and CliArtist.objects.count() == 700
    code, _, err = run(*argv, "--query", "SELECT id FROM artists", "--map", "nope=id", "-q")
    assert code == cli.EXIT_USAGE and "no field 'nope'" in err
    code, _, err = run(*argv, "--query", "SELECT nothing FROM nowhere", "--map", "name=x", "-q")
    assert code == cli.EXIT_FAILED and err.count("\n") == 1 and "CliArtist is unchanged" in err and "syntax error" in err
    assert CliArtist.objects.count() == 700


def test_migrate_needs_model_migrate(real_db):
    code, out, err = run("migrate", "tests.cli_models:CliArtist", "-q")
    if hasattr(CliArtist, "migrate"):
        assert code == 0 and "CliArtist: migrated" in out
    else:
        assert code == cli.EXIT_UNAVAILABLE and "needs Model.migrate" in err


def test_dead_server_is_one_line_exit_3():
    for argv in (
        ["inspect", "tests.cli_models:CliArtist"],
        ["repair", "tests.cli_models:CliArtist"],
        ["stats", "tests.cli_models"],
    ):
        code, out, err = run(*argv, "--url", "redis://127.0.0.1:1/0", "-q")
        assert code == cli.EXIT_NO_REDIS, argv
        assert out == "" and err.count("\n") == 1 and "cannot reach Redis at redis://127.0.0.1:1/0 (from --url)" in err


def _sub(args, env_url=None, cmd=(sys.executable, "-m", "IndexedRedis")):
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    if env_url:
        env["REDIS_URL"] = env_url
    return subprocess.run([*cmd, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)


def test_url_wins_over_the_modules_own_defaults(real_db, redis_server_url):
    """tests/cli_ownparams.py sets a dead default server at import; --url and REDIS_URL win."""
    real_db.sadd(b"_ir_|irtest:cli:OwnParams:keys", b"1")
    real_db.hset(b"_ir_|irtest:cli:OwnParams:data:1", b"name", b"x")
    got = _sub(["repair", "tests.cli_ownparams:OwnParams", "--url", redis_server_url])
    assert got.returncode == 0, got.stderr
    assert got.stderr.splitlines()[0] == f"Redis: {redis_server_url} (from --url)"
    assert real_db.sismember(b"_ir_|irtest:cli:OwnParams:idx:name:x", b"1")  # repaired there
    got = _sub(["inspect", "tests.cli_ownparams:OwnParams"], env_url=redis_server_url)
    assert got.returncode == 0 and "objects: 1" in got.stdout and "(from REDIS_URL)" in got.stdout
    got = _sub(["stats", "tests.cli_ownparams", "--url", redis_server_url])
    assert got.returncode == 0 and got.stdout.splitlines()[1].split()[:2] == ["OwnParams", "1"], got.stderr
    assert got.stdout.splitlines()[2].split()[:2] == ["OwnServer", "0"]
    got = _sub(["inspect", "tests.cli_ownparams:OwnParams"])
    assert got.returncode == cli.EXIT_NO_REDIS
    assert got.stderr.strip() == (
        "indexedredis inspect: cannot reach Redis at redis://127.0.0.1:1/0 (from the models module): "
        "Error 111 connecting to 127.0.0.1:1. Connection refused."
    )


def test_console_script():
    script = os.path.join(os.path.dirname(sys.executable), "indexedredis")
    if not os.path.exists(script):
        pytest.skip("the package is not installed with its console script")
    got = _sub(["models", "tests.cli_models"], cmd=(script,))
    assert got.returncode == 0 and got.stdout.startswith("CliArtist")


# ---------------------------------------------------------------------------- progress
def _collect():
    seen = []
    return seen, seen.append


def _checkReports(seen, operation, total):
    assert seen and all(isinstance(p, Progress) for p in seen)
    assert {p.operation for p in seen} == {operation}
    assert seen[-1].finished and seen[-1].done == total and seen[-1].total == total
    assert sum(p.finished for p in seen) == 1


def test_reset_progress(real_db):
    seen, cb = _collect()
    CliArtist.reset([CliArtist(name=str(i)) for i in range(1234)], progress=cb)
    _checkReports(seen, "reset", 1234)
    assert [p.done for p in seen if p.phase == "writing"] == [0, 500, 1000, 1234]
    seen.clear()
    CliArtist.objects.reset((CliArtist(name=str(i)) for i in range(600)), progress=cb)  # a generator: no total
    assert [(p.done, p.total) for p in seen] == [(0, None), (500, None), (600, None), (600, None)]
    assert seen[-1].fraction is None and seen[-1].eta is None and seen[-1].rate > 0


def test_reindex_verify_repair_progress(real_db):
    CliArtist.reset([CliArtist(name=str(i % 10)) for i in range(1100)])
    seen, cb = _collect()
    CliArtist.objects.reindex(progress=cb)
    _checkReports(seen, "reindex", 1100)
    assert len(seen) >= 4  # steps of 500
    seen.clear()
    assert CliArtist.objects.verify(progress=cb).ok
    _checkReports(seen, "verify", 1100)
    seen.clear()
    real_db.srem(b"_ir_|irtest:cli:Artist:gen1:idx:name:3", b"4", b"14")
    assert CliArtist.objects.repair(progress=cb).ok
    phases = [p.phase for p in seen]
    assert phases[0] == "checking" and "fixing" in phases and phases[-1] == "done"
    fixing = [p for p in seen if p.phase == "fixing"]
    assert (fixing[0].done, fixing[0].total, fixing[-1].done) == (0, 2, 2)
    with pytest.raises(ValueError, match="progress"):
        CliArtist.objects.reindex(progress="yes")


def test_progress_printer_lines():
    p = Progress("reset", "Song", "writing", 250, 1000, 2.0)
    plain = ProgressPrinter(io.StringIO(), tty=False, every=0)
    assert plain.line(p) == "reset Song: writing 250/1,000  25.0%  125/s  0:00:02 elapsed, ETA 0:00:06"
    term = io.StringIO()
    bar = ProgressPrinter(term, tty=True)
    bar(p)
    bar(Progress("reset", "Song", "done", 1000, 1000, 3.0, finished=True))
    text = term.getvalue()
    assert text.startswith("\rreset Song: writing 250/1,000 [######------------------]  25.0%")
    assert text.endswith("\n") and text.rstrip().endswith(
        "\rreset Song: done 1,000/1,000 [########################] 100.0%  333/s  0:00:03 elapsed"
    )
    quiet = io.StringIO()
    slow = ProgressPrinter(quiet, tty=False, every=60)
    for i in range(5):
        slow(Progress("load", "Song", "saving", i, None, 1.0))
    slow(Progress("load", "Song", "done", 5, None, 1.0, finished=True))
    assert quiet.getvalue().splitlines() == ["load Song: saving 0  0/s  0:00:01", "load Song: done 5  5/s  0:00:01 elapsed"]


def test_progress_printer_takes_done_total_pairs():
    """A callback of two numbers (done, total) is shown too; close() shows what was held back."""
    out = io.StringIO()
    printer = ProgressPrinter(out, tty=False, every=60, operation="migrate", model="Song")
    printer(0, 10)
    printer(5, 10)
    printer(10, 10)
    printer.close()
    lines = out.getvalue().splitlines()
    assert len(lines) == 2 and lines[0].startswith("migrate Song: working 0/10   0.0%")
    assert lines[1].startswith("migrate Song: working 10/10 100.0%")
    term = io.StringIO()
    bar = ProgressPrinter(term, tty=True, operation="migrate", model="Song")
    bar(3, None)
    bar.close()
    assert term.getvalue().startswith("\rmigrate Song: working 3  ") and term.getvalue().endswith("\n")


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def test_terminal_progress_is_a_tqdm_bar_when_tqdm_is_installed(monkeypatch):
    pytest.importorskip("tqdm")
    from IndexedRedis.cli import TqdmPrinter, progressPrinter

    term = _Terminal()
    bar = progressPrinter(term)
    assert isinstance(bar, TqdmPrinter)
    bar(Progress("reset", "Song", "writing", 250, 1000, 2.0))
    bar(Progress("reset", "Song", "writing", 1000, 1000, 3.0))
    bar(Progress("reset", "Song", "done", 1000, 1000, 3.0, finished=True))
    text = term.getvalue()
    assert "reset Song: writing" in text and "1.00k/1.00k" in text and "obj/s" in text
    assert isinstance(progressPrinter(io.StringIO()), ProgressPrinter)  # not a terminal: plain lines
    monkeypatch.setitem(sys.modules, "tqdm", None)  # tqdm not installed: our own bar
    assert isinstance(progressPrinter(_Terminal()), ProgressPrinter)
