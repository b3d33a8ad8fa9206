"""Publish stage: the catalog's SQLite schema, created once and upgraded in place."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

from audiobrief.errors import PublishError

logger = logging.getLogger(__name__)

SCHEMA_VERSION = 4

_VERSION_1 = """
CREATE TABLE channel (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE guids (
    kind TEXT NOT NULL, key TEXT NOT NULL, guid TEXT NOT NULL UNIQUE, PRIMARY KEY (kind, key)
);
CREATE TABLE episodes (
    guid TEXT PRIMARY KEY, kind TEXT NOT NULL, key TEXT NOT NULL, day TEXT NOT NULL,
    published TEXT NOT NULL, published_us INTEGER NOT NULL, title TEXT NOT NULL,
    description TEXT NOT NULL, mp3 TEXT NOT NULL UNIQUE, size_bytes INTEGER NOT NULL,
    duration_ms INTEGER NOT NULL, timeline TEXT NOT NULL, script TEXT NOT NULL,
    files TEXT NOT NULL, url TEXT, author TEXT, outlet TEXT,
    audio_key TEXT NOT NULL, revision INTEGER NOT NULL
);
CREATE INDEX episodes_by_time ON episodes (kind, published_us);
"""
# Version 2: the journal of file moves a commit promised (tmp NULL: delete the path once
# the feeds no longer list it), tombstones of unpublished episodes, and each article as
# it was loaded, which is what the briefing reads.
_VERSION_2 = """
CREATE TABLE pending (path TEXT PRIMARY KEY, tmp TEXT);
CREATE TABLE tombstones (
    kind TEXT NOT NULL, key TEXT NOT NULL, guid TEXT NOT NULL, title TEXT NOT NULL,
    removed TEXT NOT NULL, PRIMARY KEY (kind, key)
);
CREATE TABLE articles (guid TEXT PRIMARY KEY, article TEXT NOT NULL);
"""
# Version 3: what `audiobrief ingest` saw of each article page (keyed by its canonical
# URL), so that a run with nothing new downloads conditionally and synthesizes nothing.
_VERSION_3 = """
CREATE TABLE seen (
    url TEXT PRIMARY KEY, etag TEXT, last_modified TEXT, content_hash TEXT,
    status TEXT NOT NULL, checked TEXT NOT NULL
);
"""
# Version 4: indexes for the lean queries of an incremental publish. Archive pages
# are read in (published_us, guid) order and an episode is found by (kind, key): without
# them each read walks every row, and a publish costs more the longer the archive.
_VERSION_4 = """
CREATE INDEX IF NOT EXISTS episodes_by_order ON episodes (kind, published_us, guid);
CREATE INDEX IF NOT EXISTS episodes_by_key ON episodes (kind, key);
"""
_UPGRADES = {1: _VERSION_1, 2: _VERSION_2, 3: _VERSION_3, 4: _VERSION_4}
TABLES = frozenset({"channel", "guids", "episodes", "pending", "tombstones", "articles", "seen"})


def prepare(connection: sqlite3.Connection, path: Path) -> None:
    """Create the schema in a new file, or bring an older catalog up to SCHEMA_VERSION.

    Raises:
        PublishError: the catalog was written by a newer audiobrief.
        sqlite3.DatabaseError: the file is not a catalog.
    """
    version = _version(connection)
    if version == 0 and _tables(connection):
        raise sqlite3.DatabaseError("tables without a catalog version")
    if version > SCHEMA_VERSION:
        raise PublishError(
            f"{path} was written by a newer audiobrief (catalog version {version}); "
            "upgrade audiobrief to use it."
        )
    if version < SCHEMA_VERSION:
        if version == 0:
            # One file on disk: the default rollback journal, not WAL (no -wal/-shm files).
            connection.execute("PRAGMA journal_mode = DELETE")
        connection.execute("BEGIN IMMEDIATE")
        try:
            current = _version(connection)  # another run may have upgraded it meanwhile
            for step in range(current + 1, SCHEMA_VERSION + 1):
                for statement in _UPGRADES[step].split(";"):
                    if statement.strip():
                        connection.execute(statement)
            connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        connection.execute("COMMIT")
        if current < SCHEMA_VERSION:
            logger.info("catalog %s: version %d -> %d", path, current, SCHEMA_VERSION)
    if not _tables(connection) >= TABLES:
        raise sqlite3.DatabaseError(f"unknown schema (user_version {_version(connection)})")


def _version(connection: sqlite3.Connection) -> int:
    return int(connection.execute("PRAGMA user_version").fetchone()[0])


def _tables(connection: sqlite3.Connection) -> set[str]:
    rows = connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
    return {str(row[0]) for row in rows}
