"""Publishing cost against the archive: `speak` into 10,000 episodes vs into none.

Run: .venv/bin/python bench/archive_bench.py                 (sizes 0 100 1000 10000)
     .venv/bin/python bench/archive_bench.py --sizes 0 1000 --reps 1

A real article of the corpus (default ../shared/corpus/p01_hespress.txt) is spoken once
into a scratch folder; its catalog row (timeline, script) and files are the pattern of
every episode of the big sites: N rows inserted in one transaction (the real row format,
records.to_row) with the files hard-linked under their own day folders, 20 a day, then
one `audiobrief feed --rebuild` renders every page as a site of that size has them.

Then, side by side, each step one `audiobrief speak` of a new copy of the article in a
fresh child process, as cron would start it: "cold" with an empty synthesis cache (the
whole work of a new article), "warm" with the cache holding its audio (all that is left
is publishing, the part that could grow with the archive). Reported per size: wall
seconds (median of --reps), peak resident memory, and the ratio to the empty site; and
the refresh alone (feeds, index, one episode's pages, the newest archive page), timed
in this process, to show how it grows with the archive.
Target: cold speak into 10,000 episodes <= 1.2x cold speak into an empty site.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from audiobrief.config import Settings
from audiobrief.publish import listing
from audiobrief.publish.catalog import open_catalog
from audiobrief.publish.publisher import open_publisher
from audiobrief.publish.records import COLUMNS, to_row

REPO = Path(__file__).resolve().parents[1]
DEFAULT_ARTICLE = REPO.parent / "shared" / "corpus" / "p01_hespress.txt"
PER_DAY = 20
"""Episodes a day in the built archives: 10,000 span about 500 days of folders."""
NOW = dt.datetime(2026, 11, 28, 9, tzinfo=dt.UTC)
NOWHERE = Path(tempfile.gettempdir()) / "archive-bench-no-config.toml"
"""A config file that does not exist: the bench's settings come from its environment."""

# One command in a fresh runner, so RUSAGE_CHILDREN holds that command alone.
_RUNNER = """
import json, resource, subprocess, sys, time
begin = time.perf_counter()
done = subprocess.run(sys.argv[1:], capture_output=True, text=True)
wall = time.perf_counter() - begin
use = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"rc": done.returncode, "wall_s": wall, "peak_mb": use.ru_maxrss / 1024,
                  "err": done.stderr[-2000:]}))
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--article", type=Path, default=DEFAULT_ARTICLE)
    parser.add_argument("--sizes", type=int, nargs="+", default=[0, 100, 1000, 10_000])
    parser.add_argument("--reps", type=int, default=3)
    args = parser.parse_args()
    if not args.article.is_file():
        print(f"no article at {args.article}; pass --article", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory(prefix="archive-bench-") as tmp:
        root = Path(tmp)
        env = {k: v for k, v in os.environ.items() if not k.startswith("AUDIOBRIEF_")}
        env |= {"AUDIOBRIEF_VOICES_DIR": str(REPO / "voices")}
        env |= {"AUDIOBRIEF_BASE_URL": "https://bench.example.org/audio/"}
        env |= {"AUDIOBRIEF_OWNER_EMAIL": "bench@example.org", "AUDIOBRIEF_AUTHOR": "bench"}
        warm_cache = root / "warm-cache"
        pattern = root / "pattern"
        _command(["speak", str(args.article), "-o", str(pattern)], env, warm_cache)
        sites = {
            size: _build_site(root / f"site-{size}", pattern, size, env) for size in args.sizes
        }
        results: dict[int, dict[str, list[dict[str, float]]]] = {
            size: {"cold": [], "warm": []} for size in args.sizes
        }
        for rep in range(args.reps):  # sizes interleaved: a busy moment hits them all alike
            text = root / f"story-{rep}.txt"
            shutil.copy(args.article, text)
            for size in args.sizes:
                for state in ("cold", "warm"):
                    copy = text.with_name(f"{state}-{rep}-{text.name}")
                    shutil.copy(text, copy)
                    cache = warm_cache if state == "warm" else root / f"cold-{size}-{rep}"
                    step = _command(["speak", str(copy), "-o", str(sites[size])], env, cache)
                    results[size][state].append(step)
        refresh = {size: _refresh_s(site, args.reps) for size, site in sites.items()}
        _report(results, refresh)
    return 0


def _refresh_s(site: Path, reps: int) -> float:
    """Median seconds of the refresh that follows publishing one episode (in this process):
    the feeds, the index, the episode's pages and the newest archive page."""
    settings = Settings(
        output_dir=site, base_url="https://bench.example.org/audio/", author="bench",
        owner_email="bench@example.org",
    )  # fmt: skip
    times = []
    for _ in range(reps):
        with open_publisher(settings, NOW) as publisher:
            (newest,) = listing.newest(publisher.catalog, "article", 1)
            publisher.changes.publish(newest, new=False)
            start = time.perf_counter()
            publisher.refresh()
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def _build_site(out: Path, pattern: Path, size: int, env: dict[str, str]) -> Path:
    """A site of *size* episodes made from the pattern's one, then rendered whole."""
    shutil.copytree(pattern, out)
    with open_catalog(out / "catalog.sqlite") as catalog:
        (record,) = catalog.episodes("article")
    _remove_pattern(out, record)
    rows, guids = [], []
    for number in range(size):
        day = NOW.date() - dt.timedelta(days=(size - number) // PER_DAY + 1)
        stem = f"{day:%Y/%m/%d}/articles/story-{number}"
        files = {kind: f"{stem}{Path(path).name.removeprefix(Path(record.mp3).stem)}"
                 for kind, path in record.files.items()}  # fmt: skip
        copy = dataclasses.replace(
            record, guid=str(uuid.uuid4()), key=f"https://bench.example/{number}",
            day=day, published=NOW - dt.timedelta(minutes=size - number), mp3=f"{stem}.mp3",
            files=files,
        )  # fmt: skip
        for relpath, source in [
            (copy.mp3, record.mp3),
            *zip(files.values(), record.files.values(), strict=True),
        ]:
            target = out / relpath
            target.parent.mkdir(parents=True, exist_ok=True)
            if (pattern / source).is_file():
                os.link(pattern / source, target)
        row = to_row(copy)
        rows.append([*(row[c] for c in COLUMNS), 1])
        guids.append(("article", copy.key, copy.guid))
    with sqlite3.connect(out / "catalog.sqlite") as db:
        marks = ", ".join("?" for _ in range(len(COLUMNS) + 1))
        db.executemany(
            f"INSERT INTO episodes ({', '.join(COLUMNS)}, revision) VALUES ({marks})", rows
        )
        db.executemany("INSERT INTO guids (kind, key, guid) VALUES (?, ?, ?)", guids)
    step = _command(["feed", "--rebuild", "-o", str(out)], env, None)
    print(f"built {size:>6} episodes: feed --rebuild {step['wall_s']:7.1f} s, "
          f"peak {step['peak_mb']:5.0f} MB", flush=True)  # fmt: skip
    return out


def _remove_pattern(out: Path, record: object) -> None:
    """The pattern episode leaves the copy: the site holds exactly its N built ones."""
    with sqlite3.connect(out / "catalog.sqlite") as db:
        db.execute("DELETE FROM episodes")
        db.execute("DELETE FROM guids")
        db.execute("DELETE FROM articles")
    for path in out.rglob("*"):
        episode_file = path.suffix in (".mp3", ".vtt", ".srt", ".json", ".html")
        if episode_file and path.is_file() and path.parent != out:
            path.unlink()


def _command(args: list[str], env: dict[str, str], cache: Path | None) -> dict[str, float]:
    run_env = dict(env)
    if cache is not None:
        run_env["AUDIOBRIEF_CACHE_DIR"] = str(cache)
    audiobrief = str(Path(sys.executable).with_name("audiobrief"))
    command = [audiobrief, "--config", str(NOWHERE), "-q", *args]
    done = subprocess.run(
        [sys.executable, "-c", _RUNNER, *command], capture_output=True, text=True, env=run_env
    )
    step = json.loads(done.stdout)
    if step["rc"] != 0:
        raise SystemExit(f"{' '.join(args)} failed:\n{step['err']}")
    return step


def _report(
    results: dict[int, dict[str, list[dict[str, float]]]], refresh: dict[int, float]
) -> None:
    smallest = min(results)
    print(
        f"\n{'episodes':>9}{'cold s':>9}{'ratio':>7}{'warm s':>9}{'ratio':>7}{'peak MB':>9}"
        f"{'refresh ms':>12}"
    )
    base = {state: _median(results[smallest][state]) for state in ("cold", "warm")}
    for size, steps in results.items():
        cold, warm = _median(steps["cold"]), _median(steps["warm"])
        peak = max(s["peak_mb"] for s in [*steps["cold"], *steps["warm"]])
        print(f"{size:>9}{cold:>9.2f}{cold / base['cold']:>7.2f}{warm:>9.2f}"
              f"{warm / base['warm']:>7.2f}{peak:>9.0f}{refresh[size] * 1000:>12.0f}")  # fmt: skip
    largest = max(results)
    ratio = _median(results[largest]["cold"]) / base["cold"]
    verdict = "meets" if ratio <= 1.2 else "MISSES"
    print(
        f"\ncold speak into {largest} episodes / into {smallest}: {ratio:.2f}x ({verdict} <= 1.2x)"
    )


def _median(steps: list[dict[str, float]]) -> float:
    return statistics.median(s["wall_s"] for s in steps)


if __name__ == "__main__":
    sys.exit(main())
