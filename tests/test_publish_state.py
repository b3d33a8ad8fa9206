"""Published state that nothing breaks: identity, the catalog guard, the public address,
unpublish, faults and runs side by side (real voice, real SQLite, real feed parser)."""

from __future__ import annotations

import datetime as dt
import http.server
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from mutagen.id3 import ID3

from audiobrief.errors import PublishError
from audiobrief.publish import catalog as catalog_module
from audiobrief.publish.catalog import Catalog, open_catalog
from state_support import (
    RAIN,
    Clock,
    consistent,
    error,
    items,
    run,
    temporaries,
    workspace,
)
from support import loopback_server

NOW = dt.datetime(2026, 11, 28, 9, 30, tzinfo=dt.UTC)
PUBLIC = "https://news.example.org/audio/"


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One synthesis cache for the module: each sentence is synthesized once."""
    return tmp_path_factory.mktemp("cache")


@pytest.fixture
def clock(tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch) -> Clock:
    return workspace(tmp_path, cache, monkeypatch, NOW)


def _guids(out: Path = Path("out")) -> dict[str, str]:
    return {str(i["guid"]): str(i["title"]) for i in items(out)}


# --- the catalog guard ------------------------------------------------------------------------


def test_an_empty_catalog_beside_published_feeds_is_an_error_and_changes_nothing(
    clock: Clock,
) -> None:
    run(["speak", "rain.txt", "-o", "out"])
    before = (Path("out") / "articles.xml").read_bytes()
    Path("out/catalog.sqlite").write_bytes(b"")
    line = error(["feed", "-o", "out"])
    assert "catalog.sqlite is empty" in line
    assert "restore catalog.sqlite" in line
    assert (Path("out") / "articles.xml").read_bytes() == before
    assert Path("out/catalog.sqlite").stat().st_size == 0


def test_a_missing_catalog_beside_published_feeds_is_an_error_for_speak_too(
    clock: Clock,
) -> None:
    run(["speak", "rain.txt", "-o", "out"])
    before = (Path("out") / "articles.xml").read_bytes()
    Path("out/catalog.sqlite").unlink()
    assert "catalog.sqlite is missing" in error(["speak", "market.txt", "-o", "out"])
    assert (Path("out") / "articles.xml").read_bytes() == before
    assert not Path("out/catalog.sqlite").exists()


def test_a_full_disk_at_the_commit_leaves_no_new_file(
    clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    run(["speak", "rain.txt", "-o", "out"])
    before = sorted(p for p in Path("out").rglob("*") if p.is_file())

    def full(*_args: object, **_kwargs: object) -> None:
        raise PublishError("cannot use the catalog (the disk is full; free some space)")

    monkeypatch.setattr(Catalog, "upsert", full)
    assert "disk is full" in error(["speak", "market.txt", "-o", "out"])
    assert sorted(p for p in Path("out").rglob("*") if p.is_file()) == before
    consistent(Path("out"))


def test_temporaries_of_a_dead_run_are_swept_by_the_next(clock: Clock) -> None:
    run(["speak", "rain.txt", "-o", "out"])
    (mp3,) = Path("out").rglob("*.mp3")
    left = [mp3.with_name(".rain.mp3.x1y2z3.tmp"), Path("out/.articles.xml.abc.tmp")]
    for path in left:
        path.write_bytes(b"half a file")
    run(["feed", "-o", "out"])
    assert temporaries(Path("out")) == []


def test_a_new_episode_costs_three_write_transactions_and_leaves_no_journal(
    clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    run(["speak", "rain.txt", "-o", "out"])
    opened: list[Any] = []
    real = catalog_module.connect

    def counting(target: Path | str) -> Any:
        opened.append(real(target))
        return opened[-1]

    monkeypatch.setattr(catalog_module, "connect", counting)
    run(["speak", "market.txt", "-o", "out"])
    # RUNNING set; the episode with its new guid and its journaled moves; the moves
    # settled with RUNNING cleared. Each commit is a few flushes of the disk.
    assert sum(db.transactions for db in opened) == 3
    with open_catalog(Path("out/catalog.sqlite")) as catalog:
        assert catalog.pending() == []
        assert not catalog.site_value("running")
    consistent(Path("out"))


# --- identity ---------------------------------------------------------------------------------


def test_a_recurring_headline_on_a_new_day_is_a_new_episode(clock: Clock) -> None:
    run(["speak", "rain.txt", "-o", "out"])
    (first,) = _guids()
    yesterday = {p: p.read_bytes() for p in Path("out").rglob("*.mp3")}
    clock.now = NOW + dt.timedelta(days=1)
    Path("rain.txt").write_text(RAIN.replace("غزيرة", "خفيفة"), encoding="utf-8")
    run(["speak", "rain.txt", "-o", "out"])
    assert len(_guids()) == 2
    assert first in _guids()
    assert all(path.read_bytes() == data for path, data in yesterday.items())
    assert "briefing-2026-11-29.mp3" in run(["brief", "-o", "out"]).output  # today's article
    (briefing,) = items(Path("out"), "feed.xml")
    assert "2026-11-29" in str(briefing["enclosures"][0]["url"])  # type: ignore[index]


def test_editing_a_file_article_s_body_keeps_its_episode(clock: Clock) -> None:
    run(["speak", "rain.txt", "-o", "out"])
    before = _guids()
    Path("rain.txt").write_text(RAIN + "\nوأعلنت السلطات حالة التأهب.\n", encoding="utf-8")
    clock.now = NOW + dt.timedelta(hours=2)
    run(["speak", "rain.txt", "-o", "out"])
    assert _guids() == before
    consistent(Path("out"))


def test_changed_audio_gets_new_files_and_the_old_ones_go(clock: Clock) -> None:
    run(["speak", "rain.txt", "-o", "out"])
    (old,) = Path("out").rglob("*.mp3")
    Path("rain.txt").write_text(RAIN + "\nوأعلنت السلطات حالة التأهب.\n", encoding="utf-8")
    run(["speak", "rain.txt", "-o", "out"])
    (new,) = Path("out").rglob("*.mp3")
    assert new.name == "rain.v2.mp3"
    assert not old.exists()
    assert not old.with_suffix(".vtt").exists()
    consistent(Path("out"))
    run(["speak", "rain.txt", "-o", "out"])  # unchanged: the same file, untouched
    assert [p.name for p in Path("out").rglob("*.mp3")] == ["rain.v2.mp3"]


def test_the_article_s_own_date_dates_its_episode_and_its_briefing(clock: Clock) -> None:
    Path("dated.md").write_text(
        "---\ntitle: مهرجان الموسيقى\ndate: 2026-11-20\n---\n\nافتتح المهرجان أمس بحضور كبير.\n",
        encoding="utf-8",
    )
    episode = run(["speak", "dated.md", "-o", "out"]).output
    assert "out/2026/11/20/articles/dated.mp3" in episode
    assert "2026-11-20" in run(["brief", "--date", "2026-11-20", "-o", "out"]).output
    assert "no articles were spoken for 2026-11-28" in error(["brief", "-o", "out"])


class _Pages(http.server.BaseHTTPRequestHandler):
    """One article page, whatever the query string; no canonical link."""

    body = (
        "<html><head><title>جسر جديد</title></head><body><article><h1>جسر جديد</h1>"
        "<p>افتتحت المدينة جسرا جديدا فوق الوادي يربط الحيين الشمالي والجنوبي.</p>"
        "</article></body></html>"
    ).encode()

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture
def site() -> Iterator[str]:
    with loopback_server(_Pages) as base:
        yield f"{base}/news/bridge"


def test_tracking_parameters_do_not_make_a_second_episode(clock: Clock, site: str) -> None:
    run(["speak", site, "-o", "out"])
    run(["speak", f"{site}?utm_source=twitter&utm_medium=social&fbclid=AbC#comments", "-o", "out"])
    (guid,) = _guids()
    with open_catalog(Path("out/catalog.sqlite")) as catalog:
        (record,) = catalog.episodes("article")
    assert record.guid == guid
    assert record.key == site


# --- the public address -----------------------------------------------------------------------


def _public(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUDIOBRIEF_OWNER_EMAIL", "desk@news.example.org")
    monkeypatch.setenv("AUDIOBRIEF_AUTHOR", "News Desk")


def test_a_run_without_base_url_keeps_the_stored_public_address(
    clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    _public(monkeypatch)
    run(["speak", "rain.txt", "-o", "out", "--base-url", PUBLIC])
    run(["-q", "brief", "-o", "out"])  # the README's cron line: no flag
    for name in ("feed.xml", "articles.xml", "index.html"):
        text = (Path("out") / name).read_text("utf-8")
        assert PUBLIC in text
        assert "127.0.0.1" not in text
    consistent(Path("out"))


def test_another_base_url_is_refused_until_the_site_is_moved(
    clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    _public(monkeypatch)
    run(["speak", "rain.txt", "-o", "out", "--base-url", PUBLIC])
    before = (Path("out") / "articles.xml").read_bytes()
    line = error(["feed", "-o", "out", "--base-url", "https://other.example/a/"])
    assert "audiobrief move --base-url https://other.example/a/" in line
    assert (Path("out") / "articles.xml").read_bytes() == before
    run(["move", "--base-url", "https://other.example/a/", "-o", "out"])
    feed = (Path("out") / "articles.xml").read_text("utf-8")
    assert PUBLIC not in feed
    assert "https://other.example/a/rain" not in feed
    assert "<itunes:new-feed-url>https://other.example/a/articles.xml<" in feed
    (item,) = items(Path("out"))
    assert str(item["enclosures"][0]["url"]).startswith("https://other.example/a/2026/")  # type: ignore[index]
    run(["feed", "-o", "out"])  # and it stays there
    assert "https://other.example/a/" in (Path("out") / "feed.xml").read_text("utf-8")


def test_a_local_preview_address_gives_way_to_the_first_public_one(
    clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    _public(monkeypatch)
    run(["speak", "rain.txt", "-o", "out"])  # previewed at 127.0.0.1 first
    run(["feed", "-o", "out", "--base-url", PUBLIC])
    assert PUBLIC in (Path("out") / "articles.xml").read_text("utf-8")


def test_publishing_to_https_with_the_placeholder_owner_is_refused(clock: Clock) -> None:
    line = error(["speak", "rain.txt", "-o", "out", "--base-url", PUBLIC])
    assert "owner_email" in line
    assert "placeholder" in line
    assert not Path("out/articles.xml").exists()


# --- unpublish --------------------------------------------------------------------------------


def test_unpublish_by_mp3_path_removes_it_everywhere_for_good(clock: Clock) -> None:
    run(["speak", "rain.txt", "market.txt", "-o", "out"])
    (rain,) = Path("out").rglob("rain.mp3")
    said = run(["unpublish", str(rain), "-o", "out"]).output
    assert said.startswith("unpublished ")
    assert [str(i["title"]).split(" (")[0] for i in items(Path("out"))] == ["سوق الخضر"]
    assert not rain.exists()
    assert not rain.with_suffix(".vtt").exists()
    assert not rain.with_suffix(".html").exists()
    assert "أمطار في فاس" not in (Path("out") / "index.html").read_text("utf-8")
    run(["feed", "-o", "out"])
    assert len(items(Path("out"))) == 1
    assert "--republish" in error(["speak", "rain.txt", "-o", "out"])
    consistent(Path("out"))


def test_republish_brings_back_the_same_guid(clock: Clock) -> None:
    run(["speak", "rain.txt", "-o", "out"])
    (guid,) = _guids()
    run(["unpublish", guid, "-o", "out", "--keep-files"])
    assert _guids() == {}
    assert list(Path("out").rglob("rain.mp3"))  # --keep-files
    run(["speak", "rain.txt", "-o", "out", "--republish"])
    assert list(_guids()) == [guid]
    consistent(Path("out"))


def test_unpublish_by_source_file_and_by_article_url(clock: Clock, site: str) -> None:
    run(["speak", "rain.txt", site, "-o", "out"])
    assert len(_guids()) == 2
    run(["unpublish", "rain.txt", f"{site}?utm_source=x", "-o", "out"])
    assert _guids() == {}


def test_unpublish_of_an_unknown_reference_changes_nothing(clock: Clock) -> None:
    run(["speak", "rain.txt", "-o", "out"])
    before = (Path("out") / "articles.xml").read_bytes()
    assert "no published episode matches nope" in error(["unpublish", "nope", "-o", "out"])
    assert (Path("out") / "articles.xml").read_bytes() == before


def test_each_mp3_tag_names_its_own_episode(clock: Clock) -> None:
    run(["speak", "rain.txt", "market.txt", "-o", "out"])
    listed = consistent(Path("out"))
    titles = {str(ID3(Path("out") / p)["TIT2"]).split(" (")[0] for p in listed.values()}
    assert titles == {"أمطار في فاس", "سوق الخضر"}


def test_version_numbers_only_go_up_so_no_url_names_two_files(clock: Clock) -> None:
    run(["speak", "rain.txt", "-o", "out"])
    for number, extra in enumerate(("وأعلنت السلطات حالة التأهب.", "وتوقفت الدراسة."), 2):
        Path("rain.txt").write_text(RAIN + f"\n{extra}\n", encoding="utf-8")
        run(["speak", "rain.txt", "-o", "out"])
        assert [p.name for p in Path("out").rglob("*.mp3")] == [f"rain.v{number}.mp3"]
    consistent(Path("out"))


def test_the_show_s_identity_is_kept_by_runs_that_do_not_set_it(
    clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    _public(monkeypatch)
    run(["speak", "rain.txt", "-o", "out", "--base-url", PUBLIC])
    monkeypatch.delenv("AUDIOBRIEF_OWNER_EMAIL")
    monkeypatch.delenv("AUDIOBRIEF_AUTHOR")
    run(["feed", "-o", "out"])  # a run with no settings at all: the stored ones apply
    feed = (Path("out") / "articles.xml").read_text("utf-8")
    assert "desk@news.example.org" in feed
    assert "<itunes:author>News Desk<" in feed
    monkeypatch.setenv("AUDIOBRIEF_AUTHOR", "Radio Fes")  # set on purpose: it changes
    run(["feed", "-o", "out"])
    monkeypatch.delenv("AUDIOBRIEF_AUTHOR")
    run(["feed", "-o", "out"])  # and stays changed
    assert "<itunes:author>Radio Fes<" in (Path("out") / "articles.xml").read_text("utf-8")
