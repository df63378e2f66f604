"""An example app in the annotated declaration style, next to a 6.x style model: mypy must
find no error here (tests/typing/test_mypy.py), and tests/test_declared_fields.py runs it."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Dict, List, Optional, Type, Union

from IndexedRedis import IndexedRedisModel, IRClassicField, IRField, IRFixedPointField, IRQueryableList
from IndexedRedis.fields import IRBytesField, IRUnicodeField

if TYPE_CHECKING:
    from typing_extensions import assert_type


class Song(IndexedRedisModel):
    """Fields declared as annotated attributes: FIELDS is filled from them, in this order."""

    KEY_NAME = "irtest:typing:Song"
    INDEXED_FIELDS = ["artist", "year"]
    SORTED_FIELDS = ["year"]

    title: IRField[str] = IRField()
    artist: IRField[str] = IRField()
    year: IRField[int] = IRField(valueType=int)
    added = IRField(valueType=datetime.datetime)  # no annotation: IRField[datetime] from valueType
    price = IRFixedPointField(decimalPlaces=2)
    lyrics = IRUnicodeField(encoding="utf-8")
    cover = IRBytesField()
    note = IRClassicField()
    raw = IRField(valueType=None)


class LiveSong(Song):
    """A subclass adds a field after the inherited ones."""

    venue: IRField[str] = IRField()


class LegacySong(IndexedRedisModel):
    """6.x style: a FIELDS list. Values read as Any, as before."""

    KEY_NAME = "irtest:typing:LegacySong"
    FIELDS = [IRField("title"), IRField("year", valueType=int)]
    INDEXED_FIELDS = ["year"]


def addSongs() -> List[int]:
    songs = [
        Song(title="Airbag", artist="Radiohead", year=1997, added=datetime.datetime(2024, 1, 5), price=1.29),
        Song(title="Reckoner", artist="Radiohead", year=2007, added=datetime.datetime(2024, 1, 12), price=0.99),
        Song(title="Autobahn", artist="Kraftwerk", year=1974, added=datetime.datetime(2024, 2, 1), price=1.99),
    ]
    return Song.saver.save(songs)


def titlesBy(artist: str) -> List[str]:
    return [song.title for song in Song.objects.filter(artist=artist)]


def yearsAfter(year: int) -> List[int]:
    return sorted(song.year for song in Song.objects.all() if song.year > year)


def newest() -> Optional[Song]:
    return Song.objects.order_by("-year").first()


def nextDecade(song: Song) -> int:
    return song.year - song.year % 10 + 10


def addedAfter(text: str) -> IRQueryableList[Song]:
    return Song.objects.all().filter(added__gt=text)


def priceOf(pk: int) -> float:
    song = Song.objects.get(pk)
    if song is None:
        return 0.0
    return song.price


def otherServer(url: str) -> Type[Song]:
    return Song.connectAlt({"url": url})


def independentCopy() -> Type[Song]:
    return Song.copyModel()


def legacyYears() -> List[int]:
    return [s.year for s in LegacySong.objects.all()]


def changes(song: Song) -> Dict[str, object]:
    song.year = "2001"  # assignment converts (str to int), as at run time
    return {name: new for name, (old, new) in song.getUpdatedFields().items()}


if TYPE_CHECKING:
    song = Song()
    assert_type(song.title, str)
    assert_type(song.year, int)
    assert_type(song.added, datetime.datetime)
    assert_type(song.price, float)
    assert_type(song.lyrics, str)
    assert_type(song.cover, bytes)
    assert_type(song.note, str)
    assert_type(song.raw, Union[str, bytes])
    assert_type(LiveSong().venue, str)
    assert_type(LiveSong().year, int)
    assert_type(Song.objects.get(1), Optional[Song])
    assert_type(Song.objects.filter(year=1997).all(), IRQueryableList[Song])
    assert_type(Song.objects.filter(year=1997)[0], Song)
    assert_type(Song.objects.all()[0], Song)
    assert_type(Song.objects.all()[0:2], IRQueryableList[Song])
    assert_type(otherServer("redis://localhost:1/0").objects.first(), Optional[Song])
    assert_type(independentCopy()(), Song)
    assert_type(song.copy(), Song)
    assert_type(LiveSong.objects.first(), Optional[LiveSong])
    assert_type(next(iter(Song.objects.filter(artist="Kraftwerk"))), Song)


class SixStyleSpelling(IndexedRedisModel):
    """valueType given as the type's name, as the run time accepts: the value reads as Any."""

    KEY_NAME = "irtest:typing:Spelling"
    FIELDS = [IRField("name", valueType="str")]
