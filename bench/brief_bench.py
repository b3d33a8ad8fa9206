"""Daily briefing benchmark: a cold synthesis cache against a warm one, side by side.

Run: .venv/bin/python bench/brief_bench.py                  (10 articles of ../shared/corpus)
     .venv/bin/python bench/brief_bench.py /path/to/corpus --articles 5

The first ARTICLES `*.txt` files of the corpus (sorted by name) go through what a newsroom
runs each day, as two commands with the default offline voice: `audiobrief speak` of the
articles, then `audiobrief brief` of that day. "cold" starts from an empty synthesis cache and
an empty output folder; "warm" runs both commands again, as a second run of the day would,
into the same folder with the cache the cold run filled. Both runs publish the same
files; the bench checks that the two briefings are byte-identical. The target is warm
< 10% of cold.

Each command runs in its own Python process, as cron would start it, so "wall" includes
the interpreter start, imports and model loading. Inside it the pipeline's stage calls are
timed (by wrapping the names pipeline.py calls); "startup, other" is the rest: imports,
settings, the catalog and whatever no stage wrapper covers. Where speak renders two
articles at a time, its stage times add up both threads (and "other" can go negative).
Everything is written under a temporary folder, with --config pointing at a file that
does not exist.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = REPO / ".." / "shared" / "corpus"
TARGET_RATIO = 0.10

# "module:name" as the pipeline calls it -> the stage it belongs to. The audio modules are
# imported by audiobrief.voice.render only on an episode-cache miss, so the audio row is
# render() (or render_briefing()) less the synthesis inside it.
STAGES = {
    "audiobrief.pipeline:load_article": "articles: load + clean",
    "audiobrief.pipeline:open_voice": "voice: open engine + front end",
    "audiobrief.pipeline:build_script": "text: split, normalize, diacritize",
    "audiobrief.pipeline:build_briefing": "text: intro/outro, normalize, diacritize",
    "audiobrief.voice.render:synthesize_all": "engines: synthesize (cache)",
    "audiobrief.pipeline:render": "audio: stitch, loudness, MP3 encode",
    # brief joins the articles' MP3s; only its new parts go through render() inside it.
    "audiobrief.pipeline:render_briefing": "audio: stitch, loudness, MP3 encode",
    "audiobrief.publish.release:write_episode": "publish: tags + side files",
    "audiobrief.publish.release:render_feeds": "publish: feeds",
    "audiobrief.publish.release:render_site": "publish: pages",
}
AUDIO, SYNTH = "audio: stitch, loudness, MP3 encode", "engines: synthesize (cache)"
OTHER = "startup, other"


def _child(command: list[str]) -> None:
    """Run one audiobrief command in this process, timing each pipeline stage; print JSON."""
    started = time.perf_counter()
    from audiobrief.cli import cli

    spent: dict[str, float] = dict.fromkeys(STAGES.values(), 0.0)

    def timed(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            begin = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                spent[STAGES[name]] += time.perf_counter() - begin

        return wrapper

    for name in STAGES:
        module_name, attribute = name.split(":")
        module = importlib.import_module(module_name)
        setattr(module, attribute, timed(name, getattr(module, attribute)))
    try:
        cli.main(command, standalone_mode=False)
    finally:
        spent[AUDIO] -= spent[SYNTH]  # synthesis runs inside render()
        spent[OTHER] = time.perf_counter() - started - sum(spent.values())
        print(json.dumps(spent))


def _run(command: list[str], env: dict[str, str], cwd: Path) -> tuple[float, dict[str, float]]:
    """Start a fresh interpreter for *command*; its wall time and its stage times."""
    begin = time.perf_counter()
    done = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--child", json.dumps(command)],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )
    wall_s = time.perf_counter() - begin
    if done.returncode != 0:
        sys.exit(f"audiobrief {' '.join(command)} failed:\n{done.stdout}\n{done.stderr}")
    stages: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    stages[OTHER] += wall_s - sum(stages.values())  # interpreter start and exit
    return wall_s, stages


def _day(output: Path) -> str:
    """The day the articles were dated (speak dates them today, in the show's time zone)."""
    (day,) = {"-".join(p.parts[-5:-2]) for p in output.glob("*/*/*/articles/*.mp3")}
    return day


def _phase(files: list[Path], root: Path) -> dict[str, Any]:
    output = root / "out"
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUDIOBRIEF_")}
    env |= {
        "AUDIOBRIEF_CACHE_DIR": str(root / "cache"),
        "AUDIOBRIEF_VOICES_DIR": str(REPO / "voices"),
    }
    base = ["--config", str(root / "nowhere.toml"), "-q"]
    speak = _run([*base, "speak", *map(str, files), "-o", str(output)], env, root)
    day = _day(output)
    brief = _run([*base, "brief", "--date", day, "-o", str(output)], env, root)
    mp3 = next(output.glob(f"*/*/*/briefing-{day}.mp3")).read_bytes()
    return {"speak": speak, "brief": brief, "mp3": mp3}


def _report(cold: dict[str, Any], warm: dict[str, Any], articles: int) -> None:
    cold_s = cold["speak"][0] + cold["brief"][0]
    warm_s = warm["speak"][0] + warm["brief"][0]
    print(f"Briefing of {articles} corpus articles, default voice; wall seconds per command\n")
    print(f"{'':12}{'cold':>9}{'warm':>9}")
    for command in ("speak", "brief"):
        print(f"{command:12}{cold[command][0]:9.1f}{warm[command][0]:9.1f}")
    print(f"{'total':12}{cold_s:9.1f}{warm_s:9.1f}")
    ratio = warm_s / cold_s
    verdict = "meets" if ratio < TARGET_RATIO else "misses"
    print(f"\nwarm / cold = {ratio:.1%} ({verdict} the target of < {TARGET_RATIO:.0%})")
    same = "byte-identical" if warm["mp3"] == cold["mp3"] else "DIFFERENT"
    print(f"briefing MP3: {len(warm['mp3']) / 1e6:.1f} MB; warm rebuild {same} to cold\n")
    print("Where the time goes (seconds):")
    header = f"{'stage':42}{'cold speak':>11}{'cold brief':>11}{'warm speak':>11}{'warm brief':>11}"
    print(header)
    for stage in [*dict.fromkeys(STAGES.values()), OTHER]:
        row = [cold["speak"][1][stage], cold["brief"][1][stage]]
        row += [warm["speak"][1][stage], warm["brief"][1][stage]]
        print(f"{stage:42}" + "".join(f"{value:11.2f}" for value in row))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="?", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--articles", type=int, default=10, help="how many (default 10)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(json.loads(args.child))
        return
    files = sorted(args.corpus.glob("*.txt"))[: args.articles]
    if len(files) < args.articles:
        sys.exit(f"{args.corpus} holds {len(files)} .txt articles; {args.articles} wanted.")
    with tempfile.TemporaryDirectory(prefix="brief-bench-") as folder:
        root = Path(folder)
        cold = _phase(files, root)
        warm = _phase(files, root)
        _report(cold, warm, len(files))


if __name__ == "__main__":
    main()
