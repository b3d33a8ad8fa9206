"""Publish stage: the Jinja environment shared by the feed and page templates."""

from __future__ import annotations

import datetime as dt
import email.utils
import hashlib
import json
from importlib import resources
from urllib.parse import urlsplit

import jinja2
from markupsafe import Markup

from audiobrief import __version__
from audiobrief.config_slices import SiteSettings
from audiobrief.publish.views import (
    clean,
    clock,
    limit_bytes,
    mark_latin,
    seconds,
    stamp,
    web_url,
)

MAX_DESCRIPTION_BYTES = 4000
"""Apple's limit for channel and item descriptions."""
RENDER_KEY = "render_key"
"""Site value: the render key of the last full render (see `render_key`)."""


def environment() -> jinja2.Environment:
    """Templates shipped in `audiobrief/templates`, autoescaped, strict about names."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("audiobrief", "templates"),
        autoescape=True,  # every value is escaped; only cdata() and latin() return markup
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(
        cdata=cdata,
        rfc2822=rfc2822,
        whole_seconds=whole_seconds,
        clean=clean,
        summary=lambda text: limit_bytes(clean(text), MAX_DESCRIPTION_BYTES),
        latin=mark_latin,
        clock=clock,
        stamp=stamp,
        seconds=seconds,
        web_url=web_url,
        host=lambda url: urlsplit(url).hostname or url,
        filesize=filesize,
        iso_duration=lambda ms: f"PT{max(ms, 0) // 1000}S",
    )
    return env


def filesize(size_bytes: int) -> str:
    """`1.4 MB` or `350 kB` (decimal units, as download sizes are usually shown)."""
    if size_bytes >= 1_000_000:
        return f"{size_bytes / 1_000_000:.1f} MB"
    return f"{max(size_bytes, 1000) // 1000} kB"


def cdata(html: str) -> Markup:
    """Wrap *html* in CDATA; a `]]>` inside is split across two sections."""
    return Markup("<![CDATA[" + str(html).replace("]]>", "]]]]><![CDATA[>") + "]]>")


def rfc2822(moment: dt.datetime) -> str:
    """RFC 2822 date in GMT (`Sat, 28 Nov 2026 07:00:00 GMT`), as RSS 2.0 requires."""
    return email.utils.format_datetime(moment.astimezone(dt.UTC), usegmt=True)


def whole_seconds(ms: int) -> str:
    """itunes:duration: whole seconds, rounded, at least 1 (Apple rejects 0 and padding)."""
    return str(max(1, (ms + 500) // 1000))


def render_key(site: SiteSettings, base: str, cover: str, *sizes: int) -> str:
    """What every page and feed item depends on besides its own episode: the templates,
    the address, the show and the layout *sizes*. When it differs from the key stored at
    the last full render, every page and item already written is stale."""
    templates = resources.files("audiobrief") / "templates"
    digest = hashlib.sha256()
    for item in sorted(templates.iterdir(), key=lambda item: item.name):
        if item.is_file():
            digest.update(item.name.encode() + b"\0" + item.read_bytes() + b"\0")
    shown = [__version__, base, site.show_title, site.description, site.author]
    digest.update(json.dumps([*shown, cover, *sizes], ensure_ascii=False).encode())
    return digest.hexdigest()
