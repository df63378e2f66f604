"""Fields declared as class attributes (``year: IRField[int] = IRField(valueType=int)``) fill
FIELDS; 6.x FIELDS lists keep working; bad declarations raise InvalidModelException on first use."""

from __future__ import annotations

import datetime

import pytest

from IndexedRedis import IndexedRedisModel, InvalidModelException, IRField, IRFixedPointField, validatedModels
from IndexedRedis.model import FieldAccessor

from tests.typing import app_ok
from tests.typing.app_ok import LegacySong, LiveSong, Song


def test_declared_attributes_fill_fields_in_order():
    names = [str(f) for f in Song.FIELDS]
    assert names == ["title", "artist", "year", "added", "price", "lyrics", "cover", "note", "raw"]
    assert Song.FIELDS["year"].valueType is int
    assert isinstance(Song.FIELDS["price"], IRFixedPointField) and Song.FIELDS["price"].decimalPlaces == 2
    assert [str(f) for f in LiveSong.FIELDS] == names + ["venue"]
    assert LiveSong.FIELDS["year"] is Song.FIELDS["year"]  # inherited, not copied


def test_declared_model_works_like_a_fields_list_model(ir_db):
    pks = app_ok.addSongs()
    assert len(pks) == 3
    assert sorted(app_ok.titlesBy("Radiohead")) == ["Airbag", "Reckoner"]
    assert app_ok.yearsAfter(1990) == [1997, 2007]
    newest = app_ok.newest()
    assert newest is not None and newest.title == "Reckoner" and app_ok.nextDecade(newest) == 2010
    assert app_ok.priceOf(pks[2]) == 1.99
    song = Song.objects.get(pks[0])
    assert song is not None and app_ok.changes(song) == {"year": 2001}
    song.save()
    assert Song.objects.filter(year=2001).count() == 1
    live = LiveSong(title="Airbag", venue="Bataclan", year="1997")
    assert live.year == 1997
    live.save()
    assert LiveSong.objects.filter(year=1997).all()[0].venue == "Bataclan"


def test_declared_fields_read_from_the_instance_dict():
    """No __get__ on the class attribute, so reading a field stays a plain attribute read."""
    Song.validateModel()
    accessor = Song.__dict__["year"]
    assert type(accessor) is FieldAccessor and not hasattr(type(accessor), "__get__")
    song = Song(year=5)
    assert song.__dict__["year"] == 5 and song.year == 5
    assert not hasattr(IRField, "__get__")


def test_copies_and_alt_connections_of_a_declared_model(ir_db):
    app_ok.addSongs()
    copy = app_ok.independentCopy()
    assert copy.__name__.startswith("Song_Copy") and [str(f) for f in copy.FIELDS] == [str(f) for f in Song.FIELDS]
    assert copy.objects.filter(artist="Kraftwerk").first().title == "Autobahn"
    params = Song.objects._schema.connectionParams
    alt = Song.connectAlt(dict(params))
    assert issubclass(alt, Song) and alt.objects.filter(year=1974).count() == 1


def test_fields_list_models_are_unchanged():
    assert [str(f) for f in LegacySong.FIELDS] == ["title", "year"]
    assert LegacySong(year="3").year == 3


def test_field_name_comes_from_the_attribute_unless_given():
    class Named(IndexedRedisModel):
        KEY_NAME = "irtest:decl:Named"
        a = IRField("a", valueType=int)
        b: IRField[str] = IRField()

    assert [f.name for f in Named.FIELDS] == ["a", "b"]
    assert Named(a=1, b="x").b == "x"


def _firstUseFails(model: type, *words: str) -> None:
    with pytest.raises(InvalidModelException) as info:
        model()
    for word in words:
        assert word in str(info.value)
    with pytest.raises(InvalidModelException):
        model.objects  # noqa: B018 - the query builder validates too


def test_attribute_and_field_name_must_agree():
    class Mismatch(IndexedRedisModel):
        KEY_NAME = "irtest:decl:Mismatch"
        year = IRField("yr", valueType=int)

    _firstUseFails(Mismatch, "Mismatch", "'year'", "'yr'")


def test_annotation_without_a_value_is_refused():
    class NoValue(IndexedRedisModel):
        KEY_NAME = "irtest:decl:NoValue"
        title: IRField[str] = IRField()
        year: IRField[int]

    _firstUseFails(NoValue, "NoValue", "'year'", "IRField(valueType=int)")


def test_fields_list_and_field_attributes_do_not_mix():
    class Mixed(IndexedRedisModel):
        KEY_NAME = "irtest:decl:Mixed"
        FIELDS = [IRField("title")]
        year = IRField(valueType=int)

    _firstUseFails(Mixed, "Mixed", "'year'", "declare fields one way")

    class Listed(IndexedRedisModel):  # a field attribute that is also the FIELDS entry is fine
        KEY_NAME = "irtest:decl:Listed"
        year = IRField("year", valueType=int)
        FIELDS = [IRField("title"), year]

    assert Listed(year="4").year == 4


def test_a_broken_base_fails_its_subclasses():
    class Base(IndexedRedisModel):
        KEY_NAME = "irtest:decl:Base"
        year = IRField("yr")

    class Child(Base):
        KEY_NAME = "irtest:decl:Child"
        title = IRField()

    _firstUseFails(Child, "Child", "base class Base")


def test_revalidation_keeps_declared_fields(ir_db):
    class Again(IndexedRedisModel):
        KEY_NAME = "irtest:decl:Again"
        INDEXED_FIELDS = ["when"]
        when = IRField(valueType=datetime.date)

    Again(when="2024-01-02").save()
    validatedModels.clear()
    assert Again.objects.filter(when=datetime.date(2024, 1, 2)).first().when == datetime.date(2024, 1, 2)


def test_a_plain_annotation_still_declares_the_field():
    from tests.typing.app_errors import PlainAnnotation

    assert [str(f) for f in PlainAnnotation.FIELDS] == ["year"] and PlainAnnotation(year="7").year == 7
