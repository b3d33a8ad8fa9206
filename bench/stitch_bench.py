"""Stitching benchmark: audiobrief's stitcher vs naive pydub summation, side by side.

Run: .venv/bin/python bench/stitch_bench.py            (1,000 clips: one hour of speech)
     .venv/bin/python bench/stitch_bench.py --clips 100 300 1000

Each clip is 3.6 s of a synthetic tone with noise at 22,050 Hz mono, followed by a pause
(250/500/900 ms, 1,500 ms between the ten sections), so 1,000 clips are an hour of speech
and 67 minutes of audio. Each variant runs in its own subprocess, so its peak RSS is its
own: "peak" is the process's ru_maxrss, "added" what the stitching added on top of the
clips it was given, shown also as a multiple of the episode's raw PCM.
Naive summation (`episode += clip`) copies the whole episode at every step, so its time
grows with the square of the clip count; the trend over the clip counts shows it.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
import warnings

import numpy as np

with warnings.catch_warnings():  # pydub warns at import that there is no ffmpeg: not needed
    warnings.filterwarnings("ignore", "Couldn't find ffmpeg", RuntimeWarning)
    from pydub import AudioSegment

    from audiobrief.audio.stitch import stitch
    from audiobrief.model import Script, Section, Segment

RATE_HZ = 22050
CLIP_MS = 3600
SECTIONS = 10
NAIVE_LIMIT_S = 300.0  # skip naive runs predicted to take longer than this


def _clips(count: int) -> list[AudioSegment]:
    rng = np.random.default_rng(0)
    t = np.arange(RATE_HZ * CLIP_MS // 1000) / RATE_HZ
    clips = []
    for i in range(count):
        tone = 0.3 * np.sin(2 * np.pi * (120 + i % 80) * t) + rng.normal(0.0, 0.05, t.size)
        pcm = np.clip(tone * 32767, -32768, 32767).astype("<i2").tobytes()
        clips.append(AudioSegment(data=pcm, sample_width=2, frame_rate=RATE_HZ, channels=1))
    return clips


def _pause_ms(i: int, count: int) -> int:
    per_section = max(1, count // SECTIONS)
    if (i + 1) % per_section == 0:
        return 1500
    return (250, 500, 250, 900)[i % 4]


def _script(count: int) -> Script:
    per_section = max(1, count // SECTIONS)
    segments = [
        Segment(
            written=f"s{i}",
            spoken=f"s{i}",
            paragraph=1 + i % 7,
            sentence=i,
            pause_after_ms=_pause_ms(i, count),
        )
        for i in range(count)
    ]
    sections = [
        Section(title=f"section {k}", segments=tuple(segments[k : k + per_section]))
        for k in range(0, count, per_section)
    ]
    return Script(title="bench", sections=tuple(sections))


def _run_variant(variant: str, count: int) -> dict[str, float]:
    clips = _clips(count)
    base_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    if variant == "audiobrief":
        track, _ = stitch(_script(count), clips, sample_rate_hz=RATE_HZ, tail_ms=300)
        pcm_bytes, duration_ms = len(track.pcm), track.duration_ms
    else:
        episode = AudioSegment.empty().set_frame_rate(RATE_HZ)
        for i, clip in enumerate(clips):
            episode += clip
            pause = 300 if i == count - 1 else _pause_ms(i, count)
            episode += AudioSegment.silent(duration=pause, frame_rate=RATE_HZ)
        pcm_bytes, duration_ms = len(episode.raw_data), len(episode)
    wall_s = time.perf_counter() - started
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "wall_s": wall_s,
        "peak_mb": peak_kb / 1024,
        "added_mb": (peak_kb - base_kb) / 1024,
        "pcm_mb": pcm_bytes / 2**20,
        "duration_s": duration_ms / 1000,
    }


def _child(variant: str, count: int) -> dict[str, float]:
    cmd = [sys.executable, __file__, "--child", variant, "--clips", str(count)]
    done = subprocess.run(cmd, capture_output=True, text=True, check=True)
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _row(variant: str, count: int, r: dict[str, float]) -> str:
    return (
        f"{variant:<11} {count:>5} {r['duration_s'] / 60:>7.1f} {r['wall_s']:>9.2f} "
        f"{r['peak_mb']:>8.0f} {r['added_mb']:>9.0f} {r['added_mb'] / r['pcm_mb']:>6.2f}x"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=int, nargs="+", default=[100, 300, 1000])
    parser.add_argument("--child", choices=["audiobrief", "naive"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(_run_variant(args.child, args.clips[0])))
        return

    print("variant     clips  audio    wall s  peak MB  added MB  added/PCM")
    print("                    min")
    results: dict[tuple[str, int], dict[str, float]] = {}
    for count in sorted(args.clips):
        for variant in ("audiobrief", "naive"):
            if variant == "naive" and _predicted_naive_s(results, count) > NAIVE_LIMIT_S:
                print(f"naive       {count:>5}  skipped: predicted over {NAIVE_LIMIT_S:.0f} s")
                continue
            results[variant, count] = _child(variant, count)
            print(_row(variant, count, results[variant, count]), flush=True)
    for count in sorted(args.clips):
        if ("naive", count) in results:
            ratio = results["naive", count]["wall_s"] / results["audiobrief", count]["wall_s"]
            print(f"{count} clips: naive / audiobrief wall time = {ratio:.0f}x")


def _predicted_naive_s(results: dict[tuple[str, int], dict[str, float]], count: int) -> float:
    """Quadratic extrapolation from the largest naive run so far (0 when none ran)."""
    done = [n for (variant, n) in results if variant == "naive"]
    if not done:
        return 0.0
    largest = max(done)
    return results["naive", largest]["wall_s"] * (count / largest) ** 2


if __name__ == "__main__":
    main()
