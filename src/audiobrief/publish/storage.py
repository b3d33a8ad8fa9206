"""Publish stage: where published files live, a local folder or an S3 bucket, behind one seam.

Names are output-relative POSIX paths (`2026/11/28/articles/x.mp3`, `feed.xml`). The
publisher, the feeds, the pages and the journal write only through a `Storage`, chosen
once from the settings (`open_storage`).
"""

from __future__ import annotations

import filecmp
import hashlib
import logging
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Protocol

from audiobrief.config import Settings
from audiobrief.errors import PublishError
from audiobrief.publish.catalog import Catalog
from audiobrief.publish.files import delete, replace_into, write_atomic, write_if_changed
from audiobrief.publish.views import ARTICLES_NAME, FEED_NAME

logger = logging.getLogger(__name__)

SHORT_CACHE = "public, max-age=300"
"""Feeds and pages change with every publish: apps and CDNs look again within minutes."""
LONG_CACHE = "public, max-age=31536000, immutable"
"""A versioned episode file never gets other bytes (`stem.vN.mp3`), so it is kept a year."""
_TYPES = {
    ".mp3": ("audio/mpeg", LONG_CACHE),
    ".vtt": ("text/vtt; charset=utf-8", LONG_CACHE),
    ".srt": ("application/x-subrip; charset=utf-8", LONG_CACHE),
    ".chapters.json": ("application/json+chapters", LONG_CACHE),  # Podcasting 2.0 chapters
    ".html": ("text/html; charset=utf-8", SHORT_CACHE),
    ".xml": ("application/rss+xml; charset=utf-8", SHORT_CACHE),
    ".png": ("image/png", SHORT_CACHE),  # the cover keeps its name when its bytes change
    ".jpg": ("image/jpeg", SHORT_CACHE),
    ".css": ("text/css; charset=utf-8", SHORT_CACHE),
    ".js": ("text/javascript; charset=utf-8", SHORT_CACHE),
    ".json": ("application/json", "no-store"),
}
_BLOCK = 1 << 20


class Storage(Protocol):
    """Published files by name; every write is whole or absent to readers."""

    where: str
    """For messages: the folder, or the s3:// URL."""
    uploads_first: bool
    """True: an episode's files go up before the catalog commits (readers elsewhere may
    render a feed the moment it does); False: they are moved in after it (the journal)."""

    def move_in(self, name: str, path: Path) -> None:
        """Put the finished local file *path* at *name*; *path* is consumed."""

    def put_bytes(self, name: str, data: bytes | str) -> None:
        """Write *data* (str as UTF-8) at *name*."""

    def put_if_changed(self, name: str, data: bytes | str) -> bool:
        """Write *data* at *name* unless it holds exactly that; True when written."""

    def exists(self, name: str) -> bool: ...

    def same(self, name: str, path: Path) -> bool:
        """Whether *name* holds exactly the bytes of the local file *path*."""

    def delete(self, name: str) -> None:
        """Delete *name* if it is there."""

    def read(self, name: str) -> bytes | None:
        """*name*'s bytes (a small file), or None when it is not there."""

    def local(self, name: str, scratch: Path) -> Path | None:
        """A local file with *name*'s bytes (downloaded into *scratch* if need be), or None."""

    def names(self, prefix: str) -> list[str]:
        """Every name under the folder *prefix* (a small one: never the whole site)."""


def open_storage(settings: Settings) -> Storage:
    """The bucket of settings.output_url, else the output folder.

    Raises:
        PublishError: the bucket cannot be reached, does not exist or refuses us.
    """
    if not settings.output_url:
        return LocalFolder(settings.output_dir)
    from audiobrief.publish.bucket import Bucket

    return Bucket(settings.output_url, settings.s3_endpoint_url)


@contextmanager
def published_files(settings: Settings) -> Iterator[Callable[[str], Path | None]]:
    """A function that gives a local copy of a published file (None: not there).

    From a bucket the copy is downloaded into a private folder of the work folder,
    deleted on leaving; from the output folder it is the file itself.
    """
    storage = open_storage(settings)
    if isinstance(storage, LocalFolder):
        yield lambda name: storage.local(name, storage.root)
        return
    settings.output_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".fetched-", dir=settings.output_dir) as scratch:
        yield lambda name: storage.local(name, Path(scratch))


def guard_bucket(catalog: Catalog, storage: Storage) -> None:
    """A catalog that never published must not take over a bucket with a site in it: its
    empty feeds would make podcast apps drop every episode (as guard_catalog, for a bucket).
    """
    if not storage.uploads_first or catalog.site_value("base_url") is not None:
        return
    if found := [name for name in (FEED_NAME, ARTICLES_NAME) if storage.exists(name)]:
        raise PublishError(
            f"{storage.where} holds published {' and '.join(found)}, but this catalog has "
            "never published there; restore the site's catalog from your backup (or set "
            "the shared one). To start the site over, empty the bucket's prefix first."
        )


def headers(name: str) -> tuple[str, str]:
    """(Content-Type, Cache-Control) for the published file *name*."""
    for suffix, found in _TYPES.items():
        if name.endswith(suffix):
            return found
    return "application/octet-stream", SHORT_CACHE


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while block := stream.read(_BLOCK):
            digest.update(block)
    return digest.hexdigest()


class LocalFolder:
    """Today's output folder: atomic renames, and garbage only inside the folder."""

    uploads_first = False

    def __init__(self, root: Path) -> None:
        self.root = root
        self.where = str(root)

    def move_in(self, name: str, path: Path) -> None:
        replace_into(path, self.root / name)

    def put_bytes(self, name: str, data: bytes | str) -> None:
        write_atomic(self._parent_made(name), data)

    def put_if_changed(self, name: str, data: bytes | str) -> bool:
        return write_if_changed(self._parent_made(name), data)

    def exists(self, name: str) -> bool:
        return (self.root / name).exists()

    def same(self, name: str, path: Path) -> bool:
        """Byte for byte, compared in blocks (an episode may be hours of audio)."""
        try:
            return filecmp.cmp(path, self.root / name, shallow=False)
        except OSError:
            return False

    def delete(self, name: str) -> None:
        path = self.root / name
        if not path.resolve().is_relative_to(self.root.resolve()):
            logger.warning("not deleting %s: it lies outside %s", path, self.root)
            return
        delete(path)

    def read(self, name: str) -> bytes | None:
        try:
            return (self.root / name).read_bytes()
        except OSError:
            return None

    def local(self, name: str, scratch: Path) -> Path | None:
        path = self.root / name
        return path if path.is_file() else None

    def names(self, prefix: str) -> list[str]:
        found = []
        for folder, _, files in os.walk(self.root / prefix):
            found += [(Path(folder) / f).relative_to(self.root).as_posix() for f in files]
        return sorted(found)

    def _parent_made(self, name: str) -> Path:
        path = self.root / name
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise PublishError(
                f"cannot create {path.parent} ({exc.strerror}); check the output folder."
            ) from exc
        return path
