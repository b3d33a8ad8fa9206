"""Publish stage: the catalog, the only record of what was published.

One SQLite file in the output folder, or a PostgreSQL schema (catalog_url): the same
statements run on both (see database.py).
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import uuid
from collections.abc import Sequence
from pathlib import Path

from audiobrief.errors import PublishError
from audiobrief.model import EpisodeKind
from audiobrief.publish.database import Database, advice, connect, upsert_sql
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
from audiobrief.publish.schema import SCHEMA_VERSION, prepare
from audiobrief.publish.seen import Seen
from audiobrief.publish.side_tables import SideTables

__all__ = [
    "KINDS",
    "PODCAST_GUID_NAMESPACE",
    "SCHEMA_VERSION",
    "Catalog",
    "EpisodeRecord",
    "Seen",
    "advice",
    "find_catalog",
    "open_catalog",
    "podcast_guid",
    "script_from_json",
    "timeline_from_json",
    "to_json",
]

logger = logging.getLogger(__name__)


class Catalog(SideTables):
    """The published episodes and the channel's stored identity; use `open_catalog`."""

    def channel_guid(self, feed_url: str) -> str:
        """The feed's podcast:guid: derived from *feed_url* the first time, then kept.

        Stored per feed file name (`feed.xml`, `articles.xml`), so a new base_url keeps it.
        """
        name = "podcast_guid:" + (feed_url.rstrip("/").rsplit("/", 1)[-1] or feed_url)
        # Read first: every publish asks, and a kept value needs no write transaction
        # (three round trips fewer on a server).
        if kept := self._query("SELECT value FROM channel WHERE name = ?", name):
            return str(kept[0][0])
        with self._db.transaction():
            row = self._db.execute("SELECT value FROM channel WHERE name = ?", (name,)).fetchone()
            if row is not None:
                return str(row[0])
            value = podcast_guid(feed_url)
            self._db.execute("INSERT INTO channel (name, value) VALUES (?, ?)", (name, value))
        logger.info("assigned podcast:guid %s to %s", value, feed_url)
        return value

    def episode_guid(self, kind: EpisodeKind, key: str, *, keep: bool = True) -> str:
        """The item guid of episode (*kind*, *key*): a new UUID4 the first time, then kept.
        With *keep* False, `upsert` stores a new one with the episode (one transaction
        fewer): for the publisher, whose site lock keeps other runs from giving another."""
        check_kind(kind)
        sql = "SELECT guid FROM guids WHERE kind = ? AND key = ?"
        if kept := self._query(sql, kind, key):  # a re-run: no write transaction
            return str(kept[0][0])
        if not keep:
            return str(uuid.uuid4())
        with self._db.transaction():
            row = self._db.execute(sql, (kind, key)).fetchone()
            if row is not None:
                return str(row[0])
            guid = str(uuid.uuid4())
            self._db.execute(
                "INSERT INTO guids (kind, key, guid) VALUES (?, ?, ?)", (kind, key, guid)
            )
        return guid

    def upsert(
        self,
        record: EpisodeRecord,
        *,
        moves: Sequence[tuple[str, str]] = (),
        drops: Sequence[str] = (),
        article: str | None = None,
    ) -> None:
        """Add the episode, or update it in place (same guid), in one transaction.

        The same transaction journals the file moves (temporary name, final path) that
        put the episode's files in place and the old files to delete once the feeds stop
        listing them (see `pending`), and keeps the loaded *article* (JSON).

        The enclosure revision goes up only when the audio changed (its Timeline or
        duration), so an unchanged re-run keeps the enclosure URL.

        Raises:
            PublishError: the guid belongs to another episode, or the MP3 path is taken.
        """
        row = to_row(record)
        with self._db.transaction():
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
            try:
                self._db.execute(
                    upsert_sql("episodes", [*COLUMNS, "revision"], ["guid"]),
                    [*(row[c] for c in COLUMNS), revision],
                )
            except self._db.integrity as exc:
                raise PublishError(
                    f"{record.mp3} already belongs to another episode; give this one "
                    "another slug so each episode has its own file."
                ) from exc
            if article is not None:
                self._db.execute(
                    upsert_sql("articles", ["guid", "article"], ["guid"]), (record.guid, article)
                )
            self._journal(moves, drops)
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

    def find_all(self, kind: EpisodeKind, keys: Sequence[str]) -> dict[str, EpisodeRecord]:
        """The episodes published for *keys* of *kind*, by key: a query per 500 keys, not
        one per key (a round trip each on a server)."""
        found: dict[str, EpisodeRecord] = {}
        unique = list(dict.fromkeys(keys))
        for first in range(0, len(unique), _KEYS_A_QUERY):
            chunk = unique[first : first + _KEYS_A_QUERY]
            clause = f" WHERE kind = ? AND key IN ({', '.join('?' * len(chunk))})"
            found |= {r.key: r for r in self._select(clause, [kind, *chunk])}
        return found

    def revision(self, guid: str) -> int:
        """How many times the episode's audio has changed, from 1; 0 if unknown."""
        try:
            query = "SELECT revision FROM episodes WHERE guid = ?"
            row = self._db.execute(query, (guid,)).fetchone()
        except self._db.errors as exc:
            raise self._db.failure(exc) from exc
        return int(row[0]) if row else 0

    def remove(self, guid: str, *, removed: str, drops: Sequence[str]) -> EpisodeRecord:
        """Unpublish episode *guid*: its row goes, a tombstone stays, *drops* are journaled.

        The guid mapping is kept, so a republished episode gets its old guid back.
        """
        record = self.get(guid)
        if record is None:
            raise PublishError(f"no episode with guid {guid} in {self.where}.")
        with self._db.transaction():
            self._db.execute("DELETE FROM episodes WHERE guid = ?", (guid,))
            self._db.execute("DELETE FROM articles WHERE guid = ?", (guid,))
            self._db.execute(
                upsert_sql("tombstones", ["kind", "key", "guid", "title", "removed"], _KIND_KEY),
                (record.kind, record.key, guid, record.title, removed),
            )
            self._journal((), drops)
        return record

    def stem_taken(self, stem: str) -> bool:
        """Whether an episode's files are named after *stem* (`stem.mp3`, `stem.vN.mp3`)."""
        # substr, not GLOB or LIKE: the same exact, case-sensitive test in both databases.
        prefix = f"{stem}.v"
        sql = "SELECT mp3 FROM episodes WHERE mp3 = ? OR substr(mp3, 1, ?) = ?"
        rows = self._query(sql, f"{stem}.mp3", len(prefix), prefix)
        versions = re.compile(re.escape(prefix) + r"[0-9].*\.mp3")
        return any(row[0] == f"{stem}.mp3" or versions.fullmatch(str(row[0])) for row in rows)

    def _journal(self, moves: Sequence[tuple[str, str]], drops: Sequence[str]) -> None:
        rows = [(path, tmp) for tmp, path in moves] + [(path, None) for path in drops]
        self._db.executemany(upsert_sql("pending", ["path", "tmp"], ["path"]), rows)

    def rows(self, sql: str, *args: str | int) -> list[tuple[object, ...]]:
        """Run the read-only query *sql* (`?` placeholders): for the listing helpers."""
        return self._query(sql, *args)

    def _select(self, clause: str, args: list[str]) -> list[EpisodeRecord]:
        query = f"SELECT {', '.join(COLUMNS)} FROM episodes{clause}"
        try:
            return [
                from_row(dict(zip(COLUMNS, row, strict=True)))
                for row in self._db.execute(query, args)
            ]
        except self._db.errors as exc:
            raise self._db.failure(exc) from exc
        except (ValueError, KeyError, TypeError) as exc:
            raise PublishError(
                f"{self.where} holds an episode it cannot read ({exc}); restore the catalog "
                "from a backup."
            ) from exc


_KIND_KEY = ("kind", "key")
_KEYS_A_QUERY = 500  # under SQLite's oldest limit of 999 parameters a statement


def open_catalog(target: Path | str) -> Catalog:
    """Open the catalog at *target* (a catalog.sqlite path, or a postgresql:// URL),
    creating an empty one (and its folder) if absent.

    Raises:
        PublishError: it is not a catalog (it is left untouched), was written by a newer
            audiobrief, or cannot be opened (CatalogUnavailable: its server is away).
    """
    return _prepared(connect(target))


def find_catalog(target: Path | str) -> Catalog | None:
    """The catalog at *target* if one was ever made there, else None: creates nothing.

    Raises:
        PublishError: as `open_catalog`.
    """
    if isinstance(target, Path) and (not target.is_file() or target.stat().st_size == 0):
        return None
    db = connect(target)
    try:
        absent = db.version() == 0 and not db.tables()
    except db.errors as exc:
        db.close()
        raise db.unopened(exc) from exc
    if absent:
        db.close()
        return None
    return _prepared(db)


def _prepared(db: Database) -> Catalog:
    try:
        prepare(db)
    except db.errors as exc:
        db.close()
        raise db.unopened(exc) from exc
    except BaseException:
        db.close()
        raise
    return Catalog(db)
