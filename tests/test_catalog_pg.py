"""The catalog on both backends: SQLite's behaviour, the same on a real PostgreSQL server.

test_catalog.py holds the catalog's behavioural tests as written for the SQLite file;
here they run again once per backend (`catalog_backend`), with the `open_catalog` they
call pointed at the backend's catalog. Then what only a server has: its schema version,
schemas shared by sites, the advisory lock, and the errors of a server that says no.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

import test_catalog as behaviour
from audiobrief.config import settings_from_mapping
from audiobrief.errors import CatalogUnavailable, ConfigError, PublishError
from audiobrief.publish.catalog import SCHEMA_VERSION, Catalog, Seen, find_catalog, open_catalog
from audiobrief.publish.lock import site_lock
from audiobrief.publish.postgres import VERSION_TABLE
from pg_server import PgServer, catalog_backend, pg_server, pg_url  # noqa: F401
from publish_fixtures import publish_episode

SHARED: list[Callable[[Path], None]] = [
    behaviour.test_channel_guid_is_derived_once_and_kept_when_the_feed_moves,
    behaviour.test_episode_guid_is_assigned_once_per_kind_and_key,
    behaviour.test_unknown_kind_is_refused,
    behaviour.test_record_reads_back_equal_to_what_was_written,
    behaviour.test_rerun_updates_the_same_episode_instead_of_adding_one,
    behaviour.test_changed_audio_raises_the_revision_but_keeps_the_guid,
    behaviour.test_episodes_are_newest_first_and_filter_by_kind_and_day,
    behaviour.test_published_times_in_other_zones_sort_by_instant,
    behaviour.test_upsert_refuses_a_guid_that_belongs_to_another_episode,
    behaviour.test_failed_upsert_changes_nothing,
    behaviour.test_upsert_refuses_a_published_time_without_zone,
    behaviour.test_a_stem_is_taken_by_any_version_of_an_episode_s_files,
    *(
        functools.partial(behaviour.test_upsert_refuses_paths_outside_the_output_folder, mp3=mp3)
        for mp3 in ("../outside.mp3", "/etc/x.mp3", "a\\b.mp3", "")
    ),
]
"""Every behavioural test of test_catalog.py but those about the SQLite file itself
(its journal mode, a damaged or foreign file, PRAGMA user_version): the server's own
versions of those are below."""


def _name(test: Callable[[Path], None]) -> str:
    if isinstance(test, functools.partial):
        return f"{test.func.__name__}[{test.keywords['mp3']!r}]"
    return test.__name__


@pytest.mark.parametrize("test", SHARED, ids=_name)
def test_the_catalog_behaves_the_same_on_both_backends(
    test: Callable[[Path], None],
    catalog_backend: Path | str,  # noqa: F811
    output: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(behaviour, "open_catalog", lambda _path: open_catalog(catalog_backend))
    test(output)


def test_the_side_tables_keep_what_they_are_given(
    catalog_backend: Path | str,  # noqa: F811
    output: Path,
) -> None:
    seen = Seen("https://x.example/a", '"e1"', None, "abc", "new", "2026-11-28T09:30:00+00:00")
    with open_catalog(catalog_backend) as catalog:
        record = publish_episode(catalog, output)
        catalog.mark_seen(seen)
        catalog.mark_seen(dataclasses.replace(seen, etag=None, status="unchanged"))
        catalog.set_site_value("base_url", "https://a.example/")
        catalog.set_site_value("base_url", "https://b.example/")
        catalog.upsert(record, moves=[(".x.tmp", "2026/x.mp3")], drops=["B/old.mp3", "a/old.mp3"])
        catalog.remove(record.guid, removed="2026-11-29T10:00:00+00:00", drops=["_z.vtt"])
    with open_catalog(catalog_backend) as catalog:
        assert catalog.seen(seen.url) == dataclasses.replace(seen, etag=None, status="unchanged")
        assert catalog.seen("https://x.example/other") is None
        assert catalog.site_value("base_url") == "https://b.example/"
        assert catalog.tombstone("article", record.key) == "2026-11-29T10:00:00+00:00"
        assert catalog.get(record.guid) is None
        # Byte order, as SQLite sorts: upper case before lower, "_" between them.
        assert catalog.pending() == [
            ("2026/x.mp3", ".x.tmp"), ("B/old.mp3", None), ("_z.vtt", None), ("a/old.mp3", None),
        ]  # fmt: skip
        catalog.settle(["2026/x.mp3", "_z.vtt"])
        assert [path for path, _ in catalog.pending()] == ["B/old.mp3", "a/old.mp3"]
        catalog.lift_tombstone("article", record.key)
        assert catalog.tombstone("article", record.key) is None
        assert catalog.episode_guid("article", record.key) == record.guid  # the mapping stays


def test_find_catalog_creates_nothing_where_none_was_made(
    catalog_backend: Path | str,  # noqa: F811
) -> None:
    assert find_catalog(catalog_backend) is None
    assert find_catalog(catalog_backend) is None  # and still none: nothing was created
    open_catalog(catalog_backend).close()
    found = find_catalog(catalog_backend)
    assert isinstance(found, Catalog)
    assert found.episodes() == []
    found.close()


# --- the server's own schema ------------------------------------------------------------------


def _sql(url: str, *statements: str) -> list[tuple[object, ...]]:
    """Run *statements* on the database at *url*; the last one's rows."""
    import psycopg

    rows: list[tuple[object, ...]] = []
    with psycopg.connect(url, autocommit=True) as db:
        for statement in statements:
            cursor = db.execute(statement)
            rows = cursor.fetchall() if cursor.description else []
    return rows


def test_a_new_catalog_is_versioned_and_its_text_sorts_by_bytes(pg_url: str) -> None:  # noqa: F811
    open_catalog(pg_url).close()
    assert _sql(pg_url, f"SELECT version FROM {VERSION_TABLE}") == [(SCHEMA_VERSION,)]
    collations = _sql(
        pg_url,
        "SELECT DISTINCT collation_name FROM information_schema.columns "
        "WHERE table_schema = 'public' AND data_type = 'text'",
    )
    assert collations == [("C",)]
    (kind,) = _sql(
        pg_url,
        "SELECT data_type FROM information_schema.columns "
        "WHERE table_name = 'episodes' AND column_name = 'published_us'",
    )
    assert kind == ("bigint",)  # microseconds since 1970 overflow 32 bits


def test_a_catalog_from_a_newer_audiobrief_asks_for_an_upgrade(pg_url: str) -> None:  # noqa: F811
    open_catalog(pg_url).close()
    _sql(pg_url, f"UPDATE {VERSION_TABLE} SET version = {SCHEMA_VERSION + 1}")
    with pytest.raises(PublishError, match="newer audiobrief"):
        open_catalog(pg_url)


def test_a_schema_that_holds_other_tables_is_not_taken_for_a_catalog(pg_url: str) -> None:  # noqa: F811
    _sql(pg_url, "CREATE TABLE notes (text TEXT)", "INSERT INTO notes VALUES ('mine')")
    with pytest.raises(PublishError, match="not an audiobrief catalog; give the catalog a"):
        open_catalog(pg_url)
    assert _sql(pg_url, "SELECT * FROM notes") == [("mine",)]
    assert {
        r[0] for r in _sql(pg_url, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    } == {"notes"}


def test_a_version_1_catalog_is_upgraded_in_place_keeping_its_episodes(
    pg_url: str,  # noqa: F811
    output: Path,
) -> None:
    with open_catalog(pg_url) as catalog:
        record = publish_episode(catalog, output)
    _sql(
        pg_url,
        "DROP TABLE pending, tombstones, articles, seen",
        f"UPDATE {VERSION_TABLE} SET version = 1",
    )
    with open_catalog(pg_url) as catalog:
        assert [r.guid for r in catalog.episodes()] == [record.guid]
        assert catalog.pending() == []
        assert catalog.seen("https://x.example/a") is None
    assert _sql(pg_url, f"SELECT version FROM {VERSION_TABLE}") == [(SCHEMA_VERSION,)]


# --- several sites on one server ----------------------------------------------------------------


def _site(url: str, schema: str) -> str:
    return f"{url}?options=-csearch_path%3D{schema}"


def test_sites_in_schemas_of_one_database_keep_apart(pg_url: str, output: Path) -> None:  # noqa: F811
    _sql(pg_url, "CREATE SCHEMA news", "CREATE SCHEMA sport")
    with open_catalog(_site(pg_url, "news")) as news, open_catalog(_site(pg_url, "sport")) as sport:
        first = publish_episode(news, output)
        assert sport.episodes() == []
        other = publish_episode(sport, output, slug="match", url="https://x.example/match")
        assert [r.guid for r in news.episodes()] == [first.guid]
        assert [r.guid for r in sport.episodes()] == [other.guid]
        with site_lock(news.database, wait_s=0.2), site_lock(sport.database, wait_s=0.2):
            pass  # each site has its own lock: neither waits for the other
    assert _sql(pg_url, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'") == [(0,)]


def test_a_site_schema_that_does_not_exist_is_one_error_with_the_fix(pg_url: str) -> None:  # noqa: F811
    with pytest.raises(PublishError, match=r"schema that does not exist; create it first"):
        open_catalog(_site(pg_url, "nowhere"))


# --- the site lock ------------------------------------------------------------------------------


def test_a_run_that_must_wait_for_the_site_says_so_and_gives_up_with_advice(
    pg_url: str,  # noqa: F811
    caplog: pytest.LogCaptureFixture,
) -> None:
    with open_catalog(pg_url) as holder, open_catalog(pg_url) as waiter:
        with site_lock(holder.database):
            with (
                caplog.at_level(logging.WARNING),
                pytest.raises(PublishError, match="stuck"),
                site_lock(waiter.database, wait_s=0.3),
            ):
                pass
            assert "waiting for another audiobrief run to finish publishing" in caplog.text
        caplog.clear()
        with caplog.at_level(logging.WARNING), site_lock(waiter.database, wait_s=0.3):
            assert caplog.text == ""  # free again: no wait, no message


def test_the_site_lock_goes_with_the_connection_of_a_run_that_died(
    pg_url: str,  # noqa: F811
) -> None:
    with open_catalog(pg_url) as holder, open_catalog(pg_url) as waiter, site_lock(holder.database):
        (pid,) = holder.database.execute("SELECT pg_backend_pid()").fetchone()
        _sql(pg_url, f"SELECT pg_terminate_backend({pid})")  # as if its machine died
        with site_lock(waiter.database, wait_s=5):
            pass


def test_the_server_frees_the_lock_of_a_vanished_machine_within_a_minute(
    pg_url: str,  # noqa: F811
) -> None:
    # kill -9 closes the socket; a machine that loses power does not, and the server
    # would keep its session (and the site lock) until TCP keepalives give up on it.
    with open_catalog(_site(pg_url, "public")) as catalog:
        shown = [
            catalog.database.execute(f"SHOW tcp_keepalives_{name}").fetchone()
            for name in ("idle", "interval", "count")
        ]
        (path,) = catalog.database.execute("SHOW search_path").fetchone()
    assert shown == [("30",), ("10",), ("3",)]
    assert path == "public"  # the URL's own options are kept beside these


# --- a server that says no --------------------------------------------------------------------


def test_a_wrong_password_is_a_login_error_not_a_retry(pg_server: PgServer) -> None:  # noqa: F811
    with pytest.raises(PublishError, match="refused the login") as raised:
        open_catalog(pg_server.url(password="wrong"))
    assert not isinstance(raised.value, CatalogUnavailable)
    assert "wrong" not in str(raised.value)  # the password is never shown


def test_an_unreachable_server_is_catalog_unavailable(pg_server: PgServer) -> None:  # noqa: F811
    url = pg_server.url().replace(f":{pg_server.port}/", f":{pg_server.port + 1}/")
    with pytest.raises(CatalogUnavailable, match="cannot reach the catalog's server") as raised:
        open_catalog(url)
    assert "\n" not in str(raised.value)


def test_a_missing_database_says_to_create_it(pg_server: PgServer) -> None:  # noqa: F811
    with pytest.raises(PublishError, match="create it first"):
        open_catalog(pg_server.url("no_such_site"))


def test_a_missing_driver_says_which_extra_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "psycopg", None)  # what a plain install has
    with pytest.raises(PublishError, match=r"pip install 'audiobrief\[cluster\]'"):
        open_catalog("postgresql://u@127.0.0.1:1/site")


def _first_run(url: str, start: threading.Barrier, failures: list[BaseException]) -> None:
    start.wait()
    try:
        open_catalog(url).close()
    except BaseException as exc:  # the test's assertion shows it
        failures.append(exc)


def test_runs_that_open_a_new_server_catalog_at_once_make_one_schema(
    pg_server: PgServer,  # noqa: F811
) -> None:
    for _ in range(3):
        url = pg_server.new_database()
        start, failures = threading.Barrier(4), []
        threads = [
            threading.Thread(target=_first_run, args=(url, start, failures)) for _ in range(4)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert failures == []
        assert _sql(url, f"SELECT version FROM {VERSION_TABLE}") == [(SCHEMA_VERSION,)]


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("", ""),
        ("  ", ""),
        ("postgresql://u@db.example.org:5432/news", "postgresql://u@db.example.org:5432/news"),
        (
            " postgres://u@db/news?options=-csearch_path%3Dsport ",
            "postgres://u@db/news?options=-csearch_path%3Dsport",
        ),
    ],
)
def test_catalog_url_takes_a_postgresql_url_or_nothing(given: str, kept: str) -> None:
    assert settings_from_mapping({"catalog_url": given}).catalog_url == kept


@pytest.mark.parametrize(
    "given", ["sqlite:///out/catalog.sqlite", "db.example.org/news", "postgresql://u@db/a b"]
)
def test_catalog_url_refuses_anything_else_with_the_form_to_use(given: str) -> None:
    with pytest.raises(ConfigError, match=r"is not a PostgreSQL URL; use postgresql://user@host"):
        settings_from_mapping({"catalog_url": given}, origin="audiobrief.toml")
