"""`speak` and `brief` with output_url = s3://...: a real S3-compatible server (moto).

Real synthesis (eSpeak NG), real MP3s, the real catalog; the bucket is moto in server
mode on loopback (tests/s3_server.py). The work folder keeps only the catalog.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import re
import shutil
from pathlib import Path
from typing import Any

import feedparser
import podcastparser
import pytest

import s3_server
from audiobrief.errors import PublishError
from audiobrief.publish.bucket import Bucket
from audiobrief.publish.catalog import Catalog, open_catalog
from audiobrief.publish.journal import UPLOADS
from audiobrief.publish.storage import headers
from s3_server import S3
from state_support import error, freeze, run

s3_endpoint, s3 = s3_server.s3_endpoint, s3_server.s3  # the fixtures, by name

REPO = Path(__file__).resolve().parents[1]
BASE = "http://127.0.0.1:8000/"  # the default base_url
NOW = dt.datetime(2026, 11, 28, 9, 30, tzinfo=dt.UTC)
SHORT = "اجتماع في فاس\n\nترأست السيدة خديجة اجتماعا. وقدمت الحصيلة.\n"
EDITED = SHORT + "\nوتقرر عقد اجتماع آخر في الشهر المقبل.\n"
EPISODE_FILES = (".mp3", ".vtt", ".srt", ".chapters.json")


@pytest.fixture(scope="session")
def synthesis_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One synthesis cache for these tests: the same sentences are rendered once."""
    return tmp_path_factory.mktemp("s3-synthesis-cache")


@pytest.fixture
def site(s3: S3, synthesis_cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> S3:
    """voices/ and short.txt in the working folder, the clock at NOW, the bucket empty."""
    shutil.copytree(REPO / "voices", tmp_path / "voices")
    (tmp_path / "short.txt").write_text(SHORT, encoding="utf-8")
    monkeypatch.setenv("AUDIOBRIEF_CACHE_DIR", str(synthesis_cache))
    freeze(monkeypatch, NOW)
    return s3


def _catalog() -> Catalog:
    return open_catalog(Path("work/catalog.sqlite"))


def _article_mp3() -> str:
    """The MP3 of the first article spoken."""
    with _catalog() as catalog:
        return catalog.episodes("article")[-1].mp3


def _enclosures(s3: S3, feed: str) -> list[tuple[str, int]]:
    """(name in the bucket, length) of each enclosure, read by both feed parsers."""
    data = s3.get(feed)
    parsed = podcastparser.parse(BASE + feed, io.BytesIO(data))
    by_podcastparser = [
        (e["enclosures"][0]["url"], e["enclosures"][0]["file_size"]) for e in parsed["episodes"]
    ]
    checked = feedparser.parse(data)
    assert not checked.bozo, checked.bozo_exception
    by_feedparser = [(e.enclosures[0].href, int(e.enclosures[0].length)) for e in checked.entries]
    assert sorted(by_podcastparser) == sorted(by_feedparser)
    assert all(url.startswith(BASE) for url, _ in by_feedparser)
    return [(url.removeprefix(BASE), size) for url, size in by_feedparser]


def _listed_names(s3: S3, feed: str) -> set[str]:
    """Every file of the site a feed points at (enclosures, transcripts, chapters, cover)."""
    text = s3.get(feed).decode("utf-8")
    urls = re.findall(r'(?:url|href)="(' + re.escape(BASE) + r'[^"?]+)', text)
    return {url.removeprefix(BASE) for url in urls if url != BASE}


def _check_feeds_list_only_stored_objects(s3: S3) -> None:
    stored = s3.names()
    for feed in ("feed.xml", "articles.xml"):
        for name, size in _enclosures(s3, feed):
            assert s3.head(name)["ContentLength"] == size
        assert _listed_names(s3, feed) <= set(stored), feed


def test_speak_and_brief_put_every_file_in_the_bucket_with_its_headers(site: S3) -> None:
    run(["speak", "short.txt", "-o", "work"])
    run(["brief", "-o", "work"])

    stored = site.names()
    stem = _article_mp3().removesuffix(".mp3")
    with _catalog() as catalog:
        (briefing,) = catalog.episodes("briefing")
    day = briefing.mp3.removesuffix(".mp3")
    expected = {
        "feed.xml", "articles.xml", "index.html", "cover.png",
        "archive/articles-1.html", "archive/briefings-1.html",
        *(stem + s for s in (*EPISODE_FILES, ".html", ".embed.html")),
        *(day + s for s in (*EPISODE_FILES, ".html")),
    }  # fmt: skip
    assert set(stored) == expected
    for name in stored:
        head = site.head(name)
        assert (head["ContentType"], head["CacheControl"]) == headers(name), name
    assert "immutable" in site.head(stem + ".mp3")["CacheControl"]
    assert "max-age=300" in site.head("feed.xml")["CacheControl"]
    assert stored[stem + ".mp3"] > 1000
    _check_feeds_list_only_stored_objects(site)
    assert [name for name, _ in _enclosures(site, "articles.xml")] == [stem + ".mp3"]
    # The work folder keeps the catalog and nothing a listener gets.
    left = sorted(p.name for p in Path("work").rglob("*") if p.is_file())
    assert all(name.startswith("catalog.sqlite") or name.startswith(".") for name in left), left


def test_brief_joins_the_article_audio_fetched_from_the_bucket(
    site: S3, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    run(["speak", "short.txt", "-o", "work"])
    fetched: list[str] = []
    real_local = Bucket.local

    def local(self: Bucket, name: str, scratch: Path) -> Path | None:
        found = real_local(self, name, scratch)
        fetched.append(name if found and found.is_file() else f"missing {name}")
        return found

    monkeypatch.setattr(Bucket, "local", local)
    # A new machine: the episode cache does not have the article's audio.
    monkeypatch.setenv("AUDIOBRIEF_CACHE_DIR", str(tmp_path / "other-cache"))
    with caplog.at_level(logging.INFO, logger="audiobrief.voice.briefing"):
        run(["brief", "-o", "work"])
    assert fetched == [_article_mp3()]
    assert "joined the audio of 1 articles, rendered 0 again" in caplog.text
    assert not list(Path("work").glob(".fetched-*"))  # the download is gone

    # Without the object the briefing renders the article again.
    site.client.delete_object(Bucket=site.bucket, Key=site.key(_article_mp3()))
    monkeypatch.setenv("AUDIOBRIEF_CACHE_DIR", str(tmp_path / "third-cache"))
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="audiobrief.voice.briefing"):
        run(["brief", "-o", "work"])
    assert fetched[-1] == f"missing {_article_mp3()}"
    assert "joined the audio of 0 articles, rendered 1 again" in caplog.text


def _spy(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """Record, in order, the uploads, writes, deletes and catalog commits."""
    events: list[tuple[str, str]] = []
    for method in ("move_in", "put_bytes", "delete"):
        real = getattr(Bucket, method)

        def spy(self: Bucket, name: str, *args: Any, _real: Any = real, _m: str = method) -> Any:
            events.append((_m, name))
            return _real(self, name, *args)

        monkeypatch.setattr(Bucket, method, spy)
    real_upsert = Catalog.upsert

    def upsert(self: Catalog, record: Any, **kwargs: Any) -> None:
        real_upsert(self, record, **kwargs)
        events.append(("commit", record.mp3))

    monkeypatch.setattr(Catalog, "upsert", upsert)
    return events


def test_an_edited_article_goes_up_as_a_new_version_and_the_old_goes_after_the_feed(
    site: S3, monkeypatch: pytest.MonkeyPatch
) -> None:
    run(["speak", "short.txt", "-o", "work"])
    old = _article_mp3()
    Path("short.txt").write_text(EDITED, encoding="utf-8")
    events = _spy(monkeypatch)
    run(["speak", "short.txt", "-o", "work"])

    new = _article_mp3()
    assert new == old.removesuffix(".mp3") + ".v2.mp3"
    stored = site.names()
    assert new in stored
    assert not {old.removesuffix(".mp3") + s for s in EPISODE_FILES} & set(stored)
    upload, commit = events.index(("move_in", new)), events.index(("commit", new))
    feed, gone = events.index(("put_bytes", "articles.xml")), events.index(("delete", old))
    assert upload < commit < feed < gone
    assert [name for name, _ in _enclosures(site, "articles.xml")] == [new]
    _check_feeds_list_only_stored_objects(site)


def test_a_failure_between_upload_and_commit_keeps_the_feed_and_the_next_run_collects(
    site: S3, monkeypatch: pytest.MonkeyPatch
) -> None:
    run(["speak", "short.txt", "-o", "work"])
    old, feed = _article_mp3(), site.get("articles.xml")
    Path("short.txt").write_text(EDITED, encoding="utf-8")

    def fail(*args: object, **kwargs: object) -> None:
        raise PublishError("injected: the catalog's disk went away")

    with monkeypatch.context() as patch:
        patch.setattr(Catalog, "upsert", fail)
        result = run(["speak", "short.txt", "-o", "work"], code=1)
    assert "injected: the catalog's disk went away" in result.output

    assert site.get("articles.xml") == feed
    assert _article_mp3() == old
    orphans = {n for n in site.names() if ".v2." in n}
    assert orphans == {old.removesuffix(".mp3") + ".v2" + s for s in EPISODE_FILES}
    assert [n for n in site.names() if n.startswith(UPLOADS)]
    _check_feeds_list_only_stored_objects(site)

    run(["feed", "-o", "work"])  # any next run collects them
    stored = site.names()
    assert not {n for n in stored if ".v2." in n or n.startswith(UPLOADS)}
    assert old in stored
    _check_feeds_list_only_stored_objects(site)


def test_unpublish_deletes_the_episode_objects_and_its_player(site: S3) -> None:
    run(["speak", "short.txt", "-o", "work"])
    stem = _article_mp3().removesuffix(".mp3")
    assert stem + ".embed.html" in site.names()
    run(["unpublish", "short.txt", "-o", "work"])
    stored = site.names()
    assert not [n for n in stored if n.startswith(stem)]
    assert _enclosures(site, "articles.xml") == []
    assert "articles.xml" in stored


def test_a_lost_catalog_does_not_take_over_a_published_bucket(site: S3) -> None:
    run(["speak", "short.txt", "-o", "work"])
    feed = site.get("articles.xml")
    Path("work/catalog.sqlite").unlink()
    line = error(["speak", "short.txt", "-o", "work"])
    assert "holds published feed.xml and articles.xml" in line
    assert "restore the site's catalog" in line
    assert site.get("articles.xml") == feed


def test_speaking_an_unchanged_article_again_uploads_nothing(
    site: S3, monkeypatch: pytest.MonkeyPatch
) -> None:
    run(["speak", "short.txt", "-o", "work"])
    before = site.names()
    events = _spy(monkeypatch)
    run(["speak", "short.txt", "-o", "work"])
    assert not [e for e in events if e[0] == "move_in"]
    assert site.names().keys() == before.keys()
    assert [e for e in events if e[0] == "delete" and not e[1].startswith(UPLOADS)] == []


def test_episodes_past_feed_keep_keep_their_objects_for_the_archive(
    site: S3, monkeypatch: pytest.MonkeyPatch
) -> None:
    Path("edited.txt").write_text(EDITED, encoding="utf-8")
    run(["speak", "short.txt", "-o", "work"])
    first = _article_mp3().removesuffix(".mp3")
    freeze(monkeypatch, NOW + dt.timedelta(hours=1))  # the second article is the newest
    run(["speak", "edited.txt", "-o", "work"])
    monkeypatch.setenv("AUDIOBRIEF_FEED_KEEP", "1")
    run(["feed", "--prune-files", "-o", "work"])  # kept for old scripts: deletes nothing
    stored = set(site.names())
    assert {first + s for s in (*EPISODE_FILES, ".html")} <= stored
    listed = [n for n, _ in _enclosures(site, "articles.xml")]
    assert len(listed) == 1
    assert not listed[0].startswith(first)
    archive = site.get("archive/articles-1.html").decode("utf-8")
    assert first.rsplit("/", 1)[-1] in archive
    _check_feeds_list_only_stored_objects(site)


def test_a_folder_site_copied_into_the_bucket_gets_its_headers_on_the_next_run(
    site: S3, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AUDIOBRIEF_OUTPUT_URL")
    run(["speak", "short.txt", "-o", "work"])  # published into the folder
    for path in Path("work").rglob("*"):
        name = path.relative_to("work").as_posix()
        if path.is_file() and not name.startswith(("catalog.sqlite", ".")):
            site.client.put_object(Bucket=site.bucket, Key=site.key(name), Body=path.read_bytes())
    monkeypatch.setenv("AUDIOBRIEF_OUTPUT_URL", site.url)
    run(["feed", "--rebuild", "-o", "work"])  # every page, as after any copy of the site
    for name in ("feed.xml", "articles.xml", "index.html", _article_mp3()[:-4] + ".html"):
        head = site.head(name)
        assert (head["ContentType"], head["CacheControl"]) == headers(name), name
    _check_feeds_list_only_stored_objects(site)
