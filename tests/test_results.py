"""IRQueryableList: client-side filtering and operations on every object of a result."""

from __future__ import annotations

import pytest

from IndexedRedis import IRQueryableList, ObjectNotFoundError
from tests.models import Song, songs


@pytest.fixture
def result(ir_db):
    Song.saver.save(songs())
    return Song.objects.all()


def test_client_side_filters(result):
    assert isinstance(result, IRQueryableList)
    assert sorted(s.title for s in result.filter(year__gt=1995)) == ["Idioteque", "Jóga"]
    assert sorted(s.title for s in result.filterOr(year__lt=1965, artist="Radiohead")) == ["Idioteque", "Mississippi Goddam"]
    assert sorted(s.title for s in result.filter(artist__in=["Björk"])) == ["Hyperballad", "Jóga"]
    assert [s.title for s in result.filter(tags__contains="electronic").sort_by("year")] == ["Hyperballad", "Idioteque"]
    assert len(result.filter(title__isnull=False)) == 6
    assert [s.year for s in result.sort_by("year", reverse=True)][:2] == [2000, 1997]
    assert result.filter(title__icontains="GOOD")[0].title == "Feeling Good"


def test_getModel_save_delete_reload_refetch(result):
    assert result.getModel() is Song
    bjork = result.filter(artist="Björk")
    for s in bjork:
        s.price = 0.5
    bjork.save()
    assert {s.price for s in Song.objects.filter(artist="Björk").all()} == {0.5}
    titles = [s.title for s in result]
    changedAt, deletedAt = titles.index("Sinnerman"), titles.index("Jóga")
    other = Song.objects.get(result[changedAt].getPk())
    other.title = "changed elsewhere"
    other.save()
    Song.objects.get(result[deletedAt].getPk()).delete()
    changes = result.reload()
    assert changes[changedAt] == {"title": ("Sinnerman", "changed elsewhere")}
    assert result[changedAt].title == "changed elsewhere"
    assert isinstance(changes[deletedAt], ObjectNotFoundError) and isinstance(changes[deletedAt], KeyError)
    assert all(c == {} for i, c in enumerate(changes) if i not in (changedAt, deletedAt))
    fresh = result.refetch()
    assert len(fresh) == 5 and isinstance(fresh, IRQueryableList)
    assert result.filter(artist="Radiohead").delete() == 1
    assert Song.objects.filter(artist="Radiohead").count() == 0


def test_empty_list_operations(ir_db):
    empty = Song.objects.filter(artist="Nobody").all()
    assert empty == [] and empty.save() == [] and empty.delete() == 0 and empty.reload() == []
    assert empty.getModel() is Song
