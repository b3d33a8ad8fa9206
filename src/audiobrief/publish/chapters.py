"""Publish stage: Podcasting 2.0 JSON chapters (version 1.2.0), a view of the Timeline."""

from __future__ import annotations

import json
from typing import Any

from audiobrief.model import Timeline

VERSION = "1.2.0"


def json_chapters(timeline: Timeline, *, title: str | None = None) -> str:
    """The chapters file: ascending startTime in seconds, a url where the chapter has one.

    The same Timeline always gives the same bytes (fixed key order and indentation), so
    re-publishing does not touch unchanged files.
    """
    document: dict[str, Any] = {"version": VERSION}
    if title:
        document["title"] = title
    chapters: list[dict[str, Any]] = []
    for chapter in sorted(timeline.chapters, key=lambda chapter: chapter.start_ms):
        entry: dict[str, Any] = {
            "startTime": round(chapter.start_ms / 1000, 3),
            "title": chapter.title,
        }
        if chapter.url:
            entry["url"] = chapter.url
        chapters.append(entry)
    document["chapters"] = chapters
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"
