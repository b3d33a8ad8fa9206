"""Compiled templates kept in the cache folder: loaded by the next run, never stale."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jinja2
import pytest

from audiobrief.cache import Cache
from audiobrief.config import Settings
from audiobrief.publish import render, site
from audiobrief.publish.catalog import Catalog
from audiobrief.publish.feed import render_feeds
from audiobrief.publish.publisher import open_publisher
from audiobrief.publish.site import prepare, render_site
from audiobrief.publish.storage import LocalFolder
from publish_fixtures import BASE_URL, NOW, publish_episode


@pytest.fixture
def compiled(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the templates Jinja compiles from source, in order."""
    names: list[str] = []
    real = jinja2.Environment.compile

    def counting(self: jinja2.Environment, source: Any, name: Any = None, *a: Any, **k: Any) -> Any:
        names.append(name)
        return real(self, source, name, *a, **k)

    monkeypatch.setattr(jinja2.Environment, "compile", counting)
    return names


def _refresh(catalog: Catalog, output: Path, cache: Cache | None) -> dict[str, bytes]:
    """Render the feeds and every page as one refresh does; the files written, by name."""
    site = Settings(base_url=BASE_URL).site
    shared = prepare(site, LocalFolder(output), cache)
    written = [
        *render_feeds(catalog, site=site, output_dir=output, now=NOW, rendering=shared),
        *render_site(catalog, site=site, output_dir=output, now=NOW, rendering=shared),
    ]
    return {path.name: path.read_bytes() for path in written}


def _entries(cache: Cache) -> list[Path]:
    return sorted((cache.folder / "templates").glob("*/*.jinja"))


def test_the_next_run_loads_compiled_templates_instead_of_compiling(
    catalog: Catalog, output: Path, tmp_path: Path, compiled: list[str]
) -> None:
    publish_episode(catalog, output)
    cache = Cache(tmp_path / "cache")
    first = _refresh(catalog, output, cache)
    compiled_first = list(compiled)
    compiled.clear()

    again = _refresh(catalog, output, cache)

    assert "episode.html.j2" in compiled_first
    assert len(_entries(cache)) == len(compiled_first)
    assert compiled == []  # every template came from the cache folder
    assert again == first
    assert _refresh(catalog, output, None) == first  # the same bytes as without a cache


def test_a_refresh_builds_one_environment_for_the_feeds_and_the_pages(
    catalog: Catalog, output: Path, tmp_path: Path, compiled: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    publish_episode(catalog, output)
    made: list[jinja2.Environment] = []

    def counting(cache: Cache | None = None) -> jinja2.Environment:
        made.append(render.environment(cache))
        return made[-1]

    monkeypatch.setattr(site, "environment", counting)
    settings = Settings(
        base_url=BASE_URL, output_dir=output, cache_dir=tmp_path / "cache",
        owner_email="desk@news.example.org", author="Newsroom",
    )  # fmt: skip
    with open_publisher(settings, NOW) as publisher:
        written = publisher.refresh(rebuild=True)

    assert len(made) == 1
    assert {"feed.xml", "articles.xml", "index.html"} <= {path.name for path in written}
    assert "episode.html.j2" in compiled
    assert len(compiled) == len(set(compiled))  # each template compiled once


def test_an_edited_template_is_compiled_again_and_its_new_text_shown(
    catalog: Catalog, output: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    compiled: list[str],
) -> None:  # fmt: skip
    publish_episode(catalog, output)
    cache = Cache(tmp_path / "cache")
    _refresh(catalog, output, cache)
    compiled.clear()
    real = jinja2.PackageLoader.get_source

    def edited(self: jinja2.PackageLoader, env: jinja2.Environment, name: str) -> Any:
        source, *rest = real(self, env, name)
        return (source + "<!-- edited -->\n" if name == "_base.html.j2" else source, *rest)

    monkeypatch.setattr(jinja2.PackageLoader, "get_source", edited)
    pages = _refresh(catalog, output, cache)

    assert compiled == ["_base.html.j2"]
    assert pages["index.html"].endswith(b"<!-- edited -->\n")


@pytest.mark.parametrize(
    "damage", [lambda data: data[:20], lambda data: b"", lambda data: bytes(len(data))]
)
def test_a_damaged_compiled_template_is_compiled_again(
    catalog: Catalog, output: Path, tmp_path: Path, compiled: list[str],
    damage: Callable[[bytes], bytes],
) -> None:  # fmt: skip
    publish_episode(catalog, output)
    cache = Cache(tmp_path / "cache")
    first = _refresh(catalog, output, cache)
    for entry in _entries(cache):
        entry.write_bytes(damage(entry.read_bytes()))
    compiled.clear()

    assert _refresh(catalog, output, cache) == first
    assert len(compiled) == len(_entries(cache))  # each compiled and written again
    compiled.clear()
    _refresh(catalog, output, cache)
    assert compiled == []


def test_an_unwritable_cache_only_costs_the_compiling(
    catalog: Catalog, output: Path, tmp_path: Path, compiled: list[str],
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    publish_episode(catalog, output)
    blocker = tmp_path / "file"
    blocker.write_text("not a folder", encoding="utf-8")
    cache = Cache(blocker / "cache")  # a folder inside a file cannot be made

    with caplog.at_level(logging.DEBUG, logger="audiobrief.cache"):
        first = _refresh(catalog, output, cache)

    assert first == _refresh(catalog, output, None)
    assert compiled
    # One quiet try: `feed` does not otherwise touch the cache, and runs from cron.
    tries = [r for r in caplog.records if "cannot write the cache" in r.getMessage()]
    assert [r.levelno for r in tries] == [logging.DEBUG]


def test_templates_compiled_under_other_environment_code_are_compiled_again(
    catalog: Catalog, output: Path, tmp_path: Path, compiled: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    # Jinja folds a filter applied to a constant into the compiled code: a new version
    # of the filters (render.py, views.py) must not be served the old code.
    publish_episode(catalog, output)
    cache = Cache(tmp_path / "cache")
    _refresh(catalog, output, cache)
    compiled.clear()
    monkeypatch.setattr(render, "_code", lambda: "the next version")

    _refresh(catalog, output, cache)

    assert "episode.html.j2" in compiled
