"""Voices benchmark: cold vs warm `audiobrief speak` of the corpus, gTTS and eSpeak NG side by side.

Run: .venv/bin/python bench/voices_bench.py [CORPUS_DIR] [--gtts-articles N] [--delay-ms 300]

Each voice gets a fresh temporary folder with the repository's voice profiles, an
audiobrief.toml naming a fresh cache folder, and a fresh output folder per run. The cold
run starts with an empty cache; the warm run speaks the same articles again into a new
output folder, so it does all the publishing work again and differs only by the cache.
Every run is its own `audiobrief speak` process (imports included, as a user sees it).

- ar-gtts talks to a fake Google on 127.0.0.1 (gtts.tts._translate_url is patched in the
  child process, NOTES.md section 5) that answers each batchexecute request after
  --delay-ms with a real small MP3 about as long as the text would take to say.
- ar-espeak is the offline default voice.

Stage times come from wrapping the stage functions the pipeline calls (load_article,
open_voice, build_script, render and the synthesize_all inside it, write_episode,
render_feeds, render_site); "other" is the rest (CLI, settings, catalog writes).
"""

from __future__ import annotations

import argparse
import base64
import functools
import http.server
import importlib
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = REPO / ".." / "shared" / "corpus"
WARM_SPEEDUP_GOAL = 20.0  # gTTS: the warm run must be at least this many times faster
MS_PER_CHAR = 70  # fake Google's clip length: about 14 characters of Arabic per second

# "module:name" of the functions each stage runs -> the stage they count toward. The audio
# stage's modules are imported by audiobrief.voice.render only on a cache miss (scipy alone
# takes over a second), so the audio row is render() less the synthesis inside it.
STAGES: dict[str, str] = {
    "audiobrief.pipeline:load_article": "loading (articles, voice)",
    "audiobrief.pipeline:open_voice": "loading (articles, voice)",
    "audiobrief.pipeline:build_script": "text front end",
    "audiobrief.voice.render:synthesize_all": "synthesis / cache reads",
    "audiobrief.pipeline:render": "audio: stitch, loudness, encode (+ their imports)",
    "audiobrief.publish.release:check_cover": "tags/files",
    "audiobrief.publish.release:write_episode": "tags/files",
    "audiobrief.publish.release:render_feeds": "feeds/site",
    "audiobrief.publish.release:render_site": "feeds/site",
}


ROWS = [
    "imports",
    "loading (articles, voice)",
    "text front end",
    "synthesis / cache reads",
    "audio: stitch, loudness, encode (+ their imports)",
    "tags/files",
    "feeds/site",
    "other (CLI, catalog)",
]


# --- the child: one `audiobrief speak` with timers --------------------------------------


def _child(spec: dict[str, Any]) -> None:
    """Run the CLI once in this process and write its stage times to spec["result"]."""
    start = time.perf_counter()
    stages: dict[str, float] = dict.fromkeys(ROWS, 0.0)
    from audiobrief import cli, pipeline
    from audiobrief.engines import cache

    if spec["google_port"] is not None:
        import gtts.tts

        url = f"http://127.0.0.1:{spec['google_port']}/"
        gtts.tts._translate_url = lambda tld="com", path="": url + path
    stages["imports"] = time.perf_counter() - start

    def timed(fn: Callable[..., Any], stage: str) -> Callable[..., Any]:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            began = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                stages[stage] += time.perf_counter() - began

        return wrapper

    missing = []
    for target, stage in STAGES.items():
        module_name, name = target.split(":")
        module = importlib.import_module(module_name)
        if hasattr(module, name):
            setattr(module, name, timed(getattr(module, name), stage))
        else:
            missing.append(target)
    engines: list[Any] = []
    real_init = cache.CachedEngine.__init__

    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        real_init(self, *args, **kwargs)
        engines.append(self)

    cache.CachedEngine.__init__ = init  # type: ignore[method-assign]
    episodes: list[Any] = []
    real_speak = pipeline.speak

    def speak(*args: Any, **kwargs: Any) -> Any:
        spoken = real_speak(*args, **kwargs)
        episodes.extend(spoken)
        return spoken

    pipeline.speak = speak
    cli.cli.main(args=spec["args"], prog_name="audiobrief", standalone_mode=False)
    total = time.perf_counter() - start
    stages["audio: stitch, loudness, encode (+ their imports)"] -= stages["synthesis / cache reads"]
    stages["other (CLI, catalog)"] = total - sum(stages.values())
    result = {
        "total_s": total,
        "stages": stages,
        "missing": missing,
        "audio_s": sum(e.duration_ms for e in episodes) / 1000,
        "misses": sum(e.misses for e in engines),
        "hits": sum(e.hits for e in engines),
    }
    Path(spec["result"]).write_text(json.dumps(result), encoding="utf-8")


# --- the fake Google on loopback ---------------------------------------------------------


class FakeGoogle:
    """A threaded HTTP server on 127.0.0.1 answering like Google's batchexecute endpoint."""

    def __init__(self, delay_s: float) -> None:
        import lameenc  # the MP3 encoder audiobrief itself uses

        self.requests = 0
        self._lock = threading.Lock()
        self._mp3s: dict[int, bytes] = {}

        def mp3(duration_ms: int) -> bytes:
            with self._lock:
                if duration_ms not in self._mp3s:
                    rate_hz = 24000
                    count = rate_hz * duration_ms // 1000
                    samples = (
                        int(6000 * math.sin(2 * math.pi * 200 * i / rate_hz)) for i in range(count)
                    )
                    pcm = b"".join(s.to_bytes(2, "little", signed=True) for s in samples)
                    encoder = lameenc.Encoder()
                    encoder.set_bit_rate(32)
                    encoder.set_in_sample_rate(rate_hz)
                    encoder.set_channels(1)
                    encoder.set_quality(7)
                    self._mp3s[duration_ms] = bytes(encoder.encode(pcm) + encoder.flush())
                return self._mp3s[duration_ms]

        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"])).decode("utf-8")
                form = urllib.parse.parse_qs(body)
                text = json.loads(json.loads(form["f.req"][0])[0][0][1])[0]
                duration_ms = min(10_000, max(500, round(len(text) * MS_PER_CHAR / 500) * 500))
                audio = base64.b64encode(mp3(duration_ms)).decode("ascii")
                reply = f')]}}\'\n\n[["wrb.fr","jQ1olc","[\\"{audio}\\"]",null,null,"generic"]]\n'
                time.sleep(delay_s)
                with owner._lock:
                    owner.requests += 1
                data = reply.encode("utf-8")
                self.send_response(200)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port: int = self.server.server_address[1]
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


# --- the parent: cold and warm runs per voice --------------------------------------------


def _run(work: Path, phase: str, args: list[str], port: int | None) -> dict[str, Any]:
    result = work / f"{phase}.json"
    spec = {"args": args, "google_port": port, "result": str(result)}
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    env = {k: v for k, v in env.items() if not k.startswith("AUDIOBRIEF_")}
    began = time.perf_counter()
    done = subprocess.run(
        [sys.executable, __file__, "--child", json.dumps(spec)],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - began
    if done.returncode != 0:
        sys.exit(f"{phase} run failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    data: dict[str, Any] = json.loads(result.read_text(encoding="utf-8"))
    data["wall_s"] = wall
    return data


def _voice_runs(
    voice: str, files: list[Path], google: FakeGoogle | None
) -> dict[str, dict[str, Any]]:
    runs: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix=f"bench-{voice}-") as tmp:
        work = Path(tmp)
        shutil.copytree(REPO / "voices", work / "voices")
        (work / "audiobrief.toml").write_text(f'cache_dir = "{work / "cache"}"\n', encoding="utf-8")
        for phase in ("cold", "warm"):
            before = google.requests if google else 0
            args = ["-q", "speak", *map(str, files), "--voice", voice, "-o", str(work / phase)]
            runs[phase] = _run(work, phase, args, google.port if google else None)
            runs[phase]["requests"] = (google.requests - before) if google else None
            print(f"  {voice} {phase}: {runs[phase]['wall_s']:.1f} s", file=sys.stderr)
    return runs


def _report(results: dict[str, dict[str, dict[str, Any]]], counts: dict[str, int]) -> None:
    print()
    print(
        f"{'voice':<11}{'articles':>9}{'audio s':>9}{'cold s':>8}{'warm s':>8}"
        f"{'cold/warm':>10}{'engine calls':>14}{'requests':>11}"
    )
    for voice, runs in results.items():
        cold, warm = runs["cold"], runs["warm"]
        calls = f"{cold['misses']}/{warm['misses']}"
        requests = f"{cold['requests']}/{warm['requests']}" if cold["requests"] is not None else "-"
        print(
            f"{voice:<11}{counts[voice]:>9}{cold['audio_s']:>9.0f}{cold['wall_s']:>8.1f}"
            f"{warm['wall_s']:>8.1f}{cold['wall_s'] / warm['wall_s']:>9.1f}x"
            f"{calls:>14}{requests:>11}"
        )
    print("(engine calls = cache misses, cold/warm; requests = fake Google requests, cold/warm)")
    print()
    heads = [f"{voice} {phase}" for voice in results for phase in ("cold", "warm")]
    print(f"{'seconds per stage':<28}" + "".join(f"{h:>16}" for h in heads))
    for row in [*ROWS, "total (in process)"]:
        cells = []
        for runs in results.values():
            for phase in ("cold", "warm"):
                run = runs[phase]
                value = run["total_s"] if row.startswith("total") else run["stages"][row]
                share = f"{100 * value / run['total_s']:3.0f}%"
                cells.append(f"{value:>10.2f} {share}")
        print(f"{row:<28}" + "".join(f"{c:>16}" for c in cells))
    missing = {
        name for runs in results.values() for run in runs.values() for name in run["missing"]
    }
    if missing:
        print(f"(not timed, counted in other: {', '.join(sorted(missing))})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="?", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--gtts-articles", type=int, default=0, help="0: all (the default)")
    parser.add_argument("--delay-ms", type=int, default=300, help="fake Google's answer time")
    parser.add_argument("--voices", nargs="+", default=["ar-gtts", "ar-espeak"])
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(json.loads(args.child))
        return 0
    files = sorted(args.corpus.resolve().glob("*.txt"))
    if not files:
        print(f"no .txt articles in {args.corpus}", file=sys.stderr)
        return 1
    google = FakeGoogle(args.delay_ms / 1000)
    results: dict[str, dict[str, dict[str, Any]]] = {}
    counts: dict[str, int] = {}
    try:
        for voice in args.voices:
            online = voice == "ar-gtts"
            chosen = files[: args.gtts_articles] if online and args.gtts_articles else files
            counts[voice] = len(chosen)
            results[voice] = _voice_runs(voice, chosen, google if online else None)
    finally:
        google.close()
    print(
        f"corpus: {args.corpus} ({len(files)} articles); fresh output folder per run, "
        "one fresh cache folder per voice"
    )
    if "ar-gtts" in results:
        print(
            f"ar-gtts: the first {counts['ar-gtts']} articles, fake Google on 127.0.0.1 "
            f"answering each request after {args.delay_ms} ms"
        )
    _report(results, counts)
    if "ar-gtts" in results:
        runs = results["ar-gtts"]
        cold, warm = runs["cold"], runs["warm"]
        measures = {
            "whole run (wall)": (cold["wall_s"], warm["wall_s"]),
            "after imports": (
                cold["total_s"] - cold["stages"]["imports"],
                warm["total_s"] - warm["stages"]["imports"],
            ),
            "synthesis stage": (
                cold["stages"]["synthesis / cache reads"],
                warm["stages"]["synthesis / cache reads"],
            ),
        }
        print(f"\nar-gtts warm vs cold (goal: at least {WARM_SPEEDUP_GOAL:.0f}x faster)")
        for name, (cold_s, warm_s) in measures.items():
            if warm_s < 0.005:  # nothing measurable left: say so, not a huge ratio
                print(f"  {name:<18}{cold_s:>8.2f} s -> {warm_s:>6.2f} s  no work left  meets")
                continue
            speedup = cold_s / warm_s
            verdict = "meets" if speedup >= WARM_SPEEDUP_GOAL else "MISSES"
            print(f"  {name:<18}{cold_s:>8.2f} s -> {warm_s:>6.2f} s  {speedup:>7.1f}x  {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
