"""One save.lua call with new objects, whole updates and partial updates mixed (compact argument form)."""

from __future__ import annotations

import pytest

from IndexedRedis import irNull
from tests.models import Song, songs


def test_mixed_batch_writes_every_field_and_index(ir_db):
    first = songs()
    Song.saver.save(first)
    fetched = Song.objects.filter(artist="Björk").allOnlyFields(["title", "year"])  # partial objects
    fetched[0].year = 2001
    whole = Song.objects.get(first[0]._id)
    whole.artist, whole.live = "Nina", True
    new1 = Song(artist="New", title="One", year=2020)
    new2 = Song(artist="Björk", title="Two", year=2001, tags=["x"])
    Song.saver.save([new1, fetched[0], whole, new2])

    assert Song.objects.verify().ok
    assert sorted(o.title for o in Song.objects.filter(year=2001).all()) == sorted([fetched[0].title, "Two"])
    again = Song.objects.get(fetched[0]._id)
    assert again.artist == "Björk" and again.tags == [s for s in first if s._id == again._id][0].tags
    assert Song.objects.get(whole._id).artist == "Nina" and Song.objects.filter(artist="Nina", live=True).count() == 1
    got = Song.objects.get(new1._id)
    assert (got.artist, got.title, got.year, got.track, got.price) == ("New", "One", 2020, 1, irNull)
    assert Song.objects.filter(artist="Björk").count() == 3


def test_update_that_sets_fields_the_batch_has_not_named_yet(ir_db):
    a, b = songs()[:2]
    Song.saver.save([a, b])
    a.title = "only the title"
    b.year, b.tags = 1900, ["a", "b"]
    Song.saver.save([a, b])
    assert Song.objects.get(a._id).title == "only the title"
    got = Song.objects.get(b._id)
    assert (got.year, got.tags) == (1900, ["a", "b"])
    assert Song.objects.filter(year=1900).getPrimaryKeys() == [b._id]
    assert Song.objects.verify().ok


# Every test of this module runs against the sync API and against the asyncio one (conftest.api).
pytestmark = pytest.mark.usefixtures("api")
