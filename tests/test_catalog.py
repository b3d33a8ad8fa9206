"""The catalog: one SQLite file, stable guids, one transaction per episode."""

from __future__ import annotations

import dataclasses
import datetime as dt
import sqlite3
import uuid
from pathlib import Path

import pytest

from audiobrief.errors import PublishError
from audiobrief.model import EpisodeInfo
from audiobrief.publish.catalog import (
    SCHEMA_VERSION,
    EpisodeRecord,
    open_catalog,
    podcast_guid,
    script_from_json,
    timeline_from_json,
    to_json,
)
from audiobrief.store import canonical_json
from publish_fixtures import NOW, publish_episode, script_and_timeline

CORRUPT = "is not a valid catalog; restore it from your backup, keeping this file aside"


def test_new_catalog_is_one_versioned_file(output: Path) -> None:
    with open_catalog(output / "catalog.sqlite") as catalog:
        publish_episode(catalog, output)
    assert sorted(p.name for p in output.iterdir() if p.is_file()) == ["catalog.sqlite"]
    with sqlite3.connect(output / "catalog.sqlite") as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "delete"


def test_catalog_folder_is_created(tmp_path: Path) -> None:
    with open_catalog(tmp_path / "new" / "catalog.sqlite") as catalog:
        assert catalog.episodes() == []
    assert (tmp_path / "new" / "catalog.sqlite").is_file()


@pytest.mark.parametrize(
    ("feed_url", "expected"),
    [
        ("https://podnews.net/rss", "9b024349-ccf0-5f69-a609-6b82873eab3c"),
        ("http://podnews.net/rss/", "9b024349-ccf0-5f69-a609-6b82873eab3c"),
        ("podnews.net/rss", "9b024349-ccf0-5f69-a609-6b82873eab3c"),
        ("https://mp3s.nashownotes.com/pc20rss.xml", "917393e3-1b1e-5cef-ace4-edaa54e1f810"),
    ],
)
def test_podcast_guid_matches_the_namespace_test_vectors(feed_url: str, expected: str) -> None:
    assert podcast_guid(feed_url) == expected


def test_channel_guid_is_derived_once_and_kept_when_the_feed_moves(output: Path) -> None:
    path = output / "catalog.sqlite"
    with open_catalog(path) as catalog:
        first = catalog.channel_guid("https://podnews.net/rss")
    with open_catalog(path) as catalog:
        moved = catalog.channel_guid("https://new-host.example/audio/rss")
        other = catalog.channel_guid("https://podnews.net/articles.xml")
    assert first == moved == "9b024349-ccf0-5f69-a609-6b82873eab3c"
    assert other == podcast_guid("https://podnews.net/articles.xml")


def test_episode_guid_is_assigned_once_per_kind_and_key(output: Path) -> None:
    path = output / "catalog.sqlite"
    with open_catalog(path) as catalog:
        guid = catalog.episode_guid("briefing", "2026-11-28")
        assert catalog.episode_guid("briefing", "2026-11-28") == guid
        assert catalog.episode_guid("briefing", "2026-11-29") != guid
        assert catalog.episode_guid("article", "2026-11-28") != guid
    with open_catalog(path) as catalog:
        assert catalog.episode_guid("briefing", "2026-11-28") == guid
    assert uuid.UUID(guid).version == 4


def test_unknown_kind_is_refused(output: Path) -> None:
    with open_catalog(output / "catalog.sqlite") as catalog, pytest.raises(PublishError):
        catalog.episode_guid("podcast", "x")  # type: ignore[arg-type]


def test_record_reads_back_equal_to_what_was_written(output: Path) -> None:
    path = output / "catalog.sqlite"
    with open_catalog(path) as catalog:
        written = publish_episode(catalog, output)
    with open_catalog(path) as catalog:
        assert catalog.get(written.guid) == written
        assert catalog.find("article", written.key) == written
        assert catalog.get("no-such-guid") is None
        assert catalog.find("briefing", written.key) is None


def test_rerun_updates_the_same_episode_instead_of_adding_one(output: Path) -> None:
    with open_catalog(output / "catalog.sqlite") as catalog:
        first = publish_episode(catalog, output)
        second = publish_episode(catalog, output, title="عنوان مصحح")
        assert [r.guid for r in catalog.episodes()] == [first.guid]
        assert second.guid == first.guid
        assert catalog.episodes()[0].title == "عنوان مصحح"
        assert catalog.revision(first.guid) == 1


def test_changed_audio_raises_the_revision_but_keeps_the_guid(output: Path) -> None:
    with open_catalog(output / "catalog.sqlite") as catalog:
        first = publish_episode(catalog, output)
        longer = publish_episode(catalog, output, sections=[("عنوان", ["نص أطول", "ونص آخر"])])
        assert longer.guid == first.guid
        assert catalog.revision(first.guid) == 2
        publish_episode(catalog, output, sections=[("عنوان", ["نص أطول", "ونص آخر"])])
        assert catalog.revision(first.guid) == 2


def test_episodes_are_newest_first_and_filter_by_kind_and_day(output: Path) -> None:
    later = NOW + dt.timedelta(hours=1)
    tomorrow = NOW.date() + dt.timedelta(days=1)
    with open_catalog(output / "catalog.sqlite") as catalog:
        old = publish_episode(catalog, output, slug="a", url="https://x.example/a")
        new = publish_episode(catalog, output, slug="b", url="https://x.example/b", published=later)
        brief = publish_episode(catalog, output, kind="briefing", slug="briefing", url=None)
        next_day = publish_episode(
            catalog, output, slug="c", url="https://x.example/c", day=tomorrow, published=later
        )
        assert [r.guid for r in catalog.episodes("article", day=NOW.date())] == [new.guid, old.guid]
        assert [r.guid for r in catalog.episodes("briefing")] == [brief.guid]
        assert len(catalog.episodes()) == 4
        assert catalog.episodes(day=tomorrow) == [next_day]


def test_published_times_in_other_zones_sort_by_instant(output: Path) -> None:
    casablanca = dt.timezone(dt.timedelta(hours=1))
    earlier_local = dt.datetime(2026, 11, 28, 10, 0, tzinfo=casablanca)  # 09:00 UTC
    with open_catalog(output / "catalog.sqlite") as catalog:
        utc = publish_episode(catalog, output, slug="a", url="https://x.example/a")  # 09:30 UTC
        local = publish_episode(
            catalog, output, slug="b", url="https://x.example/b", published=earlier_local
        )
        assert [r.guid for r in catalog.episodes()] == [utc.guid, local.guid]
        assert catalog.get(local.guid).published == earlier_local  # type: ignore[union-attr]


def test_corrupt_catalog_is_reported_and_left_untouched(output: Path) -> None:
    path = output / "catalog.sqlite"
    garbage = b"this is not sqlite at all" * 100
    path.write_bytes(garbage)
    with pytest.raises(PublishError, match=CORRUPT):
        open_catalog(path)
    assert path.read_bytes() == garbage


def test_foreign_sqlite_database_is_not_taken_for_a_catalog(output: Path) -> None:
    path = output / "catalog.sqlite"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE notes (text TEXT)")
    before = path.read_bytes()
    with pytest.raises(PublishError, match=CORRUPT):
        open_catalog(path)
    assert path.read_bytes() == before


def test_catalog_from_a_newer_audiobrief_asks_for_an_upgrade(output: Path) -> None:
    path = output / "catalog.sqlite"
    open_catalog(path).close()
    with sqlite3.connect(path) as db:
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(PublishError, match="newer audiobrief"):
        open_catalog(path)


def test_upsert_refuses_a_guid_that_belongs_to_another_episode(output: Path) -> None:
    with open_catalog(output / "catalog.sqlite") as catalog:
        record = publish_episode(catalog, output)
        thief = dataclasses.replace(record, key="https://x.example/other", mp3="other.mp3")
        with pytest.raises(PublishError, match="belong to different episodes"):
            catalog.upsert(thief)
        assert catalog.episodes() == [record]


def test_failed_upsert_changes_nothing(output: Path) -> None:
    with open_catalog(output / "catalog.sqlite") as catalog:
        record = publish_episode(catalog, output)
        clash = dataclasses.replace(record, guid=str(uuid.uuid4()), key="https://x.example/2")
        with pytest.raises(PublishError, match="already belongs to another episode"):
            catalog.upsert(clash)  # same MP3 path as the first episode
        assert catalog.episodes() == [record]
        assert catalog.episode_guid("article", "https://x.example/2") != clash.guid


@pytest.mark.parametrize("mp3", ["../outside.mp3", "/etc/x.mp3", "a\\b.mp3", ""])
def test_upsert_refuses_paths_outside_the_output_folder(output: Path, mp3: str) -> None:
    with open_catalog(output / "catalog.sqlite") as catalog:
        record = publish_episode(catalog, output)
        with pytest.raises(PublishError, match="relative to the output folder"):
            catalog.upsert(dataclasses.replace(record, mp3=mp3))


def test_upsert_refuses_a_published_time_without_zone(output: Path) -> None:
    with open_catalog(output / "catalog.sqlite") as catalog:
        record = publish_episode(catalog, output)
        naive = dataclasses.replace(record, published=dt.datetime(2026, 11, 28, 9, 0))
        with pytest.raises(PublishError, match="time zone"):
            catalog.upsert(naive)


def test_timeline_and_script_survive_json() -> None:
    script, timeline = script_and_timeline([("عنوان «مهم»", ["فقرة فيها Renault و 3,5 %."])])
    assert timeline_from_json(to_json(timeline)) == timeline
    assert script_from_json(to_json(script)) == script
    assert "«مهم»" in to_json(script)  # stored readable, not as \\u escapes


def test_json_columns_keep_the_text_earlier_versions_wrote() -> None:
    # Rows written before keep their audio_key (a hash of this text): to_json must spell
    # a Script and a Timeline as the canonical JSON of dataclasses.asdict did.
    script, timeline = script_and_timeline(
        [("عنوان", ["فقرة أولى.", "Second, in English."]), ("خاتمة", ["شكرا."])]
    )
    script = dataclasses.replace(
        script, sections=(dataclasses.replace(script.sections[0], url="https://x.example/1"),)
    )
    for value in (script, timeline):
        assert to_json(value) == canonical_json(dataclasses.asdict(value))


def test_record_from_episode_info_takes_the_pipeline_key() -> None:
    script, timeline = script_and_timeline([("عنوان", ["نص"])])
    info = EpisodeInfo(
        kind="briefing", guid="g", title="t", date=NOW.date(), published=NOW, slug="s",
        description="d",
    )  # fmt: skip
    files = {"vtt": "a.vtt"}
    record = EpisodeRecord.of(
        info, mp3="a.mp3", size_bytes=10, timeline=timeline, script=script, files=files
    )
    assert (record.key, record.duration_ms, record.files) == ("2026-11-28", 5000, files)
    article = dataclasses.replace(info, kind="article", url=None, slug="my-slug")
    assert (
        EpisodeRecord.of(
            article, mp3="a.mp3", size_bytes=10, timeline=timeline, script=script, files=files
        ).key
        == "file:my-slug"
    )


def test_a_version_1_catalog_is_upgraded_in_place_keeping_its_episodes(output: Path) -> None:
    path = output / "catalog.sqlite"
    with open_catalog(path) as catalog:
        info = publish_episode(catalog, output)
    with sqlite3.connect(path) as db:  # back to what audiobrief 0.1 wrote
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        for table in set(tables) - {"channel", "guids", "episodes"}:
            db.execute(f"DROP TABLE {table}")
        db.execute("PRAGMA user_version = 1")
    with sqlite3.connect(path) as db:
        assert "pending" not in {r[0] for r in db.execute("SELECT name FROM sqlite_master")}
    with open_catalog(path) as catalog:
        assert [r.guid for r in catalog.episodes()] == [info.guid]
        assert catalog.pending() == []
        assert catalog.tombstone("article", "x") is None
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


@pytest.mark.parametrize(
    ("message", "advice"),
    [
        ("database or disk is full", "the disk is full; free some space"),
        ("attempt to write a readonly database", "it is read-only; give the user"),
        ("database is locked", "another program holds it"),
        ("database disk image is malformed", "the file is damaged; restore catalog.sqlite"),
    ],
)
def test_catalog_errors_give_the_advice_of_their_real_cause(message: str, advice: str) -> None:
    from audiobrief.publish.catalog import advice as advise

    said = advise(sqlite3.OperationalError(message), Path("out/catalog.sqlite"))
    assert said.startswith(advice)
    assert "move it away" not in said  # never the advice that empties the feeds


def test_a_stem_is_taken_by_any_version_of_an_episode_s_files(output: Path) -> None:
    with open_catalog(output / "catalog.sqlite") as catalog:
        record = publish_episode(catalog, output)
        stem = record.mp3.removesuffix(".mp3")
        assert catalog.stem_taken(stem)
        assert not catalog.stem_taken(stem + "-other")
        assert not catalog.stem_taken(stem.rsplit("/", 1)[0])  # its folder is no stem
        catalog.upsert(dataclasses.replace(record, mp3=f"{stem}.v3.mp3"))
        assert catalog.stem_taken(stem)


def test_the_day_s_articles_are_oldest_first_with_the_article_kept_or_none(
    output: Path,
) -> None:
    later = NOW + dt.timedelta(hours=1)
    with open_catalog(output / "catalog.sqlite") as catalog:
        new = publish_episode(catalog, output, slug="b", url="https://x.example/b", published=later)
        old = publish_episode(catalog, output, slug="a", url="https://x.example/a")
        publish_episode(catalog, output, kind="briefing", slug="briefing", url=None)
        publish_episode(
            catalog, output, slug="c", url="https://x.example/c",
            day=NOW.date() + dt.timedelta(days=1),
        )  # fmt: skip
        catalog.upsert(new, article='{"title": "ب"}')
        assert catalog.day_articles(NOW.date().isoformat()) == [
            (old.guid, None),
            (new.guid, '{"title": "ب"}'),
        ]


def test_find_all_gives_each_published_key_s_episode_past_a_query_s_500_keys(
    output: Path,
) -> None:
    with open_catalog(output / "catalog.sqlite") as catalog:
        a = publish_episode(catalog, output, slug="a", url="https://x.example/a")
        b = publish_episode(catalog, output, slug="b", url="https://x.example/b")
        publish_episode(catalog, output, kind="briefing", slug="briefing", url=None)
        unknown = [f"https://x.example/none-{k}" for k in range(1200)]
        keys = [*unknown[:700], b.key, *unknown[700:], a.key, b.key, NOW.date().isoformat()]
        assert catalog.find_all("article", keys) == {a.key: a, b.key: b}
        assert catalog.find_all("article", []) == {}
