"""Models shared by the tests (module level, so their objects pickle)."""

from __future__ import annotations

import datetime

from IndexedRedis import IndexedRedisModel, IRField, IRFixedPointField


class Song(IndexedRedisModel):
    FIELDS = [
        IRField("artist"),
        IRField("title"),
        IRField("year", valueType=int),
        IRField("track", valueType=int, defaultValue=1),
        IRFixedPointField("price", decimalPlaces=2),
        IRField("tags", valueType=list),
        IRField("added", valueType=datetime.datetime),
        IRField("live", valueType=bool),
    ]
    INDEXED_FIELDS = ["artist", "year", "live"]
    KEY_NAME = "irtest:Song"


def songs():
    return [
        Song(artist="Nina Simone", title="Sinnerman", year=1965, price=1.29, tags=["jazz"], live=False),
        Song(artist="Nina Simone", title="Feeling Good", year=1965, price=0.99, tags=["soul"], live=False),
        Song(artist="Nina Simone", title="Mississippi Goddam", year=1964, price=1.29, tags=["live"], live=True),
        Song(artist="Björk", title="Jóga", year=1997, price=1.49, tags=[], live=False),
        Song(artist="Björk", title="Hyperballad", year=1995, price=1.49, tags=["electronic"], live=False),
        Song(artist="Radiohead", title="Idioteque", year=2000, price=0.99, tags=["electronic", "live"], live=True),
    ]
