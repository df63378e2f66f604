"""The same indexed lookups through the SQLAlchemy 2 ORM, on SQLite and (optionally) PostgreSQL.

The table holds the same rows with the same pks, one B-tree index on each filtered column
(artist, genre, year; no composite index), and is ANALYZEd after loading. Every timed batch
runs in a fresh ``Session``; the pks and filter values within a batch are distinct, so the
identity map never answers a lookup without a query.

PostgreSQL runs only when ``DATABASE_URL`` is set (``postgresql://user@host:port/db``; the
psycopg 3 driver is used when installed, else SQLAlchemy's default). A missing driver or server
skips it with a message. It creates its own table ``irbench_songs_<pid>`` and drops it at the end.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from typing import Any, List, Optional, Sequence, Tuple

from .data import FIELD_NAMES, Row

try:
    from sqlalchemy import JSON, Integer, Numeric, String, Text, create_engine, func, insert, select, text
    from sqlalchemy.engine import Engine
    from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

    HAVE_SQLALCHEMY = True
except ImportError:  # pragma: no cover - the bench extra is not installed
    HAVE_SQLALCHEMY = False


def makeSongRow(tableName: str) -> Any:
    """A mapped class for the songs table named ``tableName`` (own registry, so several can coexist)."""

    class Base(DeclarativeBase):
        pass

    class SongRow(Base):
        __tablename__ = tableName
        id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
        artist: Mapped[str] = mapped_column(String(64), index=True)
        genre: Mapped[str] = mapped_column(String(32), index=True)
        year: Mapped[int] = mapped_column(Integer, index=True)
        plays: Mapped[int] = mapped_column(Integer)
        price: Mapped[float] = mapped_column(Numeric(10, 2, asdecimal=False))
        tags: Mapped[list] = mapped_column(JSON)
        description: Mapped[str] = mapped_column(Text)
        title: Mapped[str] = mapped_column(String(200))

    return SongRow


def rowOfSql(obj: Any) -> Row:
    """An ORM object as a row dict (for comparing results; never timed)."""
    row = {name: getattr(obj, name) for name in FIELD_NAMES}
    row["pk"] = obj.id
    return row


class SqlSide:
    """One SQL database with the songs table; each lookup method is one timed batch."""

    def __init__(self, label: str, engine: Any, tableName: str, tmpDir: Optional[str] = None) -> None:
        self.label = label
        self.engine: Engine = engine
        self.model = makeSongRow(tableName)
        self.tableName = tableName
        self.tmpDir = tmpDir
        self.loadSeconds = 0.0

    def load(self, rows: Sequence[Row]) -> None:
        """Create the table and its indexes, insert the rows with pks 1..N (executemany), ANALYZE. Untimed."""
        t0 = time.perf_counter()
        table = self.model.__table__
        table.drop(self.engine, checkfirst=True)
        table.create(self.engine)
        with Session(self.engine) as s:
            for i in range(0, len(rows), 10_000):
                s.execute(insert(self.model), [{"id": i + j + 1, **row} for j, row in enumerate(rows[i : i + 10_000])])
            s.commit()
        with self.engine.begin() as conn:
            conn.execute(text(f"ANALYZE {self.tableName}"))
        self.loadSeconds = time.perf_counter() - t0

    # ------------------------------------------------------------------ timed lookups
    def get(self, pks: Sequence[int]) -> List[Any]:
        """``session.get(SongRow, pk)`` per pk: one SELECT by primary key each."""
        with Session(self.engine) as s:
            return [s.get(self.model, pk) for pk in pks]

    def filterEq(self, artists: Sequence[str]) -> List[List[Any]]:
        """``select(SongRow).where(artist == a)`` per artist."""
        M = self.model
        with Session(self.engine) as s:
            return [s.scalars(select(M).where(M.artist == a)).all() for a in artists]

    def filterAnd(self, pairs: Sequence[Tuple[str, int]]) -> List[List[Any]]:
        """``select(SongRow).where(genre == g, year == y)`` per pair."""
        M = self.model
        with Session(self.engine) as s:
            return [s.scalars(select(M).where(M.genre == g, M.year == y)).all() for g, y in pairs]

    def filterEqNe(self, cases: Sequence[Tuple[str, str]]) -> List[List[Any]]:
        """``select(SongRow).where(artist == a, genre != g)`` per case."""
        M = self.model
        with Session(self.engine) as s:
            return [s.scalars(select(M).where(M.artist == a, M.genre != g)).all() for a, g in cases]

    def countEq(self, artists: Sequence[str]) -> List[int]:
        """``select(func.count()).where(artist == a)`` per artist."""
        M = self.model
        with Session(self.engine) as s:
            return [int(s.scalar(select(func.count()).select_from(M).where(M.artist == a)) or 0) for a in artists]

    def countAnd(self, pairs: Sequence[Tuple[str, int]]) -> List[int]:
        """``select(func.count()).where(genre == g, year == y)`` per pair."""
        M = self.model
        with Session(self.engine) as s:
            return [int(s.scalar(select(func.count()).select_from(M).where(M.genre == g, M.year == y)) or 0) for g, y in pairs]

    # ------------------------------------------------------------------ cleanup
    def close(self) -> None:
        """Drop the table (PostgreSQL), dispose of the engine, remove the temporary directory (SQLite)."""
        try:
            if self.tmpDir is None:
                self.model.__table__.drop(self.engine, checkfirst=True)
        finally:
            self.engine.dispose()
            if self.tmpDir is not None:
                shutil.rmtree(self.tmpDir, ignore_errors=True)


def openSqlite() -> SqlSide:
    """SQLite in a file in a new temporary directory."""
    tmpDir = tempfile.mkdtemp(prefix="irbench-sqlite-")
    engine = create_engine(f"sqlite:///{os.path.join(tmpDir, 'bench.db')}")
    return SqlSide("SQLite", engine, "songs", tmpDir=tmpDir)


def postgresUrl(url: str) -> str:
    """``postgresql://...`` with the psycopg 3 driver when it is installed."""
    for scheme in ("postgresql://", "postgres://"):
        if url.startswith(scheme):
            try:
                import psycopg  # noqa: F401
            except ImportError:
                return "postgresql://" + url[len(scheme) :]
            return "postgresql+psycopg://" + url[len(scheme) :]
    return url


def openPostgres(url: str) -> Tuple[Optional[SqlSide], str]:
    """(the PostgreSQL side, "") or (None, why it is skipped)."""
    try:
        engine = create_engine(postgresUrl(url))
        with engine.connect() as conn:
            version = conn.execute(text("SHOW server_version")).scalar()
    except Exception as exc:  # driver missing, server down, bad URL: skip, do not fail the run
        return None, f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
    side = SqlSide(f"PostgreSQL {version}", engine, f"irbench_songs_{os.getpid()}")
    return side, ""


def openSqlSides(wantSql: bool, log: Any) -> List[SqlSide]:
    """SQLite always (when SQL is wanted), PostgreSQL when DATABASE_URL is set and reachable."""
    if not wantSql:
        return []
    if not HAVE_SQLALCHEMY:
        log("SQL comparison skipped: sqlalchemy is not installed (pip install sqlalchemy)")
        return []
    sides = [openSqlite()]
    url = os.environ.get("DATABASE_URL")
    if url:
        pg, why = openPostgres(url)
        if pg is None:
            log(f"PostgreSQL skipped ({why})")
        else:
            sides.append(pg)
    return sides


__all__ = ["HAVE_SQLALCHEMY", "SqlSide", "makeSongRow", "openPostgres", "openSqlSides", "openSqlite", "rowOfSql"]
