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
    assert "MISMATCH" not in text and text.count("; ok]") == 4
    assert not list(real_db.scan_iter(match=b"_ir_|IRDemo:*"))  # the demo cleans up after itself


def test_demo_starts_its_own_server(monkeypatch):
    monkeypatch.delenv("REDIS_URL", raising=False)
    out = io.StringIO()
    assert demo.run(out=out, nSongs=200) == 0
    text = out.getvalue()
    assert "started a private redis-server" in text and "Stopped the private redis-server." in text
