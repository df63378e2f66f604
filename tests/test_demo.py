"""The demo runs end to end (on the test server, and once with a server of its own)."""

from __future__ import annotations

import io

from IndexedRedis import demo


def test_demo_on_given_redis(real_db, redis_server_url, monkeypatch):
    monkeypatch.setenv("REDIS_URL", redis_server_url)
    out = io.StringIO()
    assert demo.run(out=out, nSongs=300) == 0
    text = out.getvalue()
    assert "Using the Redis at REDIS_URL" in text and "Demo finished." in text
    assert "MISMATCH" not in text and text.count("; ok]") == 5
    assert text.count("ms SQLAlchemy ORM; ok]") == 5 and "nothing is cached" in text
    assert not list(real_db.scan_iter(match=b"_ir_|IRDemo:*"))  # the demo cleans up after itself


def test_demo_starts_its_own_server(monkeypatch):
    monkeypatch.delenv("REDIS_URL", raising=False)
    out = io.StringIO()
    assert demo.run(out=out, nSongs=200) == 0
    text = out.getvalue()
    assert "started a private redis-server" in text and "Stopped the private redis-server." in text


def test_demo_without_sqlalchemy_says_so(real_db, redis_server_url, monkeypatch):
    import builtins

    realImport = builtins.__import__

    def noSqlalchemy(name, *args, **kwargs):
        if name == "sqlalchemy" or name.startswith("sqlalchemy."):
            raise ImportError(f"No module named {name!r}")
        return realImport(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", noSqlalchemy)
    monkeypatch.setenv("REDIS_URL", redis_server_url)
    out = io.StringIO()
    assert demo.run(out=out, nSongs=120) == 0
    text = out.getvalue()
    assert "SQLAlchemy is not installed" in text and "indexedredis[demo]" in text
    assert text.count("ms sqlite3 rows as objects; ok]") == 5


def test_demo_notices_a_mismatch(real_db, redis_server_url, monkeypatch):
    """The ok/MISMATCH verdict compares values, so it can fail."""
    realSongs = demo.SqlSide.songs

    def oneYearOff(self, where="", params=()):
        rows = realSongs(self, where, params)
        if where and rows:
            rows[0].year += 1
        return rows

    monkeypatch.setattr(demo.SqlSide, "songs", oneYearOff)
    monkeypatch.setenv("REDIS_URL", redis_server_url)
    out = io.StringIO()
    assert demo.run(out=out, nSongs=120) == 1
    assert "MISMATCH with SQL" in out.getvalue()
