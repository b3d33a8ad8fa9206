"""Publish stage: the archive, every episode on numbered pages, oldest first.

Pages are numbered from the oldest episode, PAGE_SIZE to a page, so adding an episode
changes only the newest page (and the one before it, the day a new page starts): a
publish renders one or two archive pages however long the archive is. Unpublishing
moves every later entry up by one, so the pages from the removed one's on are rendered
again; an update (same guid) renders its own page only.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from audiobrief.model import EpisodeKind
from audiobrief.publish.catalog import KINDS, Catalog, EpisodeRecord
from audiobrief.publish.listing import Changes, count, oldest_lean, position

PAGE_SIZE = 100
"""Episodes per archive page: a page stays light on a phone and quick to render."""
FOLDER = "archive"
_NAMES: dict[EpisodeKind, str] = {"article": "articles", "briefing": "briefings"}
HEADINGS: dict[EpisodeKind, str] = {
    "briefing": "أرشيف الموجزات اليومية",
    "article": "أرشيف المقالات",
}


@dataclass(frozen=True)
class ArchivePage:
    """One page of one kind's archive: where it goes and what it lists."""

    kind: EpisodeKind
    number: int
    """From 1, the oldest episodes."""
    first: int
    """The number of its first episode in the whole archive, from 1."""
    records: tuple[EpisodeRecord, ...]
    """Lean records (no timeline, no script), oldest first."""
    older: str | None
    """The previous page's file name (it is in the same folder), or None on page 1."""
    newer: str | None

    @property
    def path(self) -> str:
        return archive_path(self.kind, self.number)

    @property
    def heading(self) -> str:
        return HEADINGS[self.kind]


@dataclass(frozen=True)
class Series:
    """What the home page links to of one kind's archive: every page, newest first."""

    kind: EpisodeKind
    heading: str
    pages: tuple[tuple[int, str], ...]
    """(number, path relative to the output folder)."""


def archive_path(kind: EpisodeKind, number: int) -> str:
    """`archive/articles-3.html`: page *number* of *kind*'s archive."""
    return f"{FOLDER}/{_NAMES[kind]}-{number}.html"


def page_count(total: int) -> int:
    return -(-total // PAGE_SIZE)


def series(catalog: Catalog) -> list[Series]:
    """Each kind's archive pages, for the home page (kinds without episodes left out)."""
    found = []
    for kind in ("briefing", "article"):
        last = page_count(count(catalog, kind))
        pages = tuple((n, archive_path(kind, n)) for n in range(last, 0, -1))
        if pages:
            found.append(Series(kind, HEADINGS[kind], pages))
    return found


def pages_to_render(catalog: Catalog, changes: Changes | None) -> Iterator[ArchivePage]:
    """The archive pages a refresh writes: all of them without *changes*, else those the
    changes touch (see the module's note)."""
    for kind in KINDS:
        last = page_count(count(catalog, kind))
        numbers = range(1, last + 1) if changes is None else _touched(catalog, changes, kind, last)
        for number in numbers:
            offset = (number - 1) * PAGE_SIZE
            records = oldest_lean(catalog, kind, offset=offset, limit=PAGE_SIZE)
            older = posixpath.basename(archive_path(kind, number - 1)) if number > 1 else None
            newer = posixpath.basename(archive_path(kind, number + 1)) if number < last else None
            yield ArchivePage(kind, number, offset + 1, tuple(records), older, newer)


def stale_pages(catalog: Catalog, exists: Callable[[str], bool]) -> list[str]:
    """Archive pages past the last one (left when episodes were unpublished), by name;
    *exists* asks the site's storage (a bucket is never listed whole)."""
    found = []
    for kind in KINDS:
        number = page_count(count(catalog, kind)) + 1
        while exists(name := archive_path(kind, number)):
            found.append(name)
            number += 1
    return found


def _touched(catalog: Catalog, changes: Changes, kind: EpisodeKind, last: int) -> list[int]:
    numbers: set[int] = set()
    shifted = [r for r in changes.removed.values() if r.kind == kind]
    shifted += [r for g, r in changes.published.items() if r.kind == kind and g in changes.added]
    for record in changes.published.values():
        if record.kind == kind and record.guid not in changes.added:
            numbers.add(position(catalog, record) // PAGE_SIZE + 1)
    if shifted:
        first = min(position(catalog, r) for r in shifted) // PAGE_SIZE + 1
        # From the page before: its "newer" link appears when a page starts, goes when one ends.
        numbers.update(range(max(first - 1, 1), last + 1))
    return sorted(n for n in numbers if n <= last)
