"""Publish stage: the catalog (one SQLite file), the only record of what was published."""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import sqlite3
import uuid
from collections.abc import Iterable, Iterator, Sequence
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
from audiobrief.publish.schema import SCHEMA_VERSION, prepare
from audiobrief.publish.seen import Seen

__all__ = [
    "KINDS",
    "PODCAST_GUID_NAMESPACE",
    "SCHEMA_VERSION",
    "Catalog",
    "EpisodeRecord",
    "Seen",
    "open_catalog",
    "podcast_guid",
    "script_from_json",
    "timeline_from_json",
    "to_json",
]

logger = logging.getLogger(__name__)


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
            if article is not None:
                self._db.execute(
                    "INSERT OR REPLACE INTO articles (guid, article) VALUES (?, ?)",
                    (record.guid, article),
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

    def revision(self, guid: str) -> int:
        """How many times the episode's audio has changed, from 1; 0 if unknown."""
        try:
            query = "SELECT revision FROM episodes WHERE guid = ?"
            row = self._db.execute(query, (guid,)).fetchone()
        except sqlite3.DatabaseError as exc:
            raise self._damaged(exc) from exc
        return int(row[0]) if row else 0

    def remove(self, guid: str, *, removed: str, drops: Sequence[str]) -> EpisodeRecord:
        """Unpublish episode *guid*: its row goes, a tombstone stays, *drops* are journaled.

        The guid mapping is kept, so a republished episode gets its old guid back.
        """
        record = self.get(guid)
        if record is None:
            raise PublishError(f"no episode with guid {guid} in {self.path}.")
        with self._transaction():
            self._db.execute("DELETE FROM episodes WHERE guid = ?", (guid,))
            self._db.execute("DELETE FROM articles WHERE guid = ?", (guid,))
            self._db.execute(
                "INSERT OR REPLACE INTO tombstones (kind, key, guid, title, removed) "
                "VALUES (?, ?, ?, ?, ?)",
                (record.kind, record.key, guid, record.title, removed),
            )
            self._journal((), drops)
        return record

    def tombstone(self, kind: EpisodeKind, key: str) -> str | None:
        """When episode (*kind*, *key*) was unpublished (ISO time), or None."""
        row = self._query("SELECT removed FROM tombstones WHERE kind = ? AND key = ?", kind, key)
        return str(row[0][0]) if row else None

    def lift_tombstone(self, kind: EpisodeKind, key: str) -> None:
        """Let episode (*kind*, *key*) be published again (`speak --republish`)."""
        with self._transaction():
            self._db.execute("DELETE FROM tombstones WHERE kind = ? AND key = ?", (kind, key))

    def article(self, guid: str) -> str | None:
        """The article episode *guid* was made from, as the JSON `upsert` kept."""
        row = self._query("SELECT article FROM articles WHERE guid = ?", guid)
        return str(row[0][0]) if row else None

    def seen(self, url: str) -> Seen | None:
        """What `ingest` last saw of the page at canonical *url*, or None."""
        rows = self._query(f"SELECT {', '.join(Seen.COLUMNS)} FROM seen WHERE url = ?", url)
        if not rows:
            return None
        url_, etag, modified, digest, status, checked = rows[0]
        return Seen(
            str(url_), _text(etag), _text(modified), _text(digest), str(status), str(checked)
        )

    def mark_seen(self, seen: Seen) -> None:
        """Remember *seen* (replacing what was known of its URL)."""
        with self._transaction():
            self._db.execute(
                f"INSERT OR REPLACE INTO seen ({', '.join(Seen.COLUMNS)}) "
                f"VALUES ({', '.join('?' for _ in Seen.COLUMNS)})",
                [getattr(seen, c) for c in Seen.COLUMNS],
            )

    def stem_taken(self, stem: str) -> bool:
        """Whether an episode's files are named after *stem* (`stem.mp3`, `stem.vN.mp3`)."""
        sql = "SELECT 1 FROM episodes WHERE mp3 = ? OR mp3 GLOB ? LIMIT 1"
        return bool(self._query(sql, f"{stem}.mp3", f"{stem}.v[0-9]*.mp3"))

    def rows(self, sql: str, *args: str | int) -> list[tuple[object, ...]]:
        """Run the read-only query *sql* (`?` placeholders): for the listing helpers."""
        return self._query(sql, *args)

    def pending(self) -> list[tuple[str, str | None]]:
        """Journaled file work: (final path, temporary name to move there, or None to delete)."""
        rows = self._query("SELECT path, tmp FROM pending ORDER BY path")
        return [(str(path), None if tmp is None else str(tmp)) for path, tmp in rows]

    def settle(self, paths: Iterable[str]) -> None:
        """Forget journaled work on *paths*: it is done."""
        with self._transaction():
            self._db.executemany("DELETE FROM pending WHERE path = ?", [(p,) for p in paths])

    def site_value(self, name: str) -> str | None:
        """A stored site setting (`base_url`, ...), or None before the first publish."""
        row = self._query("SELECT value FROM channel WHERE name = ?", f"site:{name}")
        return str(row[0][0]) if row else None

    def set_site_value(self, name: str, value: str) -> None:
        """Store site setting *name*: later runs use it instead of the default."""
        with self._transaction():
            self._db.execute(
                "INSERT OR REPLACE INTO channel (name, value) VALUES (?, ?)",
                (f"site:{name}", value),
            )

    def close(self) -> None:
        """Close the database; the catalog is unusable afterwards."""
        self._db.close()

    def __enter__(self) -> Catalog:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _journal(self, moves: Sequence[tuple[str, str]], drops: Sequence[str]) -> None:
        rows = [(path, tmp) for tmp, path in moves] + [(path, None) for path in drops]
        self._db.executemany("INSERT OR REPLACE INTO pending (path, tmp) VALUES (?, ?)", rows)

    def _query(self, sql: str, *args: str | int) -> list[tuple[object, ...]]:
        try:
            return list(self._db.execute(sql, args))
        except sqlite3.DatabaseError as exc:
            raise self._damaged(exc) from exc

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
        """The error for what SQLite reported: a full disk, a read-only file, or damage."""
        return PublishError(f"cannot use the catalog {self.path} ({advice(exc, self.path)})")

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        try:
            self._db.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise self._damaged(exc) from exc
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


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def advice(exc: sqlite3.Error, path: Path) -> str:
    """What SQLite's error means for the user, and the fix: each cause its own advice."""
    text = str(exc).lower()
    if "full" in text:
        return "the disk is full; free some space and run the command again"
    if "readonly" in text or "read-only" in text or "permission" in text:
        return (
            f"it is read-only; give the user running audiobrief write access to "
            f"{path.parent} and {path.name}"
        )
    if "locked" in text or "busy" in text:
        return "another program holds it; wait for it to finish and run the command again"
    return (
        "the file is damaged; restore catalog.sqlite from your backup, keeping the damaged "
        "file aside; never delete it, or the feeds lose their episodes"
    )


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
        prepare(connection, path)
    except sqlite3.DatabaseError as exc:
        connection.close()
        if isinstance(exc, sqlite3.OperationalError):  # read-only, full disk, locked
            raise PublishError(f"cannot open the catalog {path} ({advice(exc, path)})") from exc
        raise PublishError(
            f"{path} is not a valid catalog; restore it from your backup, keeping this "
            "file aside (never delete it: the feeds would lose their episodes)."
        ) from exc
    except PublishError:
        connection.close()
        raise
    return Catalog(connection, path)
