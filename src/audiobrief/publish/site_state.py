"""Publish stage: the site's state that must survive every run (catalog, public address)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from audiobrief.config import Settings
from audiobrief.errors import ConfigError, PublishError
from audiobrief.publish.catalog import Catalog, find_catalog, open_catalog
from audiobrief.publish.lock import output_lock, site_lock
from audiobrief.publish.migrate import copy_catalog
from audiobrief.publish.views import ARTICLES_NAME, FEED_NAME, INDEX_NAME

logger = logging.getLogger(__name__)

CATALOG_NAME = "catalog.sqlite"
PLACEHOLDERS = {"owner_email": "podcast@example.com", "author": "audiobrief"}
IDENTITY = ("show_title", "author", "owner_email")
"""The show's identity: stored on first publish, kept unless a run sets it anew."""
SITE_SETTINGS = ("base_url", *IDENTITY)
"""What the site keeps in its catalog; a run says which of these it set (`given`)."""
"""Defaults that must not reach a public feed: directories show them to everyone."""


@contextmanager
def guard_catalog(output_dir: Path) -> Iterator[Catalog]:
    """The folder's catalog; a new one only where nothing was published yet.

    A missing or empty catalog beside published feeds would publish empty feeds, and
    podcast apps then drop every episode: that is an error that says how to recover.

    Raises:
        PublishError: the catalog is missing or empty beside published files.
    """
    path = output_dir / CATALOG_NAME
    empty = not path.is_file() or path.stat().st_size == 0
    if empty and (published := _published(output_dir)):
        state = "is empty" if path.is_file() else "is missing"
        raise PublishError(
            f"{path} {state}, but {output_dir} holds published {published}; restore "
            f"{CATALOG_NAME} from your backup. To start the site over instead (listeners' "
            f"apps will drop every episode), move {output_dir} away first."
        )
    with open_catalog(path) as catalog:
        yield catalog


def catalog_target(settings: Settings) -> Path | str:
    """Where the site's catalog is: catalog_url, else catalog.sqlite in the output folder."""
    return settings.catalog_url or settings.output_dir / CATALOG_NAME


@contextmanager
def publishing_catalog(settings: Settings) -> Iterator[Catalog]:
    """The site's catalog, held by this run alone until the block ends, and guarded.

    Raises:
        PublishError: another run publishes for longer than the wait, or the catalog is
            missing, empty or damaged beside published files.
    """
    out = settings.output_dir
    if not settings.catalog_url:
        with output_lock(out), guard_catalog(out) as catalog:
            yield catalog
        return
    with open_catalog(settings.catalog_url) as catalog, site_lock(catalog.database):
        if catalog.site_value("base_url") is None:
            _move_in(catalog, out)
        yield catalog


def _move_in(catalog: Catalog, out: Path) -> None:
    """A server catalog's first run: bring the folder's SQLite catalog, if it has one.

    Raises:
        PublishError: the folder holds published files but no catalog to bring.
    """
    legacy = out / CATALOG_NAME
    if legacy.is_file() and legacy.stat().st_size > 0:
        copy_catalog(legacy, catalog)
    elif published := _published(out):
        raise PublishError(
            f"the catalog {catalog.where} holds no site yet, but {out} holds published "
            f"{published} and no {CATALOG_NAME} to bring into it; restore {CATALOG_NAME} "
            "there from your backup first (publishing now would empty the feeds)."
        )


@contextmanager
def reading_catalog(settings: Settings) -> Iterator[Catalog | None]:
    """The site's catalog to read, or None where none was made yet (nothing is created)."""
    catalog = find_catalog(catalog_target(settings))
    if settings.catalog_url and (catalog is None or catalog.site_value("base_url") is None):
        # Until its first publish brings catalog.sqlite in (`_move_in`), the site is there.
        if catalog is not None:
            catalog.close()
        catalog = find_catalog(settings.output_dir / CATALOG_NAME)
    if catalog is None:
        yield None
        return
    with catalog:
        yield catalog


def open_site(
    catalog: Catalog, settings: Settings, *, given: frozenset[str], moving: bool
) -> Settings:
    """*settings* with the site's stored address and identity; store them on first publish.

    A run that does not set them (a cron line with no flags, a missing audiobrief.toml)
    publishes under the stored ones; a run that sets the show's title, author or owner
    changes them for good.

    Raises:
        ConfigError: a base_url given on this run differs from the stored one (unless
            *moving*), or an https site still has a placeholder owner or author.
    """
    for name in IDENTITY:
        value, kept = getattr(settings, name), catalog.site_value(name)
        if kept is None or (value != kept and name in given):
            if kept is not None:
                logger.warning("%s changed from %r to %r", name, kept, value)
            catalog.set_site_value(name, value)
        elif value != kept:
            kept_value: Any = kept
            settings = replace(settings, **{name: kept_value})
    wanted = settings.base_url  # checked and normalized by config, like the stored one
    stored = catalog.site_value("base_url")
    asked = "base_url" in given
    if stored is None or moving or (asked and wanted != stored and _is_local(stored)):
        if stored and stored != wanted:
            logger.warning("site moved from %s to %s", stored, wanted)
            catalog.set_site_value("moved_from", stored)
        catalog.set_site_value("base_url", wanted)
    elif wanted != stored:
        if asked:
            raise ConfigError(
                f"base_url {wanted} differs from {stored}, where this site is published; "
                f"to move the site, run: audiobrief move --base-url {wanted}"
            )
        settings = replace(settings, base_url=stored)
    check_public(settings)
    return settings


def check_public(settings: Settings) -> None:
    """An https site must name its owner: directories and apps show these to everyone."""
    if urlsplit(settings.base_url).scheme != "https":
        return
    for name, placeholder in PLACEHOLDERS.items():
        if getattr(settings, name).strip() == placeholder:
            raise ConfigError(
                f"{name} is still the placeholder {placeholder!r}; set {name} in "
                "audiobrief.toml before publishing to an https address."
            )


def _is_local(url: str) -> bool:
    """A loopback address: a preview on this machine, which nobody subscribed to."""
    host = urlsplit(url).hostname or ""
    return host in ("localhost", "::1") or host.startswith("127.")


def _published(output_dir: Path) -> str:
    """What of a published site is in *output_dir*, in words ("" when nothing)."""
    feeds = [
        name for name in (FEED_NAME, ARTICLES_NAME, INDEX_NAME) if (output_dir / name).exists()
    ]
    if feeds:
        return " and ".join(feeds)
    for path in output_dir.glob("[0-9][0-9][0-9][0-9]/**/*.mp3"):
        return f"episodes ({path.relative_to(output_dir)})"
    return ""
