"""Publishing with catalog_url: the site SQLite would make, runs that take turns on one
PostgreSQL site, and a server lost in the middle of a publish (real voice, real server)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from audiobrief.publish.catalog import Catalog, open_catalog
from audiobrief.publish.lock import site_lock
from ingest_site import serve_site
from pg_server import PgServer, pg_server, pg_url, running_server, wait_until  # noqa: F401
from state_support import (
    Clock,
    error,
    items,
    run,
    start_cli,
    subprocess_env,
    workspace,
)
from support import FakeEngine

FAKE_VOICE = 'engine = "fake"\ndiacritize = false\n'
RAIN_PAGE = "/2026/11/28/rain/"
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One synthesis cache for the module: each sentence is synthesized once."""
    return tmp_path_factory.mktemp("cache")


@pytest.fixture
def clock(tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch) -> Clock:
    return workspace(tmp_path, cache, monkeypatch, dt.datetime(2026, 11, 28, 9, 30, tzinfo=dt.UTC))


def _anonymous(path: Path) -> str:
    """The file's text with each UUID numbered by first appearance (guids are random)."""
    names: dict[str, str] = {}
    return UUID.sub(lambda m: names.setdefault(m.group(), f"uuid-{len(names)}"), path.read_text())


def _enclosures_whole(out: Path) -> list[str]:
    """The guids articles.xml lists; each enclosure is there with the length it gives."""
    guids = []
    for item in items(out):
        enclosure = item["enclosures"][0]  # type: ignore[index]
        path = out / str(enclosure["url"]).removeprefix("http://127.0.0.1:8000/")
        assert path.stat().st_size == enclosure["file_size"]
        guids.append(str(item["guid"]))
    return guids


def test_speak_and_brief_make_the_same_site_on_postgresql_as_on_sqlite(
    clock: Clock,
    pg_url: str,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for out in ("lite", "server"):
        if out == "server":
            monkeypatch.setenv("AUDIOBRIEF_CATALOG_URL", pg_url)
        run(["speak", "rain.txt", "market.txt", "-o", out])
        assert "briefing-2026-11-28.mp3" in run(["brief", "-o", out]).output
    assert not Path("server/catalog.sqlite").exists()
    for name in ("feed.xml", "articles.xml", "index.html"):
        assert _anonymous(Path("server") / name) == _anonymous(Path("lite") / name), name
    with open_catalog(pg_url) as catalog:
        assert sorted(r.kind for r in catalog.episodes()) == ["article", "article", "briefing"]


def _waiting(url: str) -> int:
    """How many sessions wait for an advisory lock on the server of *url*."""
    with open_catalog(url) as catalog:
        sql = "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
        return int(catalog.database.execute(sql).fetchone()[0])


def test_two_runs_publishing_one_postgresql_site_take_turns(
    clock: Clock,
    pg_url: str,  # noqa: F811
    tmp_path: Path,
    cache: Path,
) -> None:
    run(["speak", "rain.txt", "market.txt", "-o", "warm"])  # the runs below publish from cache
    env = {**subprocess_env(cache), "AUDIOBRIEF_CATALOG_URL": pg_url}
    with open_catalog(pg_url) as holder, site_lock(holder.database):  # a run is publishing
        procs = [
            start_cli(["speak", n, "-o", "out"], tmp_path, env) for n in ("rain.txt", "market.txt")
        ]
        wait_until(lambda: _waiting(pg_url) == 2 or any(p.poll() is not None for p in procs), 120)
        assert [p.poll() for p in procs] == [None, None]  # both wait for the site
    for proc in procs:
        output = proc.communicate(timeout=120)[0]
        assert proc.returncode == 0, output
        assert "waiting for another audiobrief run to finish publishing" in output
    guids = _enclosures_whole(tmp_path / "out")
    with open_catalog(pg_url) as catalog:
        assert sorted(guids) == sorted(r.guid for r in catalog.episodes())
    assert len(set(guids)) == 2


def test_overlapping_runs_of_one_article_on_one_server_site_publish_it_once(
    clock: Clock,
    pg_url: str,  # noqa: F811
    tmp_path: Path,
    cache: Path,
) -> None:
    run(["speak", "rain.txt", "-o", "warm"])
    env = {**subprocess_env(cache), "AUDIOBRIEF_CATALOG_URL": pg_url}
    procs = [start_cli(["speak", "rain.txt", "-o", "out"], tmp_path, env) for _ in range(3)]
    for proc in procs:
        output = proc.communicate(timeout=120)[0]
        assert proc.returncode == 0, output
    (guid,) = _enclosures_whole(tmp_path / "out")
    with open_catalog(pg_url) as catalog:
        assert [r.guid for r in catalog.episodes()] == [guid]
        assert catalog.pending() == []
    assert len(list((tmp_path / "out").rglob("*.mp3"))) == 1


def test_a_server_lost_in_the_commit_leaves_nothing_half_published(
    clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    with running_server() as server:
        url = server.new_database()
        monkeypatch.setenv("AUDIOBRIEF_CATALOG_URL", url)
        run(["speak", "rain.txt", "-o", "out"])
        before = {p: p.read_bytes() for p in Path("out").rglob("*") if p.is_file()}
        journal = Catalog._journal

        def lost(self: Catalog, *args: object) -> None:
            journal(self, *args)  # type: ignore[arg-type]  # the rows are written, not committed
            server.stop("immediate")

        monkeypatch.setattr(Catalog, "_journal", lost)
        line = error(["speak", "market.txt", "-o", "out"])
        assert "nothing was half-published; run the command again" in line
        assert {p: p.read_bytes() for p in Path("out").rglob("*") if p.is_file()} == before
        server.start()
        with open_catalog(url) as catalog:
            assert [r.title.split(" (")[0] for r in catalog.episodes()] == ["أمطار في فاس"]
            assert catalog.pending() == []
        monkeypatch.setattr(Catalog, "_journal", journal)
        run(["speak", "market.txt", "-o", "out"])  # the retry publishes it whole
        assert len(_enclosures_whole(Path("out"))) == 2


def test_an_unreachable_catalog_is_one_error_line_saying_to_retry(
    clock: Clock,
    pg_server: PgServer,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url = pg_server.url().replace(f":{pg_server.port}/", f":{pg_server.port + 1}/")
    monkeypatch.setenv("AUDIOBRIEF_CATALOG_URL", url)
    line = error(["feed", "-o", "out"])
    assert "cannot reach the catalog's server" in line
    assert "run the command again" in line


def test_a_catalog_url_of_another_database_is_refused_by_name(
    clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AUDIOBRIEF_CATALOG_URL", "mysql://u@127.0.0.1/site")
    line = error(["feed", "-o", "out"])
    assert "AUDIOBRIEF_CATALOG_URL: catalog_url = 'mysql://u@127.0.0.1/site'" in line
    assert "postgresql://" in line


def test_a_site_published_with_sqlite_moves_onto_the_server_on_its_first_run(
    clock: Clock,
    pg_url: str,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    run(["speak", "rain.txt", "-o", "out"])  # published with catalog.sqlite
    feed = (Path("out") / "articles.xml").read_bytes()
    kept = Path("out/catalog.sqlite").read_bytes()
    monkeypatch.setenv("AUDIOBRIEF_CATALOG_URL", pg_url)
    run(["feed", "-o", "out"])
    assert (Path("out") / "articles.xml").read_bytes() == feed  # same guids, same feed
    run(["speak", "market.txt", "-o", "out"])
    (first,) = items(Path("out"), "articles.xml")[1:]
    with open_catalog(pg_url) as catalog:
        assert catalog.get(str(first["guid"])) is not None
        assert len(catalog.episodes()) == 2
        assert catalog.article(str(first["guid"])) is not None  # the briefing can use it
    assert len(_enclosures_whole(Path("out"))) == 2
    assert Path("out/catalog.sqlite").read_bytes() == kept  # left as it was, a backup


def test_a_briefing_first_after_the_move_reads_the_day_from_the_site_s_old_catalog(
    clock: Clock,
    pg_url: str,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    run(["speak", "rain.txt", "market.txt", "-o", "out"])  # published with catalog.sqlite
    monkeypatch.setenv("AUDIOBRIEF_CATALOG_URL", pg_url)
    assert "briefing-2026-11-28.mp3" in run(["brief", "-o", "out"]).output
    with open_catalog(pg_url) as catalog:
        assert sorted(r.kind for r in catalog.episodes()) == ["article", "article", "briefing"]


def test_published_feeds_without_their_catalog_are_not_emptied_by_a_server_catalog(
    clock: Clock,
    pg_url: str,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    run(["speak", "rain.txt", "-o", "out"])
    before = (Path("out") / "articles.xml").read_bytes()
    Path("out/catalog.sqlite").unlink()
    monkeypatch.setenv("AUDIOBRIEF_CATALOG_URL", pg_url)
    line = error(["feed", "-o", "out"])
    assert "no catalog.sqlite to bring into it; restore catalog.sqlite" in line
    assert (Path("out") / "articles.xml").read_bytes() == before


def test_ingest_remembers_what_it_saw_in_the_server_catalog(
    tmp_path: Path,
    fake_engine: FakeEngine,
    pg_url: str,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    (tmp_path / "voices").mkdir()
    (tmp_path / "voices" / "fake.toml").write_text(FAKE_VOICE, encoding="utf-8")
    monkeypatch.setenv("AUDIOBRIEF_CATALOG_URL", pg_url)
    with serve_site() as site:
        feed = f"{site.base}/feed/"
        assert "3 new" in run(["ingest", feed, "-o", "out", "--voice", "fake"]).output
        calls = len(fake_engine.calls)
        again = run(["ingest", feed, "-o", "out", "--voice", "fake"]).output
    assert "nothing new" in again
    assert len(fake_engine.calls) == calls
    assert site.not_modified[RAIN_PAGE] == 1  # a conditional request, from the server's rows
    assert not Path("out/catalog.sqlite").exists()
    with open_catalog(pg_url) as catalog:
        assert catalog.seen(site.base + RAIN_PAGE) is not None
        assert len(catalog.episodes()) == 3
