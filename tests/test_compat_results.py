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
