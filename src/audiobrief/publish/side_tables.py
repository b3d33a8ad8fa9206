"""Publish stage: the catalog's smaller tables (tombstones, articles, seen pages, the
journal of file work, stored site settings), on either database."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Self

from audiobrief.model import EpisodeKind
from audiobrief.publish.database import Database, upsert_sql
from audiobrief.publish.seen import Seen


class SideTables:
    """What the catalog keeps beside its episodes; `Catalog` is one of these."""

    def __init__(self, database: Database) -> None:
        self._db = database
        self.database = database
        self.where = database.where
        """How messages name the catalog: its file, or its server and database."""

    def tombstone(self, kind: EpisodeKind, key: str) -> str | None:
        """When episode (*kind*, *key*) was unpublished (ISO time), or None."""
        row = self._query("SELECT removed FROM tombstones WHERE kind = ? AND key = ?", kind, key)
        return str(row[0][0]) if row else None

    def lift_tombstone(self, kind: EpisodeKind, key: str) -> None:
        """Let episode (*kind*, *key*) be published again (`speak --republish`)."""
        with self._db.transaction():
            self._db.execute("DELETE FROM tombstones WHERE kind = ? AND key = ?", (kind, key))

    def article(self, guid: str) -> str | None:
        """The article episode *guid* was made from, as the JSON `upsert` kept."""
        row = self._query("SELECT article FROM articles WHERE guid = ?", guid)
        return str(row[0][0]) if row else None

    def day_articles(self, day: str) -> list[tuple[str, str | None]]:
        """(guid, kept article JSON or None) of the article episodes of *day* (ISO),
        oldest first: what a briefing reads without building each episode's record."""
        sql = (
            "SELECT e.guid, a.article FROM episodes e LEFT JOIN articles a ON a.guid = e.guid"
            " WHERE e.kind = 'article' AND e.day = ? ORDER BY e.published_us, e.guid"
        )
        return [(str(g), None if a is None else str(a)) for g, a in self._query(sql, day)]

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
        with self._db.transaction():
            self._db.execute(
                upsert_sql("seen", Seen.COLUMNS, ["url"]), [getattr(seen, c) for c in Seen.COLUMNS]
            )

    def pending(self) -> list[tuple[str, str | None]]:
        """Journaled file work: (final path, temporary name to move there, or None to delete)."""
        rows = self._query("SELECT path, tmp FROM pending ORDER BY path")
        return [(str(path), None if tmp is None else str(tmp)) for path, tmp in rows]

    def settle(self, paths: Iterable[str], *, site: dict[str, str] | None = None) -> None:
        """Forget journaled work on *paths*: it is done. Also store the *site* values
        given (see `set_site_value`), in the same transaction."""
        with self._db.transaction():
            self._db.executemany("DELETE FROM pending WHERE path = ?", [(p,) for p in paths])
            for name, value in (site or {}).items():
                self._set_site_value(name, value)

    def site_value(self, name: str) -> str | None:
        """A stored site setting (`base_url`, ...), or None before the first publish."""
        row = self._query("SELECT value FROM channel WHERE name = ?", f"site:{name}")
        return str(row[0][0]) if row else None

    def set_site_value(self, name: str, value: str) -> None:
        """Store site setting *name*: later runs use it instead of the default."""
        with self._db.transaction():
            self._set_site_value(name, value)

    def _set_site_value(self, name: str, value: str) -> None:
        self._db.execute(
            upsert_sql("channel", ["name", "value"], ["name"]), (f"site:{name}", value)
        )

    def close(self) -> None:
        """Close the database; the catalog is unusable afterwards."""
        self._db.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _query(self, sql: str, *args: str | int) -> list[tuple[object, ...]]:
        try:
            return list(self._db.execute(sql, args))
        except self._db.errors as exc:
            raise self._db.failure(exc) from exc


def _text(value: object) -> str | None:
    return None if value is None else str(value)
