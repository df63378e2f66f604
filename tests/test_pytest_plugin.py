"""The pytest plugin, as a user's project meets it: a test file run by pytest in a fresh directory."""

from __future__ import annotations

import pathlib

import pytest

from IndexedRedis import IndexedRedisModel, IRField, validatedModels
from IndexedRedis.pytest_plugin import IRTestServer
from IndexedRedis.server import findRedisServer, serverVersion

EXAMPLE = pathlib.Path(__file__).resolve().parent.parent / "docs" / "examples" / "test_songs.py"


def _run(pytester, *args):
    # A subprocess: the inner session has its own server and its own IndexedRedis state.
    return pytester.runpytest_subprocess("-p", "no:cacheprovider", *args, timeout=120)


def test_the_documented_example_passes(pytester, monkeypatch):
    monkeypatch.delenv("IR_TEST_REDIS_URL", raising=False)
    pytester.makepyfile(test_songs=EXAMPLE.read_text(encoding="utf-8"))
    result = _run(pytester, "-v")
    result.assert_outcomes(passed=6)
    name, version = serverVersion(findRedisServer())
    result.stdout.fnmatch_lines([f"indexedredis: private test server * ({name} {'.'.join(map(str, version))})"])


def test_a_failing_user_test_fails(pytester):
    pytester.makepyfile(
        test_wrong="""
        from IndexedRedis import IndexedRedisModel, IRField

        class Thing(IndexedRedisModel):
            FIELDS = [IRField("name")]
            INDEXED_FIELDS = ["name"]
            KEY_NAME = "Thing"

        def test_wrong(indexedredis_db):
            Thing(name="a").save()
            assert Thing.objects.filter(name="a").count() == 2
        """
    )
    result = _run(pytester)
    result.assert_outcomes(failed=1)


def test_state_does_not_leak_between_tests(pytester):
    pytester.makepyfile(
        test_leak="""
        from IndexedRedis import IndexedRedisModel, IRField, getDefaultRedisConnectionParams, validatedModels

        class Thing(IndexedRedisModel):
            FIELDS = [IRField("name")]
            INDEXED_FIELDS = ["name"]
            KEY_NAME = "Thing"

        before = getDefaultRedisConnectionParams()

        def test_first(indexedredis_db, indexedredis_url):
            assert getDefaultRedisConnectionParams() == {"url": indexedredis_url}
            Thing.reset([Thing(name="a"), Thing(name="b")])   # moves the model to a new generation
            assert Thing in validatedModels

        def test_second(indexedredis_db):
            assert Thing not in validatedModels
            assert Thing.objects.count() == 0 and indexedredis_db.dbsize() == 0
            Thing(name="c").save()
            assert [t.name for t in Thing.objects.filter(name="c").all()] == ["c"]

        def test_defaults_restored():
            assert getDefaultRedisConnectionParams() == before
        """
    )
    result = _run(pytester)
    result.assert_outcomes(passed=3)


def test_a_missing_server_binary_is_named(pytester, tmp_path):
    pytester.makepyfile(test_x="def test_x(indexedredis_db):\n    pass\n")
    missing = str(tmp_path / "no-such-redis-server")
    result = _run(pytester, "--ir-redis-server", missing)
    assert result.ret != 0
    result.stdout.fnmatch_lines(["*no-such-redis-server*not found*"])


def test_a_non_empty_given_database_stops_the_session(pytester, real_db, redis_server_url):
    real_db.set(b"someone-elses-key", b"1")
    pytester.makepyfile(test_x="def test_x(indexedredis_db):\n    pass\n")
    result = _run(pytester, "--ir-redis-url", redis_server_url)
    assert result.ret == 2
    result.stdout.fnmatch_lines(["*the database is not empty (1 keys)*"])
    assert real_db.get(b"someone-elses-key") == b"1"  # not touched


def test_a_given_database_is_cleaned_key_by_key(pytester, real_db, redis_server_url):
    pytester.makepyfile(
        test_x="""
        def test_writes(indexedredis_db, indexedredis_server):
            assert not indexedredis_server.owned
            indexedredis_db.set(b"k", b"v")

        def test_sees_nothing(indexedredis_db):
            assert indexedredis_db.dbsize() == 0
        """
    )
    result = _run(pytester, "--ir-redis-url", redis_server_url)
    result.assert_outcomes(passed=2)
    assert real_db.dbsize() == 0


def test_the_suite_runs_on_the_plugin(indexedredis_server, real_db):
    assert isinstance(indexedredis_server, IRTestServer)
    assert indexedredis_server.redisVersion >= (6, 2)

    class Local(IndexedRedisModel):
        FIELDS = [IRField("name")]
        INDEXED_FIELDS = ["name"]
        KEY_NAME = "PluginLocal"

    Local(name="x").save()
    assert Local in validatedModels
    assert any(k.startswith(b"_ir_|PluginLocal:") for k in real_db.scan_iter())


@pytest.mark.parametrize("fixture", ["indexedredis_db", "indexedredis_fakeredis"])
def test_fixture_values_are_raw_clients(request, fixture):
    client = request.getfixturevalue(fixture)
    client.set(b"k", "é")
    assert client.get(b"k") == "é".encode()


def test_fakeredis_fixture_serves_the_asyncio_api_too(indexedredis_fakeredis):
    import asyncio

    from IndexedRedis import IndexedRedisModel, IRField, aclose

    class PlugFake(IndexedRedisModel):
        FIELDS = [IRField("name")]
        INDEXED_FIELDS = ["name"]
        KEY_NAME = "PlugFake"

    PlugFake(name="sync").save()

    async def main():
        try:
            await PlugFake(name="awaited").asave()
            return sorted(o.name for o in await PlugFake.objects.aall())
        finally:
            await aclose()

    assert asyncio.run(main()) == ["awaited", "sync"]
    assert any(b"PlugFake" in k and b"awaited" in k for k in indexedredis_fakeredis.scan_iter())
