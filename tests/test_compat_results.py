"""IRQueryableList as 6.0.3 code uses it: derived lists keep the model, isnull sees irNull, reload values."""

from __future__ import annotations

import copy

import pytest

from IndexedRedis import IRQueryableList, ObjectNotFoundError, irNull
from tests.models import Song, songs


@pytest.fixture
def result(ir_db):
    objs = songs()
    objs[0].title = irNull
    Song.saver.save(objs)
    return Song.objects.all()


def test_derived_lists_keep_the_model_even_when_empty(result):
    derived = {
        "filter": result.filter(year__gt=3000),
        "filterAnd": result.filterAnd(year__gt=3000),
        "filterOr": result.filterOr(year=1, artist="nobody"),
        "customFilter": result.customFilter(lambda o: False),
        "sort_by": result.sort_by("year"),
        "all": result.all(),
        "slice": result[0:0],
        "add": result + result,
        "sub": result - result,
        "and": result & IRQueryableList([]),
        "or": result | result,
        "xor": result ^ result,
        "copy": copy.copy(result),
    }
    for name, lst in derived.items():
        assert isinstance(lst, IRQueryableList), name
        assert lst.getModel() is Song, name
    assert derived["filter"].save() == [] and derived["filter"].delete() == 0
    assert len(result[1:3]) == 2 and isinstance(result[0], Song)


def test_isnull_counts_irnull_as_null(result):
    untitled = result.filter(title__isnull=True)
    assert len(untitled) == 1 and untitled[0].title is irNull
    assert len(result.filter(title__isnull=False)) == len(result) - 1
    assert len(result.filterOr(title__isnull=True, artist="Radiohead")) == 2
    # irNull in the other operators, as the 6.x documentation shows
    assert len(result.filter(title__ne=irNull)) == len(result) - 1
    assert len(result.filter(title=irNull)) == 1


def test_reload_reports_values_as_obj_reload_does(result):
    target = result.filter(artist="Radiohead")[0]
    other = Song.objects.get(target.getPk())
    other.year = 2001
    other.save()
    changes = result.reload()
    assert changes[result.index(target)] == {"year": (2000, 2001)}
    never = IRQueryableList([Song(artist="unsaved")], model=Song).reload()
    assert isinstance(never[0], ObjectNotFoundError) and "never saved" in str(never[0])


def test_comparisons_never_match_unset_values(result):
    # "added" is unset (irNull) on every song; "year" is set on all
    assert result.filter(added__gt=0) == [] and result.filterOr(added__gt=0) == []
    assert result.filter(added__lte=0) == [] and result.filterOr(added__lt=0) == []
    years = sorted(s.year for s in result)
    assert sorted(s.year for s in result.filter(year__gte=1997)) == [y for y in years if y >= 1997]
    assert sorted(s.year for s in result.filter(year__gt=1964, year__lt=1997)) == [y for y in years if 1964 < y < 1997]
    assert sorted(s.year for s in result.filterOr(year__lt=1965, year__gt=1997)) == [y for y in years if y < 1965 or y > 1997]
    unsetYear = Song(artist="no year")
    unsetYear.save()
    mixed = Song.objects.all()
    assert unsetYear.getPk() not in [s.getPk() for s in mixed.filter(year__lt=3000)]
    assert unsetYear.getPk() in [s.getPk() for s in mixed.filterOr(year__lt=0, artist="no year")]
    assert [s.getPk() for s in mixed.filter(year__isnull=True, artist__customMatch=lambda a: a.startswith("no"))] == [
        unsetYear.getPk()
    ]


def test_sort_by_puts_unset_values_first(result):
    unsetYear = Song(artist="no year")
    unsetYear.save()
    mixed = Song.objects.all()
    ordered = mixed.sort_by("year")
    assert ordered[0].getPk() == unsetYear.getPk()
    assert [s.year for s in ordered[1:]] == sorted(s.year for s in result)
    assert mixed.sort_by("year", reverse=True)[-1].getPk() == unsetYear.getPk()
    assert ordered.getModel() is Song and len(mixed.sort_by("added")) == len(mixed)
