"""Helpers for the publishing-state tests: a frozen CLI clock, feed and file checks."""

from __future__ import annotations

import datetime as dt
import io
import os
import shutil
import subprocess
import sys
import types
from dataclasses import dataclass
from pathlib import Path

import podcastparser
import pytest
from click.testing import CliRunner, Result
from mutagen.id3 import ID3

from audiobrief.cli import app as cli_module
from audiobrief.cli import cli
from audiobrief.publish.catalog import open_catalog

REPO = Path(__file__).resolve().parents[1]
RAIN = "أمطار في فاس\n\nتهاطلت أمطار غزيرة على المدينة صباح اليوم.\n"
MARKET = "سوق الخضر\n\nانخفضت أسعار الطماطم في السوق المركزي.\n"
BASE = "http://127.0.0.1:8000/"
FEEDS = ("feed.xml", "articles.xml")


@dataclass
class Clock:
    """What `datetime.now` says inside audiobrief.cli."""

    now: dt.datetime


def freeze(monkeypatch: pytest.MonkeyPatch, now: dt.datetime) -> Clock:
    clock = Clock(now)

    class Frozen(dt.datetime):
        @classmethod
        def now(cls, tz: dt.tzinfo | None = None) -> dt.datetime:  # type: ignore[override]
            return clock.now.astimezone(tz)

    monkeypatch.setattr(cli_module, "dt", types.SimpleNamespace(datetime=Frozen, UTC=dt.UTC))
    return clock


def workspace(
    folder: Path, cache: Path, monkeypatch: pytest.MonkeyPatch, now: dt.datetime
) -> Clock:
    """The voices, rain.txt and market.txt in *folder*, the shared *cache*, the clock at *now*."""
    shutil.copytree(REPO / "voices", folder / "voices")
    (folder / "rain.txt").write_text(RAIN, encoding="utf-8")
    (folder / "market.txt").write_text(MARKET, encoding="utf-8")
    monkeypatch.setenv("AUDIOBRIEF_CACHE_DIR", str(cache))
    return freeze(monkeypatch, now)


def run(args: list[str], code: int = 0) -> Result:
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    return result


def error(args: list[str]) -> str:
    """The one `Error:` line of a command that must fail with exit 1."""
    (line,) = run(args, code=1).output.strip().splitlines()
    assert line.startswith("Error: ")
    return line


def items(out: Path, name: str = "articles.xml") -> list[dict[str, object]]:
    data = (out / name).read_bytes()
    episodes: list[dict[str, object]] = podcastparser.parse(BASE + name, io.BytesIO(data))[
        "episodes"
    ]
    return episodes


def consistent(out: Path) -> dict[str, str]:
    """Check that feeds, files and catalog agree; return {guid: MP3 path} of the feeds.

    `feeds_whole`, and the catalog lists the same episodes with the same files.
    """
    listed = feeds_whole(out)
    with open_catalog(out / "catalog.sqlite") as catalog:
        records = {r.guid: r for r in catalog.episodes()}
    assert set(records) == set(listed)
    for guid, relpath in listed.items():
        assert records[guid].mp3 == relpath
        assert records[guid].size_bytes == (out / relpath).stat().st_size
    return listed


def feeds_whole(out: Path) -> dict[str, str]:
    """What a podcast app polling now sees is whole; return {guid: MP3 path} of the feeds.

    Every enclosure of both feeds exists with exactly the length the feed gives, and
    carries its own guid (ID3 TGID) and title.
    """
    listed: dict[str, str] = {}
    base = _stored_base(out)
    for name in FEEDS:
        for item in items(out, name):
            enclosure = item["enclosures"][0]  # type: ignore[index]
            relpath = str(enclosure["url"]).removeprefix(base)
            path = out / relpath
            assert path.is_file(), f"{name} lists {relpath}, which is not there"
            assert path.stat().st_size == enclosure["file_size"], f"{relpath}: length differs"
            tags = ID3(path)
            assert str(tags["TGID"]) == item["guid"]
            assert str(tags["TIT2"]) == item["title"]
            listed[str(item["guid"])] = relpath
    return listed


def temporaries(out: Path) -> list[Path]:
    return [p for p in out.rglob(".*") if p.name.endswith(".tmp")]


def subprocess_env(cache: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUDIOBRIEF_")}
    env["AUDIOBRIEF_CACHE_DIR"] = str(cache)
    return env


def start_cli(
    args: list[str], cwd: Path, env: dict[str, str], prelude: str = ""
) -> subprocess.Popen[str]:
    """`audiobrief ARGS` in its own process; *prelude* runs first (fault injection)."""
    code = f"{prelude}\nfrom audiobrief.cli import cli\ncli({args!r})"
    return subprocess.Popen(
        [sys.executable, "-c", code],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _stored_base(out: Path) -> str:
    with open_catalog(out / "catalog.sqlite") as catalog:
        return catalog.site_value("base_url") or BASE
