"""The benchmark's model (``Song``); its rows and queries are in ``rows.py``."""

from __future__ import annotations

from typing import Any

from IndexedRedis import IndexedRedisModel, IRField, IRFixedPointField

from .rows import (
    FIELD_NAMES,
    FIRST_YEAR,
    GENRES,
    INDEXED,
    KEY_NAME,
    N_ARTISTS,
    N_YEARS,
    TAGS,
    Queries,
    Row,
    artistName,
    byPk,
    makeQueries,
    makeRows,
)


class Song(IndexedRedisModel):
    """A realistic model: 8 fields, 3 of them indexed (two strings and an int)."""

    FIELDS = [
        IRField("artist"),
        IRField("genre"),
        IRField("year", valueType=int),
        IRField("plays", valueType=int),
        IRFixedPointField("price", decimalPlaces=2),
        IRField("tags", valueType=list),
        IRField("description"),  # ~200 bytes of text
        IRField("title"),
    ]
    INDEXED_FIELDS = ["artist", "genre", "year"]
    KEY_NAME = KEY_NAME


class CachedSong(Song):
    """``Song`` read through the client-side cache (same keys, ``CACHE = True``)."""

    CACHE = True


def rowOfObject(obj: Any) -> Row:
    """A fetched IndexedRedis object as a row dict with its pk (for comparing results; never timed)."""
    row = {name: obj.__dict__[name] for name in FIELD_NAMES}
    row["pk"] = obj.getPk()
    return row


__all__ = [
    "FIELD_NAMES",
    "FIRST_YEAR",
    "GENRES",
    "INDEXED",
    "KEY_NAME",
    "N_ARTISTS",
    "N_YEARS",
    "TAGS",
    "CachedSong",
    "Queries",
    "Row",
    "Song",
    "artistName",
    "byPk",
    "makeQueries",
    "makeRows",
    "rowOfObject",
]
