"""`audiobrief ingest`: a site's RSS, Atom and news sitemap on loopback, spoken once each."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from audiobrief import engines, ingest
from audiobrief.articles import pages
from audiobrief.cli import cli
from audiobrief.errors import EngineError
from audiobrief.publish.catalog import open_catalog
from ingest_site import Site, serve_site
from support import FakeEngine

FAKE_VOICE = 'engine = "fake"\ndiacritize = false\n'
RAIN, MARKET, BRIDGE = "/2026/11/28/rain/", "/2026/11/28/market/", "/2026/11/26/bridge/"


@pytest.fixture
def site(tmp_path: Path, fake_engine: FakeEngine) -> Iterator[Site]:
    (tmp_path / "voices").mkdir()
    (tmp_path / "voices" / "fake.toml").write_text(FAKE_VOICE, encoding="utf-8")
    with serve_site() as served:
        yield served


@pytest.fixture
def renders(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The articles ingest rendered: a run with nothing new renders none (no cache lookup)."""
    seen: list[str] = []
    real = ingest.render

    def counting(*args: Any, **kwargs: Any) -> Any:
        seen.append(kwargs["label"])
        return real(*args, **kwargs)

    monkeypatch.setattr(ingest, "render", counting)
    return seen


def _ingest(*args: str, code: int = 0) -> Result:
    result = CliRunner(mix_stderr=False).invoke(
        cli, ["ingest", *args, "-o", "out", "--voice", "fake"]
    )
    assert result.exit_code == code, result.output + result.stderr
    assert "Traceback" not in result.stderr
    return result


def _lines(result: Result) -> list[dict[str, Any]]:
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_first_run_speaks_every_article_and_a_second_run_nothing(
    site: Site, fake_engine: FakeEngine, renders: list[str]
) -> None:
    feed, atom = f"{site.base}/feed/", f"{site.base}/atom.xml"
    first = _lines(_ingest(feed, atom, "--json"))
    assert sorted(row["status"] for row in first) == ["new", "new", "new"]
    # the market link carried utm_* tags: the episode is keyed by the canonical URL
    assert {row["source"] for row in first} == {site.base + p for p in (RAIN, MARKET, BRIDGE)}
    for row in first:
        assert row["mp3_url"].startswith("http://127.0.0.1:8000/")
        assert row["page_url"].endswith(".html")
        assert row["embed_url"] == row["page_url"].removesuffix(".html") + ".embed.html"
        assert row["duration_s"] > 1
        assert row["error"] is None
        assert row["date"] in ("2026-11-28", "2026-11-26")
    calls, rendered = len(fake_engine.calls), len(renders)
    assert rendered == 3
    assert all("audiobrief/" in agent for agent in site.agents)

    second = _ingest(feed, atom)
    assert second.stdout == "nothing new\n"
    assert len(fake_engine.calls) == calls
    assert len(renders) == rendered
    assert site.not_modified[RAIN] == site.not_modified[MARKET] == 1
    assert "3 not modified" in second.stderr


def test_a_changed_article_is_spoken_again_under_the_same_guid(
    site: Site, fake_engine: FakeEngine
) -> None:
    feed = f"{site.base}/feed/"
    (before,) = [r for r in _lines(_ingest(feed, "--json")) if r["source"].endswith(RAIN)]
    site.bodies[RAIN] = "تهاطلت أمطار غزيرة على مدينة فاس وضواحيها طيلة الليل."
    rows = _lines(_ingest(feed, "--json"))
    (after,) = rows
    assert after["status"] == "updated"
    assert after["guid"] == before["guid"]
    assert after["mp3_url"] != before["mp3_url"]  # a new file name for the new audio
    assert any("ضواحيها" in call for call in fake_engine.calls)
    with open_catalog(Path("out/catalog.sqlite")) as catalog:
        records = catalog.episodes("article")
        seen = catalog.seen(site.base + RAIN)
    assert len(records) == 3
    assert seen is not None
    assert seen.status == "updated"


def test_a_page_that_is_fetched_but_the_same_is_not_spoken_again(
    site: Site, renders: list[str]
) -> None:
    _ingest(f"{site.base}/feed/")
    with open_catalog(Path("out/catalog.sqlite")) as catalog:  # forget the validators
        for url in (site.base + p for p in (RAIN, MARKET, BRIDGE)):
            seen = catalog.seen(url)
            assert seen is not None
            catalog.mark_seen(type(seen)(url, None, None, seen.content_hash, "new", seen.checked))
    result = _ingest(f"{site.base}/feed/")
    assert result.stdout == "nothing new\n"
    assert len(renders) == 3
    assert site.hits[RAIN] == 2


def test_a_404_and_a_slow_page_are_reported_and_the_rest_is_published(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pages, "PAGE_DEADLINE_S", 1.0)
    result = _ingest(f"{site.base}/news-sitemap.xml", "--json", code=1)
    rows = {row["source"].removeprefix(site.base): row for row in _lines(result)}
    assert rows[RAIN]["status"] == "new"
    assert rows["/missing/"]["status"] == "failed"
    assert "HTTP 404" in rows["/missing/"]["error"]
    assert rows["/slow/"]["status"] == "failed"
    assert "within 1 s" in rows["/slow/"]["error"]
    assert "1 new, 2 failed" in result.stderr
    assert f"Error: {site.base}/missing/: could not download the page (HTTP 404" in result.stderr
    assert Path("out/articles.xml").read_text("utf-8").count("<item>") == 1


def test_since_and_limit_keep_a_first_run_small(site: Site) -> None:
    feed = f"{site.base}/feed/"
    planned = _ingest(feed, "--since", "2026-11-27", "--dry-run").stdout.splitlines()
    assert planned == [f"would speak: {site.base}{RAIN}", f"would speak: {site.base}{MARKET}"]
    assert not Path("out").exists()  # a dry run writes nothing
    assert site.hits[RAIN] == 0  # and downloads no page
    rows = _lines(_ingest(feed, "--limit", "1", "--json"))
    assert [r["source"] for r in rows] == [site.base + RAIN]
    planned = _ingest(feed, "--dry-run").stdout.splitlines()
    assert planned[0] == f"would check: {site.base}{RAIN}"
    assert planned[1:] == [f"would speak: {site.base}{p}" for p in (MARKET, BRIDGE)]


def test_an_unpublished_article_never_returns(site: Site) -> None:
    feed = f"{site.base}/feed/"
    _ingest(feed)
    done = CliRunner().invoke(cli, ["unpublish", site.base + MARKET, "-o", "out"])
    assert done.exit_code == 0, done.output
    site.bodies[MARKET] = "تغير نص الخبر بعد حذفه من الموقع."
    result = _ingest(feed, "--json")
    assert result.stdout == "nothing new\n" or "unpublished" not in result.stdout
    assert "1 unpublished" in result.stderr
    assert "تغير" not in Path("out/articles.xml").read_text("utf-8")
    assert site.hits[MARKET] == 1  # not even downloaded again


def test_something_that_is_not_a_feed_is_one_error_and_the_other_feed_goes_on(
    site: Site, tmp_path: Path
) -> None:
    (tmp_path / "page.xml").write_text("<html><body>لا شيء</body></html>", encoding="utf-8")
    result = _ingest("page.xml", f"{site.base}/atom.xml", code=1)
    assert "Error: page.xml: is neither an RSS or Atom feed nor a sitemap" in result.stderr
    assert "1 new, 1 failed" in result.stderr


def test_a_sitemap_file_and_a_sitemap_index_are_read(site: Site, tmp_path: Path) -> None:
    index = (
        '<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"<sitemap><loc>{site.base}/news-sitemap.xml</loc></sitemap></sitemapindex>"
    )
    (tmp_path / "sitemap.xml").write_text(index, encoding="utf-8")
    planned = _ingest("sitemap.xml", "--dry-run").stdout.splitlines()
    # newest first: the news sitemap lists them in another order
    assert planned == [f"would speak: {site.base}{p}" for p in (RAIN, "/slow/", "/missing/")]


# --- logs, -q and the exit summary --------------------------------------------------------------


class _Broken:
    """An online voice that is down: every request fails."""

    name = "broken"
    max_concurrency = 1

    def synthesize(self, text: str) -> Any:
        raise EngineError(self.name, "the service did not answer")


def test_the_log_holds_the_fallback_warning_under_quiet(
    site: Site, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(engines._extra, "broken", lambda **_: _Broken())
    (tmp_path / "voices" / "broken.toml").write_text(
        'engine = "broken"\ndiacritize = false\n', encoding="utf-8"
    )
    monkeypatch.setenv("AUDIOBRIEF_ON_ENGINE_FAILURE", "fallback")
    monkeypatch.setenv("AUDIOBRIEF_FALLBACK_VOICE", "fake")
    args = ["ingest", f"{site.base}/atom.xml", "-o", "out", "--voice", "broken", "-q"]
    result = CliRunner(mix_stderr=False).invoke(cli, args)
    assert result.exit_code == 0, result.stderr
    log = tmp_path / "xdg-state" / "audiobrief" / "audiobrief.log"
    text = log.read_text("utf-8")
    assert "the fallback voice spoke it" in text
    assert "run: audiobrief" in text
    assert "1 new" in result.stderr
    assert "warning" in result.stderr
    assert str(log) in result.stderr


def test_quiet_and_verbose_are_accepted_after_every_command(site: Site, tmp_path: Path) -> None:
    for command in cli.commands.values():
        names = {opt for param in command.params for opt in getattr(param, "opts", [])}
        if hasattr(command, "commands"):
            continue
        assert {"-q", "-v"} <= names, command.name
    result = CliRunner(mix_stderr=False).invoke(
        cli, ["ingest", f"{site.base}/atom.xml", "-o", "out", "--voice", "fake", "-v"]
    )
    assert result.exit_code == 0, result.stderr
    assert f"INFO: speaking {site.base}{BRIDGE}" in result.stderr


def test_an_error_is_written_to_the_log_too(site: Site, tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["speak", "missing.txt", "-o", "out", "--voice", "fake"])
    assert result.exit_code == 1
    log = tmp_path / "xdg-state" / "audiobrief" / "audiobrief.log"
    assert "ERROR audiobrief: Error: missing.txt: file not found" in log.read_text("utf-8")


def test_a_log_file_inside_the_published_folder_is_refused(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["speak", "missing.txt", "-o", "out"], env={"AUDIOBRIEF_LOG_FILE": "out/run.log"}
    )
    assert result.exit_code == 1
    assert "inside the published folder" in result.output
    assert not (tmp_path / "out" / "run.log").exists()


def test_speak_and_brief_print_json(site: Site, tmp_path: Path) -> None:
    (tmp_path / "rain.txt").write_text("أمطار في فاس\n\nتهاطلت أمطار غزيرة.\n", encoding="utf-8")
    runner = CliRunner(mix_stderr=False)
    args = ["-o", "out", "--voice", "fake", "--json"]
    first = runner.invoke(cli, ["speak", "rain.txt", *args])
    again = runner.invoke(cli, ["speak", "rain.txt", "missing.txt", *args])
    assert again.exit_code == 1
    (row,) = [json.loads(line) for line in first.stdout.splitlines()]
    same, failed = (json.loads(line) for line in again.stdout.splitlines())
    assert (row["status"], same["status"]) == ("new", "unchanged")
    assert same["guid"] == row["guid"]
    assert same["mp3_url"] == row["mp3_url"]
    assert failed["status"] == "failed"
    assert "file not found" in failed["error"]
    assert failed["guid"] is None
    brief = runner.invoke(cli, ["brief", *args])
    assert brief.exit_code == 0, brief.stderr
    (briefing,) = [json.loads(line) for line in brief.stdout.splitlines()]
    assert briefing["status"] == "new"
    assert briefing["mp3_url"].endswith(".mp3")
    assert Path("out", briefing["mp3_url"].removeprefix("http://127.0.0.1:8000/")).is_file()
    assert briefing["embed_url"] is None  # only articles have an embeddable player page
    embed = row["embed_url"].removeprefix("http://127.0.0.1:8000/")
    assert Path("out", embed).is_file()


def test_brief_json_prints_a_failed_line_too(site: Site) -> None:
    result = CliRunner(mix_stderr=False).invoke(
        cli, ["brief", "--date", "2026-11-28", "-o", "out", "--voice", "fake", "--json"]
    )
    assert result.exit_code == 1
    (row,) = [json.loads(line) for line in result.stdout.splitlines()]
    assert row["status"] == "failed"
    assert "no articles were spoken for 2026-11-28" in row["error"]
    assert result.stderr.startswith("Error: no articles were spoken")


def test_brief_quiet_still_reports_the_fallback_voice(
    site: Site, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "rain.txt").write_text("أمطار في فاس\n\nتهاطلت أمطار غزيرة.\n", encoding="utf-8")
    runner = CliRunner(mix_stderr=False)
    assert runner.invoke(cli, ["speak", "rain.txt", "-o", "out", "--voice", "fake"]).exit_code == 0
    monkeypatch.setitem(engines._extra, "broken", lambda **_: _Broken())
    (tmp_path / "voices" / "broken.toml").write_text(
        'engine = "broken"\ndiacritize = false\n', encoding="utf-8"
    )
    monkeypatch.setenv("AUDIOBRIEF_ON_ENGINE_FAILURE", "fallback")
    monkeypatch.setenv("AUDIOBRIEF_FALLBACK_VOICE", "fake")
    result = runner.invoke(cli, ["-q", "brief", "-o", "out", "--voice", "broken"])
    assert result.exit_code == 0, result.stderr
    log = (tmp_path / "xdg-state" / "audiobrief" / "audiobrief.log").read_text("utf-8")
    assert log.count("the fallback voice spoke it") >= 1
    (summary,) = [line for line in result.stderr.splitlines() if line.startswith("briefing ")]
    assert "warning" in summary
    assert "fallback voice" in summary


def test_quiet_runs_with_nothing_to_report_print_nothing_on_stderr(site: Site) -> None:
    feed = f"{site.base}/feed/"
    first = _ingest(feed, "-q")
    assert first.stderr == ""  # three new articles, no problem: nothing for cron to mail
    assert len(first.stdout.splitlines()) == 3
    site.bodies[RAIN] = "تهاطلت أمطار غزيرة على مدينة فاس وضواحيها طيلة الليل."
    second = _ingest(feed, "-q")
    assert second.stderr == "1 updated, 2 not modified\n"  # a re-spoken article is never silent
    assert _ingest(feed, "-q").stdout == "nothing new\n"
