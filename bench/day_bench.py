"""A newsroom day, side by side: cold `speak` of N articles, `brief`, then both warm.

Run: .venv/bin/python bench/day_bench.py                          (30 articles, this tree)
     .venv/bin/python bench/day_bench.py --articles 6 --tree ../main   (this tree and main)
     .venv/bin/python bench/day_bench.py --speak-tree /tmp/old   (cold speak only there: an
                     old tree whose brief of a whole day would not fit in memory)
     --rounds 2: every tree twice, in turn forwards and backwards; each step's fastest run
                 is kept (on a machine shared with other work, the load drifts)

The `*.txt` articles of the corpus (default ../shared/corpus), sorted by name and repeated
to reach --articles. A repeat has each line's words rotated (the same words, so the same
work, but no sentence any cache has seen), so 30 articles are 30 articles' cold work.

Each step is one audiobrief command in a fresh child process, as cron would start it,
with its own output folder and cache (XDG_CACHE_HOME) per tree. Before the measured day,
a day of short stories dated yesterday is spoken and briefed (not measured): what every
briefing says (the announcements, the pointer to the full story, the outro) is then in
the cache, as on any day but a site's first, and brief renders only today's intro. The
measured articles are new to every cache. --first-day leaves yesterday out. The child is
started by a small runner process that reports resource.getrusage(RUSAGE_CHILDREN) for
that one command: wall seconds, CPU seconds and peak resident memory per step. Audio
seconds per wall second counts the episodes each step published. Where espeak-ng and
ffmpeg are installed, the naive script (espeak-ng on the raw text, ffmpeg to 64 kb/s)
runs on the same articles, and cold speak's CPU is given as a multiple of it.

Every --tree is run with this interpreter and PYTHONPATH=<tree>/src, so two trees are
compared with the same libraries in one run. Targets: brief <= 250 MB peak, speak <= 300
MB, brief after speak <= 3% of cold speak's wall time.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = REPO / ".." / "shared" / "corpus"

# Runs one command and prints what it cost; a fresh runner per step, so RUSAGE_CHILDREN
# holds that step's child alone (its peak RSS is not mixed with an earlier step's).
# It is the subreaper of the command's descendants: speak's fork server outlives the command
# for a moment and would be reaped by init, its workers' CPU uncounted; here it is waited for.
_RUNNER = """
import ctypes, json, os, resource, subprocess, sys, time
ctypes.CDLL(None).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
begin = time.perf_counter()
done = subprocess.run(sys.argv[1:], capture_output=True, text=True)
wall = time.perf_counter() - begin
while True:
    try:
        os.wait()
    except ChildProcessError:
        break
use = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"rc": done.returncode, "wall_s": wall, "cpu_s": use.ru_utime + use.ru_stime,
                  "peak_mb": use.ru_maxrss / 1024, "err": done.stderr[-2000:]}))
"""


def _measure(command: list[str], env: dict[str, str], cwd: Path | None = None) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-c", _RUNNER, *command], capture_output=True, text=True, env=env, cwd=cwd
    )
    result: dict[str, float] = json.loads(out.stdout)
    if result["rc"] != 0:
        raise SystemExit(f"{' '.join(command[:4])} failed:\n{result['err']}")
    return result


def _articles(corpus: Path, count: int, folder: Path) -> list[Path]:
    sources = sorted(corpus.glob("*.txt"))
    if not sources:
        raise SystemExit(f"no *.txt articles in {corpus}")
    folder.mkdir(parents=True, exist_ok=True)
    picked = []
    for index in range(count):
        source = sources[index % len(sources)]
        turn = index // len(sources)
        copy = folder / f"{source.stem}-{turn}.txt"
        copy.write_text(_rotated(source.read_text(encoding="utf-8"), turn), encoding="utf-8")
        picked.append(copy)
    return picked


def _rotated(text: str, turn: int) -> str:
    """A repeat that is a new article to every cache: each line's words rotated by *turn*.

    The same words and lengths, so the same work, but no sentence as it was before.
    """
    if turn == 0:
        return text
    lines = []
    for line in text.splitlines():
        words = line.split()
        shift = turn % len(words) if words else 0
        lines.append(" ".join(words[shift:] + words[:shift]))
    return "\n".join(lines) + "\n"


def _audio_s(folder: Path, pattern: str) -> float:
    from mutagen.mp3 import MP3

    return sum(MP3(path).info.length for path in folder.rglob(pattern))


_YESTERDAYS_NEWS = "افتتحت المدينة 3 أسواق في 5 مارس 2025 بكلفة 12 مليون درهم، حسب وكالة Reuters."


def _yesterday(folder: Path, count: int) -> list[Path]:
    """*count* one-sentence stories dated yesterday (UTC, the bench's site zone).

    Like any day's news they hold a number, a date, money and a Latin name, so the text
    front end has used (and kept compiled) its patterns for them before today.
    """
    day = (dt.datetime.now(dt.UTC) - dt.timedelta(days=1)).date().isoformat()
    folder.mkdir(parents=True, exist_ok=True)
    stories = []
    for k in range(count):
        path = folder / f"y{k}.md"
        title = f"خبر قصير رقم {k + 1}"
        path.write_text(
            f"---\ntitle: {title}\ndate: {day}\n---\n\n{_YESTERDAYS_NEWS}\n",
            encoding="utf-8",
        )
        stories.append(path)
    return stories


def _run_tree(
    tree: Path,
    articles: list[Path],
    work: Path,
    *,
    speak_only: bool = False,
    first_day: bool = False,
) -> dict[str, dict[str, float]]:
    env = {**os.environ, "PYTHONPATH": str(tree / "src"), "XDG_CACHE_HOME": str(work / "cache")}
    env = {k: v for k, v in env.items() if not k.startswith("AUDIOBRIEF_")}
    env["AUDIOBRIEF_TIMEZONE"] = "UTC"  # the days below are UTC days
    # Bytecode as an installed package has it (pip compiles it at install); a shell that
    # sets PYTHONDONTWRITEBYTECODE would have every command compile the sources anew
    # (~0.07 s). It goes to the bench's own folder, not into the tree.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(work / "pycache")
    output = work / "out"
    cli = [sys.executable, "-c", "import sys; from audiobrief.cli import cli; cli(sys.argv[1:])"]
    base = ["--config", str(work / "none.toml")]
    if not first_day:
        # Yesterday, not measured: its stories leave the compiled templates and bytecode
        # as any day but the first finds them; its briefing leaves what a briefing says
        # every day (each story's announcement, the pointer, the outro) in the cache, so
        # only today's intro is new to brief.
        stories = [*cli, *base, "-q", "speak", "-o", str(output)]
        _measure([*stories, *map(str, _yesterday(work / "yesterday", len(articles)))], env, tree)
        day = (dt.datetime.now(dt.UTC) - dt.timedelta(days=1)).date().isoformat()
        if not speak_only:
            _measure([*cli, *base, "-q", "brief", "-o", str(output), "--date", day], env, tree)
    steps: dict[str, dict[str, float]] = {}
    today = dt.datetime.now(dt.UTC).date().strftime("%Y/%m/%d")
    for label in ("cold", "warm"):
        speak = [*cli, *base, "-q", "speak", "-o", str(output), *map(str, articles)]
        brief = [*cli, *base, "-q", "brief", "-o", str(output)]  # today's: as speak dated
        steps[f"speak ({label})"] = _measure(speak, env, tree)  # its own voices/ folder
        steps[f"speak ({label})"]["audio_s"] = _audio_s(output, f"{today}/articles/*.mp3")
        if speak_only:
            break
        steps[f"brief ({label})"] = _measure(brief, env, tree)
        steps[f"brief ({label})"]["audio_s"] = _audio_s(output, f"{today}/briefing-*.mp3")
    return steps


def _naive(articles: list[Path], work: Path) -> dict[str, float] | None:
    """espeak-ng on the raw text, then ffmpeg to a 64 kb/s MP3: what a user would write."""
    if not (shutil.which("espeak-ng") and shutil.which("ffmpeg")):
        return None
    lines = ["set -e"]
    for k, article in enumerate(articles):
        wav, mp3 = work / f"n{k}.wav", work / f"n{k}.mp3"
        lines.append(f"espeak-ng -v ar -f '{article}' -w '{wav}'")
        lines.append(f"ffmpeg -loglevel error -y -i '{wav}' -b:a 64k '{mp3}'")
    return _measure(["sh", "-c", "\n".join(lines)], dict(os.environ))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="?", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--articles", type=int, default=30)
    parser.add_argument("--tree", type=Path, action="append", default=[], help="also run it")
    parser.add_argument(
        "--speak-tree", type=Path, action="append", default=[], help="also its cold speak"
    )
    parser.add_argument(
        "--rounds", type=int, default=1, help="run every tree N times; keep each step's best"
    )
    parser.add_argument(
        "--first-day",
        action="store_true",
        help="no briefing the day before: brief also renders what it says every day",
    )
    args = parser.parse_args()
    speak_only = {tree.resolve() for tree in args.speak_tree}
    trees = [REPO, *(tree.resolve() for tree in args.tree), *speak_only]
    with tempfile.TemporaryDirectory(prefix="day-bench-") as temp:
        root = Path(temp)
        articles = _articles(args.corpus.resolve(), args.articles, root / "articles")
        results: dict[str, dict[str, dict[str, float]]] = {}
        naive: dict[str, float] | None = None
        for turn in range(args.rounds):  # each round in the other order: load drifts
            for k, tree in (list(enumerate(trees)))[:: -1 if turn % 2 else 1]:
                work = root / f"t{k}-{turn}"
                steps = _run_tree(
                    tree, articles, work, speak_only=tree in speak_only, first_day=args.first_day
                )
                best = results.setdefault(str(tree), steps)
                for step, figures in steps.items():  # the least disturbed run of each step
                    if figures["wall_s"] < best[step]["wall_s"]:
                        best[step] = figures
                shutil.rmtree(work, ignore_errors=True)
            # The naive script each round too, its best kept: the same treatment.
            again = _naive(articles, root)
            if again is not None and (naive is None or again["cpu_s"] < naive["cpu_s"]):
                naive = again
    print(f"{args.articles} articles of {args.corpus}; CPU: {os.cpu_count()} cores")
    header = f"{'step':<14}" + "".join(
        f"{'wall s':>9}{'CPU s':>8}{'peak MB':>9}{'audio/wall':>11}" for _ in trees
    )
    print(" " * 14 + "".join(f"{tree.name[:36]:>37}" for tree in trees))
    print(header)
    for step in next(iter(results.values())):
        row = f"{step:<14}"
        for tree in trees:
            if step not in results[str(tree)]:
                row += f"{'-':>37}"
                continue
            r = results[str(tree)][step]
            row += f"{r['wall_s']:>9.1f}{r['cpu_s']:>8.1f}{r['peak_mb']:>9.0f}"
            row += f"{r['audio_s'] / r['wall_s']:>11.1f}"
        print(row)
    ours = results[str(REPO)]["speak (cold)"]
    for tree in trees[1:]:
        theirs = results[str(tree)]["speak (cold)"]
        gain = (ours["audio_s"] / ours["wall_s"]) / (theirs["audio_s"] / theirs["wall_s"])
        print(f"cold speak, audio s per wall s: {gain:.2f}x that of {tree.name}")
    for tree in trees:
        if tree in speak_only:
            continue
        r = results[str(tree)]
        share = r["brief (cold)"]["wall_s"] / r["speak (cold)"]["wall_s"]
        when = "on the first day" if args.first_day else "on a later day"
        print(
            f"{tree.name}: brief after speak {when} = {100 * share:.1f}% of cold speak "
            "(target <= 3%)"
        )
    if naive is None:
        print("naive script: espeak-ng or ffmpeg is not installed here; no CPU ratio")
    else:
        for tree in trees:
            cold = results[str(tree)]["speak (cold)"]["cpu_s"]
            print(f"{tree.name}: cold speak CPU = {cold / naive['cpu_s']:.2f}x the naive script")
    print(json.dumps({"articles": args.articles, "results": results, "naive": naive}))


if __name__ == "__main__":
    main()
