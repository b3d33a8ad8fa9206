"""Publish stage: the catalog (one SQLite file), the only record of what was published."""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from audiobrief.errors import PublishError
from audiobrief.model import EpisodeKind
from audiobrief.publish.records import (
    COLUMNS,
    KINDS,
    PODCAST_GUID_NAMESPACE,
    EpisodeRecord,
    check_kind,
    from_row,
    podcast_guid,
    script_from_json,
    timeline_from_json,
    to_json,
    to_row,
)

__all__ = [
    "KINDS",
    "PODCAST_GUID_NAMESPACE",
    "Catalog",
    "EpisodeRecord",
    "open_catalog",
    "podcast_guid",
    "script_from_json",
    "timeline_from_json",
    "to_json",
]

logger = logging.getLogger(__name__)

SCHEMA_VERSION = 1

_SCHEMA = """
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
_TABLES = frozenset({"channel", "guids", "episodes"})


class Catalog:
    """The published episodes and the channel's stored identity; use `open_catalog`."""

    def __init__(self, connection: sqlite3.Connection, path: Path) -> None:
        self._db = connection
        self.path = path

    def channel_guid(self, feed_url: str) -> str:
        """The feed's podcast:guid: derived from *feed_url* the first time, then kept.

        Stored per feed file name (`feed.xml`, `articles.xml`), so a new base_url keeps it.
        """
        name = "podcast_guid:" + (feed_url.rstrip("/").rsplit("/", 1)[-1] or feed_url)
        with self._transaction():
            row = self._db.execute("SELECT value FROM channel WHERE name = ?", (name,)).fetchone()
            if row is not None:
                return str(row[0])
            value = podcast_guid(feed_url)
            self._db.execute("INSERT INTO channel (name, value) VALUES (?, ?)", (name, value))
        logger.info("assigned podcast:guid %s to %s", value, feed_url)
        return value

    def episode_guid(self, kind: EpisodeKind, key: str) -> str:
        """The item guid of episode (*kind*, *key*): a new UUID4 the first time, then kept."""
        check_kind(kind)
        with self._transaction():
            row = self._db.execute(
                "SELECT guid FROM guids WHERE kind = ? AND key = ?", (kind, key)
            ).fetchone()
            if row is not None:
                return str(row[0])
            guid = str(uuid.uuid4())
            self._db.execute(
                "INSERT INTO guids (kind, key, guid) VALUES (?, ?, ?)", (kind, key, guid)
            )
        return guid

    def upsert(self, record: EpisodeRecord) -> None:
        """Add the episode, or update it in place (same guid), in one transaction.

        The enclosure revision goes up only when the audio changed (its Timeline or
        duration), so an unchanged re-run keeps the enclosure URL.

        Raises:
            PublishError: the guid belongs to another episode, or the MP3 path is taken.
        """
        row = to_row(record)
        with self._transaction():
            mapped = self._db.execute(
                "SELECT guid FROM guids WHERE kind = ? AND key = ?", (record.kind, record.key)
            ).fetchone()
            owner = self._db.execute(
                "SELECT kind, key FROM guids WHERE guid = ?", (record.guid,)
            ).fetchone()
            if (mapped is not None and mapped[0] != record.guid) or (
                owner is not None and tuple(owner) != (record.kind, record.key)
            ):
                raise PublishError(
                    f"guid {record.guid} and {record.kind} {record.key!r} belong to different "
                    "episodes in the catalog; take the guid from Catalog.episode_guid."
                )
            if mapped is None:
                self._db.execute(
                    "INSERT INTO guids (kind, key, guid) VALUES (?, ?, ?)",
                    (record.kind, record.key, record.guid),
                )
            old = self._db.execute(
                "SELECT audio_key, revision FROM episodes WHERE guid = ?", (record.guid,)
            ).fetchone()
            revision = 1 if old is None else old[1] + (old[0] != row["audio_key"])
            columns = [*COLUMNS, "revision"]
            updates = ", ".join(f"{c} = excluded.{c}" for c in columns if c != "guid")
            try:
                self._db.execute(
                    f"INSERT INTO episodes ({', '.join(columns)}) "
                    f"VALUES ({', '.join('?' for _ in columns)}) "
                    f"ON CONFLICT (guid) DO UPDATE SET {updates}",
                    [*(row[c] for c in COLUMNS), revision],
                )
            except sqlite3.IntegrityError as exc:
                raise PublishError(
                    f"{record.mp3} already belongs to another episode; give this one "
                    "another slug so each episode has its own file."
                ) from exc
        logger.debug("catalog: %s %s (revision %d)", record.kind, record.guid, revision)

    def episodes(
        self, kind: EpisodeKind | None = None, *, day: dt.date | None = None
    ) -> list[EpisodeRecord]:
        """Episodes, newest first, optionally of one kind and one day."""
        where: list[str] = []
        args: list[str] = []
        if kind is not None:
            check_kind(kind)
            where.append("kind = ?")
            args.append(kind)
        if day is not None:
            where.append("day = ?")
            args.append(day.isoformat())
        clause = f" WHERE {' AND '.join(where)}" if where else ""
        return self._select(f"{clause} ORDER BY published_us DESC, day DESC, guid", args)

    def get(self, guid: str) -> EpisodeRecord | None:
        """The episode with this guid, or None."""
        found = self._select(" WHERE guid = ?", [guid])
        return found[0] if found else None

    def find(self, kind: EpisodeKind, key: str) -> EpisodeRecord | None:
        """The episode published for (*kind*, *key*), or None."""
        found = self._select(" WHERE kind = ? AND key = ?", [kind, key])
        return found[0] if found else None

    def revision(self, guid: str) -> int:
        """How many times the episode's audio has changed, from 1; 0 if unknown."""
        try:
            query = "SELECT revision FROM episodes WHERE guid = ?"
            row = self._db.execute(query, (guid,)).fetchone()
        except sqlite3.DatabaseError as exc:
            raise self._damaged(exc) from exc
        return int(row[0]) if row else 0

    def close(self) -> None:
        """Close the database; the catalog is unusable afterwards."""
        self._db.close()

    def __enter__(self) -> Catalog:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _select(self, clause: str, args: list[str]) -> list[EpisodeRecord]:
        query = f"SELECT {', '.join(COLUMNS)} FROM episodes{clause}"
        try:
            return [
                from_row(dict(zip(COLUMNS, row, strict=True)))
                for row in self._db.execute(query, args)
            ]
        except sqlite3.DatabaseError as exc:
            raise self._damaged(exc) from exc
        except (ValueError, KeyError, TypeError) as exc:
            raise PublishError(
                f"{self.path} holds an episode it cannot read ({exc}); restore the catalog "
                "from a backup."
            ) from exc

    def _damaged(self, exc: sqlite3.DatabaseError) -> PublishError:
        """A damaged page or row (SQLite finds out when a query reaches it), or a full disk."""
        reason = (str(exc).splitlines() or [type(exc).__name__])[0][:80]
        return PublishError(
            f"cannot use the catalog {self.path} ({reason}); if the disk is full, free some "
            "space; else restore the file from a backup or move it away to start a new one."
        )

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        try:
            self._db.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise PublishError(
                f"{self.path} is busy or read-only ({exc}); wait for the other audiobrief "
                "run to finish, or check the folder's permissions."
            ) from exc
        try:
            yield
            self._db.execute("COMMIT")
        except sqlite3.DatabaseError as exc:
            with contextlib.suppress(sqlite3.Error):
                self._db.execute("ROLLBACK")
            raise self._damaged(exc) from exc
        except BaseException:
            self._db.execute("ROLLBACK")
            raise


def open_catalog(path: Path) -> Catalog:
    """Open the catalog at *path*, creating an empty one (and its folder) if absent.

    Raises:
        PublishError: the file is not a catalog (it is left untouched), was written by
            a newer audiobrief, or cannot be opened.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(path, isolation_level=None, timeout=10.0)
    except (OSError, sqlite3.Error) as exc:
        raise PublishError(
            f"cannot open the catalog {path} ({exc}); check the output folder's permissions."
        ) from exc
    try:
        _prepare(connection, path)
    except sqlite3.DatabaseError as exc:
        connection.close()
        raise PublishError(
            f"{path} is not a valid catalog; restore it from a backup or move it away to "
            "start a new one."
        ) from exc
    except PublishError:
        connection.close()
        raise
    return Catalog(connection, path)


def _prepare(connection: sqlite3.Connection, path: Path) -> None:
    if not _tables(connection) and _version(connection) == 0:
        # One file on disk: the default rollback journal, not WAL (no -wal/-shm files).
        connection.execute("PRAGMA journal_mode = DELETE")
        connection.execute("BEGIN IMMEDIATE")
        try:
            if not _tables(connection):  # another run may have created it meanwhile
                for statement in _SCHEMA.split(";"):
                    if statement.strip():
                        connection.execute(statement)
                connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
                logger.info("created the catalog %s", path)
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        connection.execute("COMMIT")
    version = _version(connection)
    if version > SCHEMA_VERSION:
        raise PublishError(
            f"{path} was written by a newer audiobrief (catalog version {version}); "
            "upgrade audiobrief to use it."
        )
    if version != SCHEMA_VERSION or not _tables(connection) >= _TABLES:
        raise sqlite3.DatabaseError(f"unknown schema (user_version {version})")


def _version(connection: sqlite3.Connection) -> int:
    return int(connection.execute("PRAGMA user_version").fetchone()[0])


def _tables(connection: sqlite3.Connection) -> set[str]:
    rows = connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
    return {str(row[0]) for row in rows}
