"""Publish stage: lean catalog queries for the feeds and pages (a few rows, a few columns).

A publish must cost the same with ten episodes as with ten thousand, so nothing here
loads the whole catalog: the newest N rows, one archive page, or a count over the
(kind, published_us) index. The SQL is plain (`?` placeholders, no SQLite functions) so
it runs on every database the catalog supports.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass, field

from audiobrief.errors import PublishError
from audiobrief.model import EpisodeKind, Script, Timeline
from audiobrief.publish.catalog import Catalog, EpisodeRecord
from audiobrief.publish.records import COLUMNS, check_kind, from_row, to_row

LEAN = (
    *("guid", "kind", "key", "day", "published", "title", "description", "mp3"),
    *("size_bytes", "duration_ms", "files", "url", "author", "outlet"),
)
"""What a list entry shows (title, date, duration, outlet, links): no timeline, no script."""
NEWEST = "published_us DESC, guid DESC"
OLDEST = "published_us, guid"
"""Archive order: a page's episodes never move while newer ones are added."""


@dataclass
class Changes:
    """What one run published and unpublished: all that an incremental refresh renders."""

    published: dict[str, EpisodeRecord] = field(default_factory=dict)
    """By guid, as committed: their pages and archive entries are rendered again."""
    added: set[str] = field(default_factory=set)
    """Guids new to the catalog: archive entries from theirs on may move down by one."""
    removed: dict[str, EpisodeRecord] = field(default_factory=dict)
    """Unpublished by guid: entries after theirs move up; their players go."""

    def publish(self, record: EpisodeRecord, *, new: bool) -> None:
        self.removed.pop(record.guid, None)
        self.published[record.guid] = record
        if new:
            self.added.add(record.guid)

    def unpublish(self, record: EpisodeRecord) -> None:
        self.published.pop(record.guid, None)
        self.added.discard(record.guid)
        self.removed[record.guid] = record

    def __bool__(self) -> bool:
        return bool(self.published or self.removed)


def newest_lean(catalog: Catalog, kind: EpisodeKind, limit: int) -> list[EpisodeRecord]:
    """The newest *limit* episodes of *kind* (all when 0), newest first, without their
    timeline and script: list entries."""
    return [_lean(row) for row in _rows(catalog, LEAN, kind, NEWEST, limit, 0)]


def oldest_lean(
    catalog: Catalog, kind: EpisodeKind, *, offset: int, limit: int
) -> list[EpisodeRecord]:
    """Episodes *offset* to *offset* + *limit* - 1 of *kind*, oldest first: an archive page."""
    return [_lean(row) for row in _rows(catalog, LEAN, kind, OLDEST, limit, offset)]


def each(catalog: Catalog, kind: EpisodeKind, batch: int = 200) -> Iterator[EpisodeRecord]:
    """Every episode of *kind*, whole, oldest first, *batch* at a time (a full rebuild)."""
    offset = 0
    while rows := _rows(catalog, COLUMNS, kind, OLDEST, batch, offset):
        yield from (_whole(row) for row in rows)
        offset += batch


def count(catalog: Catalog, kind: EpisodeKind) -> int:
    """How many episodes of *kind* are published."""
    check_kind(kind)
    return _int(catalog.rows("SELECT COUNT(*) FROM episodes WHERE kind = ?", kind))


def position(catalog: Catalog, record: EpisodeRecord) -> int:
    """How many episodes of the record's kind come before it in archive order.

    Also right for an episode just unpublished: it is where its row used to be.
    """
    stamp = int(to_row(record)["published_us"])
    sql = (
        "SELECT COUNT(*) FROM episodes WHERE kind = ? "
        "AND (published_us < ? OR (published_us = ? AND guid < ?))"
    )
    return _int(catalog.rows(sql, record.kind, stamp, stamp, record.guid))


def _rows(
    catalog: Catalog,
    columns: tuple[str, ...],
    kind: EpisodeKind,
    order: str,
    limit: int,
    offset: int,
) -> list[dict[str, object]]:
    check_kind(kind)
    sql = f"SELECT {', '.join(columns)} FROM episodes WHERE kind = ? ORDER BY {order}"
    args: list[str | int] = [kind]
    if limit > 0:
        sql += " LIMIT ? OFFSET ?"
        args += [limit, offset]
    return [dict(zip(columns, row, strict=True)) for row in catalog.rows(sql, *args)]


def _whole(row: dict[str, object]) -> EpisodeRecord:
    try:
        return from_row(row)
    except (ValueError, KeyError, TypeError) as exc:
        raise PublishError(
            f"the catalog holds an episode it cannot read ({exc}); restore it from a backup."
        ) from exc


def _lean(row: dict[str, object]) -> EpisodeRecord:
    """A record whose timeline and script are empty: only lists are made from it."""
    try:
        duration_ms = int(str(row["duration_ms"]))
        return EpisodeRecord(
            guid=str(row["guid"]),
            kind=_kind(row["kind"]),
            key=str(row["key"]),
            day=dt.date.fromisoformat(str(row["day"])),
            published=dt.datetime.fromisoformat(str(row["published"])),
            title=str(row["title"]),
            description=str(row["description"]),
            mp3=str(row["mp3"]),
            size_bytes=int(str(row["size_bytes"])),
            duration_ms=duration_ms,
            timeline=Timeline((), (), duration_ms, 0),
            script=Script(str(row["title"]), ()),
            files=dict(json.loads(str(row["files"]))),
            url=_text(row["url"]),
            author=_text(row["author"]),
            outlet=_text(row["outlet"]),
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise PublishError(
            f"the catalog holds an episode it cannot read ({exc}); restore it from a backup."
        ) from exc


def _kind(value: object) -> EpisodeKind:
    text = str(value)
    check_kind(text)
    return "article" if text == "article" else "briefing"


def _int(rows: list[tuple[object, ...]]) -> int:
    return int(str(rows[0][0]))


def _text(value: object) -> str | None:
    return None if value is None else str(value)
