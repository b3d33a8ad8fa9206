"""Publish stage: what `ingest` remembers of each article page between runs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar


@dataclass(frozen=True)
class Seen:
    """One article page as the last ingest run found it (a row of the catalog's `seen`)."""

    url: str
    """The entry's canonical URL (tracking parameters dropped)."""
    etag: str | None
    last_modified: str | None
    """The validators the server sent, sent back next time for a conditional request."""
    content_hash: str | None
    """SHA-256 of the article as extracted (title and paragraphs), not of the page bytes:
    nonces, comment counts and "most read" boxes change the bytes of every request."""
    status: str
    """The last outcome: `new`, `updated`, `unchanged`, `failed` or `unpublished`."""
    checked: str
    """When (ISO time, UTC offset included)."""

    COLUMNS: ClassVar[tuple[str, ...]] = (
        "url",
        "etag",
        "last_modified",
        "content_hash",
        "status",
        "checked",
    )
