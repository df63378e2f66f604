"""The benchmark's rows and the queries every side (IndexedRedis, baseline, SQL, 6.0.3) runs.

No import of IndexedRedis here: the IndexedRedis 6.0.3 side (``v603.py``) imports this module
in its own virtualenv.

Rows are plain dicts of native Python values, generated from a fixed seed so every side and
every round sees the same data and the same queries. Primary keys are 1..N in row order: each
round starts from an empty dataset, and both IndexedRedis and the baseline hand out pks from 1.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any, Dict, List, Sequence, Tuple


Row = Dict[str, Any]

KEY_NAME = "bench:Song"
N_ARTISTS = 100  # filter(artist=...) selects ~1% of the objects
GENRES = [
    "rock", "jazz", "blues", "pop", "soul", "funk", "disco", "punk", "metal", "folk",
    "country", "reggae", "ska", "techno", "house", "ambient", "classical", "opera", "gospel", "latin",
]  # fmt: skip
FIRST_YEAR = 1970
N_YEARS = 50  # filter(genre=..., year=...) selects ~1/20 * 1/50 = 0.1%
TAGS = ["live", "remaster", "demo", "acoustic", "single", "b-side", "radio edit", "explicit", "instrumental", "cover"]
WORDS = (
    "the night was long and the river ran slow under a sky of copper light while a distant train "
    "carried old songs across fields of wheat and silver rain toward the sleeping town by the sea"
).split()

FIELD_NAMES: Tuple[str, ...] = ("artist", "genre", "year", "plays", "price", "tags", "description", "title")
INDEXED: Tuple[str, ...] = ("artist", "genre", "year")


def artistName(i: int) -> str:
    """The name of artist number ``i`` (0 <= i < N_ARTISTS)."""
    return f"Artist {i:03d}"


def _descriptions(rng: random.Random, count: int) -> List[str]:
    out = []
    for _ in range(count):
        words: List[str] = []
        while sum(len(w) + 1 for w in words) < 200:
            words.append(rng.choice(WORDS))
        out.append(" ".join(words)[:200])
    return out


def makeRows(n: int, seed: int) -> List[Row]:
    """``n`` rows of native values; row ``i`` gets pk ``i + 1`` when inserted into an empty dataset."""
    rng = random.Random(seed)
    descriptions = _descriptions(rng, 997)
    rows = []
    for i in range(n):
        rows.append(
            {
                "artist": artistName(rng.randrange(N_ARTISTS)),
                "genre": rng.choice(GENRES),
                "year": FIRST_YEAR + rng.randrange(N_YEARS),
                "plays": rng.randrange(10_000_000),
                "price": rng.randrange(49, 2500) / 100,
                "tags": rng.sample(TAGS, rng.randrange(0, 4)),
                "description": descriptions[rng.randrange(len(descriptions))],
                "title": f"Song number {i} ({seed})",
            }
        )
    return rows


@dataclass
class Queries:
    """The parameters of every workload, fixed per N so each round does the same work."""

    getPks: List[int]  # distinct pks for get(pk)
    multiPks: List[List[int]]  # pk lists for getMultiple
    eqArtists: List[str]  # filter(artist=a).all()
    andPairs: List[Tuple[str, int]]  # filter(genre=g, year=y).all()
    neCases: List[Tuple[str, str]]  # filter(artist=a, genre__ne=g).all()
    countArtists: List[str]  # filter(artist=a).count()
    countPairs: List[Tuple[str, int]]  # filter(genre=g, year=y).count()
    countNeGenres: List[str]  # filter(genre__ne=g).count()
    updatePks: List[int]  # objects fetched, changed and saved as a list
    deleteArtists: List[str]  # filter(artist=a).delete()


def _sample(rng: random.Random, population: Sequence[Any], k: int) -> List[Any]:
    return rng.sample(list(population), min(k, len(population)))


def makeQueries(n: int, seed: int) -> Queries:
    """The workload parameters for a dataset of ``n`` rows."""
    rng = random.Random(seed * 7919 + n)
    pks = range(1, n + 1)
    artists = [artistName(i) for i in range(N_ARTISTS)]
    pairs = [(g, FIRST_YEAR + y) for g in GENRES for y in range(N_YEARS)]
    return Queries(
        getPks=_sample(rng, pks, 2000),
        multiPks=[_sample(rng, pks, 1000) for _ in range(5)],
        eqArtists=_sample(rng, artists, 10),
        andPairs=_sample(rng, pairs, 20),
        neCases=[(a, rng.choice(GENRES)) for a in _sample(rng, artists, 10)],
        countArtists=[rng.choice(artists) for _ in range(200)],
        countPairs=[rng.choice(pairs) for _ in range(200)],
        countNeGenres=[rng.choice(GENRES) for _ in range(50)],
        updatePks=_sample(rng, pks, 2000),
        deleteArtists=_sample(rng, artists, 5),
    )


def byPk(rows: Sequence[Row]) -> List[Row]:
    """Rows sorted by pk (result order differs between sides; contents must not)."""
    return sorted(rows, key=lambda r: r["pk"])


__all__ = [
    "FIELD_NAMES",
    "GENRES",
    "INDEXED",
    "KEY_NAME",
    "Queries",
    "Row",
    "artistName",
    "byPk",
    "makeQueries",
    "makeRows",
]
