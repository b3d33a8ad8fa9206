"""Speak every corpus article offline; compare the whole pipeline with the bare engine.

    python bench/speak_bench.py [CORPUS_DIR]

For each article (.txt and .html) it prints the audio produced, the pipeline's wall time,
audio seconds per wall second, the time eSpeak NG alone takes to say the same spoken text,
and the ratio pipeline / engine: what cleaning, the front end, diacritization, stitching,
loudness, MP3 encoding, tags and publishing add on top of the voice. The synthesis cache
is off, so every run synthesizes; models are loaded once before timing starts.
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import sys
import tempfile
import time
from pathlib import Path

from audiobrief import pipeline
from audiobrief.config import Settings
from audiobrief.engines.espeak_engine import EspeakEngine
from audiobrief.voice.factory import open_voice

REPO = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = REPO.parent / "shared" / "corpus"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="?", type=Path, default=DEFAULT_CORPUS)
    args = parser.parse_args()
    files = sorted([*args.corpus.glob("*.txt"), *args.corpus.glob("*.html")])
    files = [f for f in files if f.name != "SOURCES.md"]
    if not files:
        print(f"no articles in {args.corpus}", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        shutil.copytree(REPO / "voices", work / "voices")
        settings = Settings(output_dir=work / "out", voices_dir=work / "voices", cache_dir=None)
        run = pipeline.Run(settings=settings, now=dt.datetime(2026, 11, 28, 9, tzinfo=dt.UTC))
        voice = open_voice(settings)
        voice.diacritize and voice.diacritize("تحميل النموذج")  # load models before timing
        engine = EspeakEngine(**dict(voice.profile.options))
        print(
            f"{'article':<24}{'audio s':>9}{'wall s':>8}{'audio/wall':>11}"
            f"{'engine s':>10}{'pipe/engine':>12}"
        )
        total_audio = total_wall = total_engine = 0.0
        for path in files:
            start = time.perf_counter()
            (episode,) = pipeline.speak([str(path)], run)
            wall = time.perf_counter() - start
            texts = [s.spoken for sec in episode.script.sections for s in sec.segments]
            start = time.perf_counter()
            for text in texts:
                engine.synthesize(text)
            engine_s = time.perf_counter() - start
            audio = episode.duration_ms / 1000
            total_audio, total_wall, total_engine = (
                total_audio + audio,
                total_wall + wall,
                total_engine + engine_s,
            )
            print(
                f"{path.name:<24}{audio:>9.1f}{wall:>8.2f}{audio / wall:>11.0f}"
                f"{engine_s:>10.2f}{wall / engine_s:>12.2f}"
            )
        print(
            f"{'TOTAL (' + str(len(files)) + ' files)':<24}{total_audio:>9.1f}{total_wall:>8.2f}"
            f"{total_audio / total_wall:>11.0f}{total_engine:>10.2f}"
            f"{total_wall / total_engine:>12.2f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
