"""Publish stage: the Jinja environment shared by the feed and page templates."""

from __future__ import annotations

import contextlib
import datetime as dt
import email.utils
import functools
import hashlib
import json
import pickle
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import jinja2
from jinja2.bccache import Bucket, bc_version
from markupsafe import Markup

from audiobrief import __version__
from audiobrief.config_slices import SiteSettings
from audiobrief.publish import views
from audiobrief.publish.views import (
    clean,
    clock,
    limit_bytes,
    mark_latin,
    seconds,
    stamp,
    web_url,
)

if TYPE_CHECKING:
    from audiobrief.cache import Cache

MAX_DESCRIPTION_BYTES = 4000
"""Apple's limit for channel and item descriptions."""
RENDER_KEY = "render_key"
"""Site value: the render key of the last full render (see `render_key`)."""


@dataclass(frozen=True)
class Rendering:
    """What the feeds and the pages of one refresh share, worked out once for both."""

    env: jinja2.Environment
    cover: str
    """The published cover's URL relative to the site root (`cover.png?v=...`)."""
    key: str
    """The site's render key (see `render_key`)."""


_COMPILED = "templates"
"""The cache folder's kind for compiled templates."""


def environment(cache: Cache | None = None) -> jinja2.Environment:
    """Templates shipped in `audiobrief/templates`, autoescaped, strict about names.

    With *cache*, compiled templates are kept in the cache folder, and the next run
    loads them instead of compiling them again.
    """
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
    if cache is not None:
        # The settings that shape compiled code (block syntax, whitespace, escaping).
        syntax = sorted((k, v) for k, v in vars(env).items() if isinstance(v, bool | str | int))
        env.bytecode_cache = _CompiledTemplates(cache, f"{_code()} {syntax}")
    return env


@functools.cache
def _code() -> str:
    """What compiled templates depend on beyond their source: this module and views.py
    (the environment, its filters: Jinja folds a filter of a constant into the code) and
    Jinja's own compiler (its size and time: read on every run, it costs one stat)."""
    code = hashlib.sha256()
    for module in (__file__, views.__file__):
        code.update(Path(module).read_bytes())
    compiler = Path(jinja2.__file__).with_name("compiler.py").stat()
    code.update(f"{compiler.st_size} {compiler.st_mtime_ns} {bc_version}".encode())
    return code.hexdigest()


class _CompiledTemplates(jinja2.BytecodeCache):
    """Compiled templates as entries of the cache folder (Jinja's bytecode cache).

    Jinja keeps the template source's checksum and the Python version in each entry and
    compiles again when either differs, so an edited template is never served stale;
    the key adds the versions of Jinja and audiobrief and the environment's syntax. Entries
    are written whole under a temporary name (two runs at once read whole files), and
    only to this machine's folder, never to a shared cache: they are code that gets run.
    """

    def __init__(self, cache: Cache, salt: str) -> None:
        self.cache, self.salt = cache, f"{__version__} {salt}"
        self._writable = True

    def get_cache_key(self, name: str, filename: str | None = None) -> str:
        return hashlib.sha256(f"{self.salt}\0{name}\0{filename}".encode()).hexdigest()

    def load_bytecode(self, bucket: Bucket) -> None:
        path = self.cache.find(_COMPILED, bucket.key, ".jinja")
        if path is None:
            return
        # A stale entry (other source, other Python) leaves the bucket empty: compiled anew.
        with contextlib.suppress(OSError, EOFError, ValueError, pickle.UnpicklingError):
            bucket.bytecode_from_string(path.read_bytes())  # OSError: pruned meanwhile

    def dump_bytecode(self, bucket: Bucket) -> None:
        # A cache that cannot be written: the templates compile each run, as without
        # one, and a command that does not otherwise use the cache (feed) stays quiet.
        if self._writable:
            code = bucket.bytecode_to_string()
            kept = self.cache.put(_COMPILED, bucket.key, ".jinja", code, quiet=True)
            self._writable = kept is not None


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
