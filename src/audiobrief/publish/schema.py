"""Publish stage: the catalog's schema, created once and upgraded in place (both databases)."""

from __future__ import annotations

import contextlib
import logging

from audiobrief.errors import PublishError
from audiobrief.publish.database import Database

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


def prepare(db: Database) -> None:
    """Create the schema in a new catalog, or bring an older one up to SCHEMA_VERSION.

    Raises:
        PublishError: the catalog was written by a newer audiobrief, or the database
            holds something else (see `Database.foreign`).
        Database.errors: the database cannot be read (SQLite: not a database file).
    """
    version = db.version()
    if version > SCHEMA_VERSION:
        raise PublishError(
            f"{db.where} was written by a newer audiobrief (catalog version {version}); "
            "upgrade audiobrief to use it."
        )
    if version < SCHEMA_VERSION:
        if version == 0:
            db.first_use()
        db.execute(db.begin)
        try:
            db.lock_schema()
            current = db.version()  # another run may have upgraded it meanwhile
            # Asked under the lock: unlocked, another run's first commit could land between
            # reading the version and listing the tables, and its catalog look foreign.
            if current == 0 and db.tables():
                raise db.foreign()
            for step in range(current + 1, SCHEMA_VERSION + 1):
                for statement in _UPGRADES[step].split(";"):
                    if statement.strip():
                        db.execute(db.ddl(statement))
            db.set_version(SCHEMA_VERSION)
        except BaseException:
            with contextlib.suppress(*db.errors):
                db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")
        if current < SCHEMA_VERSION:
            logger.info("catalog %s: version %d -> %d", db.where, current, SCHEMA_VERSION)
    if not db.tables() >= TABLES:
        raise db.foreign()
