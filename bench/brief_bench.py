"""The fixed costs of a briefing, side by side: `brief` after the day's `speak`, per tree.

Run: .venv/bin/python bench/brief_bench.py                        (30 articles, this tree)
     .venv/bin/python bench/brief_bench.py --tree ../main          (this tree and main)
     .venv/bin/python bench/brief_bench.py --articles 6 --runs 3   (a quicker look)

The day is bench/day_bench.py's: the `*.txt` articles of the corpus (default
../shared/corpus), repeated with rotated words to reach --articles. This tree speaks
them once, cold, into one output folder and one cache; that cold `speak` is the yardstick
(issue 11: a `brief` afterwards within 3% of it).

Then every tree runs `brief` on a fresh copy of that folder, with its own copy of that
cache, --runs times, the trees in turn (the load of a shared machine drifts). The first
`brief` of a tree renders the briefing's new parts (intro, announcements, outro); the
later ones find them cached, as a second run of the day would. Each run is a fresh
interpreter, as cron would start it; "wall" is its whole life. Inside it the main calls of
the briefing are timed by wrapping the names the code calls (a name a tree lacks is
left out); "rest" is the interpreter, the imports and all the rest. Wrapping imports the
wrapped modules first, so what they import counts in "rest" for every tree: compare the
rows within a tree, and the walls across trees.

The clock and the random UUIDs are pinned in every run, so the output folders of all
trees and runs must be byte-identical (the catalog: the same rows; its header counts write
transactions); the bench says so, or names the files that differ.
"""

from __future__ import annotations

import argparse
import filecmp
import importlib
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import Any

from day_bench import DEFAULT_CORPUS, _articles  # bench/ is on the path: this script's folder

REPO = Path(__file__).resolve().parents[1]
TARGET = 0.03
# "module:attribute" (attribute may be Class.method) -> its row. Rows that start with
# spaces are parts of the row above them.
TIMED = {
    "audiobrief.pipeline:open_voice": "voice: open the engine",
    "audiobrief.pipeline:build_script": "text: scripts of the stories + briefing",
    "audiobrief.reuse:build_script": "text: scripts of the stories + briefing",
    "audiobrief.reuse:spoken_opening": "text: scripts of the stories + briefing",
    "audiobrief.pipeline:build_briefing": "text: scripts of the stories + briefing",
    "audiobrief.pipeline:render_briefing": "audio: new parts, then the join",
    "audiobrief.audio.mp3join:join_episode": "  of which: join the MP3s",
    "audiobrief.publish.publisher:Publisher.briefing": "publish: tags, captions, catalog",
    "audiobrief.publish.publisher:Publisher.refresh": "publish: feeds and pages",
}
REST = "rest: interpreter, imports, other"


def _child(command: list[str]) -> None:
    """Run one audiobrief command here, timing TIMED; print JSON. A brief runs with a
    pinned clock and pinned UUIDs (speak's are real: the brief's must not meet them)."""
    import datetime as dt
    import itertools
    import types
    import uuid

    from audiobrief.cli import app, cli

    if "brief" in command:
        counter = itertools.count(1)
        uuid.uuid4 = lambda: uuid.UUID(int=next(counter))
        pinned = dt.datetime.now(dt.UTC).replace(hour=17, minute=0, second=0, microsecond=0)

        class Pinned(dt.datetime):
            @classmethod
            def now(cls, tz: dt.tzinfo | None = None) -> Any:
                return pinned.astimezone(tz) if tz else pinned.replace(tzinfo=None)

        app.dt = types.SimpleNamespace(**{**vars(dt), "datetime": Pinned})
    spent: dict[str, float] = {}

    def timed(row: str, function: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            begin = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                spent[row] += time.perf_counter() - begin

        return wrapper

    for name, row in TIMED.items():
        module_name, attribute = name.split(":")
        try:
            owner: Any = importlib.import_module(module_name)
        except ModuleNotFoundError:  # an older tree: its row is left out
            continue
        *path, last = attribute.split(".")
        for part in path:
            owner = getattr(owner, part)
        if hasattr(owner, last):  # an older tree may lack it: its row is left out
            setattr(owner, last, timed(row, getattr(owner, last)))
            spent[row] = 0.0
    cli.main(command, standalone_mode=False)
    print(json.dumps(spent))


def _run(tree: Path, command: list[str], cache: Path) -> dict[str, float]:
    """*command* in a fresh interpreter with *tree*'s code: wall seconds and the rows."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUDIOBRIEF_")}
    env |= {"PYTHONPATH": str(tree / "src"), "XDG_CACHE_HOME": str(cache)}
    child = [sys.executable, str(Path(__file__).resolve()), "--child", json.dumps(command)]
    begin = time.perf_counter()
    done = subprocess.run(child, env=env, cwd=tree, capture_output=True, text=True, check=False)
    wall_s = time.perf_counter() - begin
    if done.returncode != 0:
        sys.exit(f"{tree}: audiobrief {' '.join(command[3:5])} failed:\n{done.stderr[-3000:]}")
    rows: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    rows[REST] = wall_s - sum(value for row, value in rows.items() if not row.startswith(" "))
    return {"wall": wall_s, **rows}


def _differ(a: Path, b: Path) -> list[str]:
    """Files that are not byte-identical (or not in both) under *a* and *b*."""
    found: list[str] = []
    compared = filecmp.dircmp(a, b)
    found += compared.left_only + compared.right_only + compared.funny_files
    found += [f for f in compared.common_files if not _same(a / f, b / f)]
    for sub in compared.common_dirs:
        found += [f"{sub}/{name}" for name in _differ(a / sub, b / sub)]
    return found


def _same(a: Path, b: Path) -> bool:
    """Same bytes; for the SQLite catalog, the same rows: its header counts the write
    transactions that made it, and a tree may make the same rows in fewer."""
    if a.suffix != ".sqlite":
        return filecmp.cmp(a, b, shallow=False)
    dumps = []
    for path in (a, b):
        with closing(sqlite3.connect(path)) as db:
            dumps.append(list(db.iterdump()))
    return dumps[0] == dumps[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="?", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--articles", type=int, default=30, help="how many (default 30)")
    parser.add_argument("--runs", type=int, default=5, help="briefs per tree (default 5)")
    parser.add_argument("--tree", type=Path, action="append", default=[], help="another tree")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(json.loads(args.child))
        return
    trees = [REPO, *(tree.resolve() for tree in args.tree)]
    with tempfile.TemporaryDirectory(prefix="brief-bench-") as folder:
        work = Path(folder)
        files = _articles(args.corpus, args.articles, work / "articles")
        base = ["--config", str(work / "none.toml"), "-q"]
        day = work / "day"
        speak = _run(REPO, [*base, "speak", "-o", str(day), *map(str, files)], work / "cache")
        print(f"cold speak of {args.articles} articles (this tree): {speak['wall']:.2f} s wall\n")
        runs: dict[Path, list[dict[str, float]]] = {tree: [] for tree in trees}
        outputs: list[Path] = []
        for run in range(args.runs):
            for index, tree in enumerate(trees):
                cache = work / f"cache-{index}"
                if run == 0:
                    shutil.copytree(work / "cache", cache)
                out = work / f"out-{index}-{run}"
                shutil.copytree(day, out)
                runs[tree].append(_run(tree, [*base, "brief", "-o", str(out)], cache))
                outputs.append(out)
        _report(runs, speak["wall"], args.runs)
        different = sorted({f for out in outputs[1:] for f in _differ(outputs[0], out)})
        verdict = "byte-identical" if not different else "DIFFERENT: " + ", ".join(different)
        print(f"\nbrief output folders of every tree and run: {verdict}")


def _report(runs: dict[Path, list[dict[str, float]]], speak_s: float, count: int) -> None:
    print("brief after that speak, seconds (first run: new parts rendered; then the median")
    print(f"of the other {count - 1} runs: new parts cached)\n")
    header = "".join(f"{tree.name[:12]:>13}{'':>11}" for tree in runs)
    print(f"{'':42}{header}")
    print(f"{'':42}" + "".join(f"{'first':>13}{'median':>11}" for _ in runs))
    rows = ["wall", *dict.fromkeys(TIMED.values()), REST]
    for row in rows:
        cells = ""
        for results in runs.values():
            values = [r[row] for r in results if row in r]
            if not values:
                cells += f"{'-':>13}{'-':>11}"
                continue
            later = statistics.median(values[1:]) if len(values) > 1 else values[0]
            cells += f"{values[0]:13.3f}{later:11.3f}"
        print(f"{row:42}{cells}")
    for tree, results in runs.items():
        walls = [r["wall"] for r in results]
        later = statistics.median(walls[1:]) if len(walls) > 1 else walls[0]
        ratio = later / speak_s
        verdict = "meets" if ratio <= TARGET else "misses"
        print(
            f"{tree.name}: brief / cold speak = {ratio:.1%} ({verdict} the target of {TARGET:.0%})"
        )


if __name__ == "__main__":
    main()
