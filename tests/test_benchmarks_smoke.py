"""The benchmark runner works end to end at a tiny size (no timing is checked here; see benchmarks/)."""

from __future__ import annotations

import json

from IndexedRedis.connection import getDefaultRedisConnectionParams, setDefaultRedisConnectionParams


def test_suite_runs_and_every_side_agrees(tmp_path, capsys, monkeypatch):
    from benchmarks import suite

    monkeypatch.delenv("REDIS_URL", raising=False)
    previous = getDefaultRedisConnectionParams()
    out = tmp_path / "bench.json"
    try:
        code = suite.main(
            ["--n", "150", "--rounds", "1", "--no-sql", "--no-v6", "--only", "filter_eq", "get", "--json", str(out)]
        )
    finally:
        setDefaultRedisConnectionParams(previous)
    assert code == 0
    text = capsys.readouterr().out
    assert "Lua 1-RT" in text and "IR cached" in text and "Memory per object" in text
    report = json.loads(out.read_text())
    size = report["sizes"][0]
    assert size["memory"]["n"] == 150 and size["memory"]["redisIR"] > 0
    sides = size["workloads"]["filter_eq"]["sides"]
    assert {"IndexedRedis", "baseline", "Lua 1-RT", "IR cached"} <= set(sides)
    # the warm cache answered every timed read 'unchanged': one round trip per call, like the uncached read
    assert sides["IR cached"]["roundtrips_per_call"] == sides["IndexedRedis"]["roundtrips_per_call"] == 1
