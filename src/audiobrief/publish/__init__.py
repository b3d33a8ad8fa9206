"""Publish stage: tags, captions, chapters, transcripts, catalog, feeds and page.

The front door: the Publisher (`open_publisher`) puts episodes on the site; the lookups
read published state back. Everything else here is the stage's own.
"""

from audiobrief.publish.catalog import EpisodeRecord
from audiobrief.publish.files import write_atomic
from audiobrief.publish.identity import article_key, canonical_url
from audiobrief.publish.images import check_cover
from audiobrief.publish.lookup import (
    day_articles,
    episode_pages,
    find_refs,
    published_records,
    read_seen,
)
from audiobrief.publish.publisher import Publisher, open_publisher
from audiobrief.publish.seen import Seen
from audiobrief.publish.storage import published_files
from audiobrief.publish.tags import made_by

__all__ = [
    "EpisodeRecord",
    "Publisher",
    "Seen",
    "article_key",
    "canonical_url",
    "check_cover",
    "day_articles",
    "episode_pages",
    "find_refs",
    "made_by",
    "open_publisher",
    "published_files",
    "published_records",
    "read_seen",
    "write_atomic",
]
