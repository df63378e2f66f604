"""Cascade fetch and save across three different models: one batch per level, counted."""

from __future__ import annotations

import pytest

from tests.conftest import syncInside

from IndexedRedis import IndexedRedisModel, IRField
from IndexedRedis.fields import IRForeignLinkField, IRForeignMultiLinkField


class Country(IndexedRedisModel):
    FIELDS = [IRField("name")]
    KEY_NAME = "irtest:lv:Country"


class City(IndexedRedisModel):
    FIELDS = [IRField("name"), IRForeignLinkField("country", Country)]
    KEY_NAME = "irtest:lv:City"


class Street(IndexedRedisModel):
    FIELDS = [IRField("name"), IRField("kind"), IRForeignLinkField("city", City), IRForeignMultiLinkField("near", City)]
    INDEXED_FIELDS = ["kind"]
    KEY_NAME = "irtest:lv:Street"


def _world(n: int):
    countries = [Country(name=f"country{i}") for i in range(n)]
    cities = [City(name=f"city{i}", country=countries[i]) for i in range(n)]
    streets = [Street(name=f"street{i}", kind="road", city=cities[i], near=cities[:3]) for i in range(n)]
    return countries, cities, streets


def test_cascade_save_of_three_new_levels(real_db, roundtrips):
    Street.objects.count(), City.objects.count(), Country.objects.count()
    Street.saver.save([Street(name="warm", city=City(name="warm", country=Country(name="warm")))])  # scripts loaded
    _, _, streets = _world(300)
    with roundtrips() as rt:
        Street.saver.save(streets)
    # one INCRBY per model to reserve pks, then one save.lua call per model
    assert rt.count == 6, rt.commands
    assert Street.objects.filter(kind="road").count() == 300


def test_cascade_fetch_of_three_levels_is_one_round_trip_per_level(real_db, roundtrips):
    Street.saver.save(_world(300)[2])
    Street.objects.filter(kind="road").all(cascadeFetch=True)  # warm-up: scripts loaded
    with roundtrips() as rt:
        got = Street.objects.filter(kind="road").all(cascadeFetch=True)
    # write counters, streets, their cities, the cities' countries, write counters again
    assert rt.count == 5, rt.commands
    with roundtrips() as rt:
        names = sorted(s.city.country.name for s in got)
        near = [c.name for c in got[0].near]
    assert rt.count == 0  # everything was fetched above
    assert names == sorted(f"country{i}" for i in range(300)) and near == ["city0", "city1", "city2"]


def test_a_write_between_levels_fetches_again_so_all_levels_are_from_one_instant(real_db, monkeypatch):
    import IndexedRedis.foreignfetch as foreignfetch

    Street.saver.save(_world(3)[2])
    real = foreignfetch.cascadeFetchObjects
    calls = {"n": 0}

    def writeDuringFirstCascade(objs):
        calls["n"] += 1
        if calls["n"] == 1:  # the streets are read; rename every city before their level is read
            with syncInside():
                for city in City.objects.all():
                    city.name = city.name + " (renamed)"
                    city.save()
        return real(objs)

    monkeypatch.setattr(foreignfetch, "cascadeFetchObjects", writeDuringFirstCascade)
    got = Street.objects.filter(kind="road").all(cascadeFetch=True)
    assert calls["n"] == 2  # the first read saw a write in between and was done again
    assert all(s.city.name.endswith("(renamed)") for s in got)


def test_reachable_models_follow_links_transitively():
    from IndexedRedis.foreignfetch import reachableModels

    assert reachableModels(Street) == [Street, City, Country]
    assert reachableModels(Country) == [Country]


def test_cascade_fetch_notices_a_destroy_of_data_without_counters(real_db, monkeypatch):
    import IndexedRedis.foreignfetch as foreignfetch

    Street.saver.save(_world(3)[2])
    for key in (b"_ir_|irtest:lv:Street:ver", b"_ir_|irtest:lv:City:ver", b"_ir_|irtest:lv:Country:ver"):
        real_db.delete(key)  # as data written in the 6.0.3 layout
    real = foreignfetch.cascadeFetchObjects
    calls = {"n": 0}

    def destroyDuringFirstCascade(objs):
        calls["n"] += 1
        if calls["n"] == 1:
            with syncInside():
                City.deleter.destroyModel()
        return real(objs)

    monkeypatch.setattr(foreignfetch, "cascadeFetchObjects", destroyDuringFirstCascade)
    got = Street.objects.filter(kind="road").all(cascadeFetch=True)
    assert calls["n"] == 2  # the destroy was noticed and the fetch done again
    assert len(got) == 3


# Every test of this module runs against the sync API and against the asyncio one (conftest.api).
pytestmark = pytest.mark.usefixtures("api")
