"""Benchmark: diacritizer accuracy (DER/WER) and speed on a diacritized gold.

Usage: python bench/diacritization.py [GOLD] [--model NAME ...] [--repeat N]
       python bench/diacritization.py --long WORDS [WORDS ...]

GOLD is one diacritized sentence per line (default: ../shared/diacritized/
wikinews2014_public.txt next to the repository). Each line is stripped of its marks,
diacritized one sentence per call, and scored against the line, twice per model: the
model's raw output ("guard: no") and audiobrief's Diacritizer ("guard: yes"), which keeps
a word bare when the model changed its letters and puts shadda first.

Scoring conventions (bench/diac_score.py), chosen to follow the gold's SOURCES.md:
- whitespace tokens with punctuation attached, the same tokenizer for gold and system;
- every Arabic letter is scored; digits, Latin and punctuation are not;
- a letter's diacritic is the set of marks after it, order ignored (the gold writes
  shadda first, NFC writes it second), and sukun counts as no mark: the gold leaves
  bare alef, alef maqsura, long-vowel waw/ya and the sun-letter lam unmarked and puts
  sukun on other vowelless letters, while models differ only in where they write a
  sukun; eSpeak NG reads a consonant with sukun and one with no mark the same way;
- the case ending is the last letter, or the one before a final bare alef/alef maqsura
  (tanween fath: عَدَدًا); "noCE" columns skip it;
- a rewritten letter is an error (the "changed" column counts such words); WER counts
  words with at least one Arabic letter.
chars/s: characters of undiacritized input per second of model time, once loaded, best
of --repeat passes (the machine may be busy).

--long: one unpunctuated sentence of WORDS words, diacritized in a fresh process each
time, through the Diacritizer (pieces of at most MAX_PIECE_WORDS words) and through the
model in one call; prints seconds and peak RSS growth over the loaded model.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import time
from pathlib import Path

from audiobrief.text.diacritize import Diacritizer
from audiobrief.text.tashkeel_models import MODELS, installed_models
from diac_score import Score, score_line, strip_marks  # next to this script, on sys.path

DEFAULT_GOLD = (
    Path(__file__).resolve().parents[1]
    / ".."
    / "shared"
    / "diacritized"
    / "wikinews2014_public.txt"
)


def evaluate(model: str, gold: list[str], repeat: int = 1) -> list[tuple[str, Score, float, float]]:
    """Return (guard, score, chars_per_s, load_s) rows for one model."""
    diacritizer = Diacritizer(model)
    inputs = [strip_marks(line) for line in gold]
    started = time.perf_counter()
    diacritizer.predict("تجربة")
    load_s = time.perf_counter() - started
    chars = sum(len(line) for line in inputs)
    rows = []
    for guard, run in (("no", diacritizer.predict), ("yes", diacritizer)):
        elapsed_s = float("inf")
        for _ in range(repeat):
            started = time.perf_counter()
            outputs = [run(line) for line in inputs]
            elapsed_s = min(elapsed_s, time.perf_counter() - started)
        score = Score()
        for reference, output in zip(gold, outputs, strict=True):
            score += score_line(reference, output)
        rows.append((guard, score, chars / elapsed_s, load_s))
    return rows


_FILLER = ("قال", "الوزير", "إن", "الحكومة", "ستواصل", "دعم", "القطاع", "الفلاحي", "في", "المناطق")
# One model call on 800 words already takes about 1.8 GB; longer ones are not tried.
_WHOLE_MAX_WORDS = 800


def _long_run(words: int, whole: bool) -> None:
    """In this process: diacritize one long sentence and print seconds and RSS growth."""
    diacritizer = Diacritizer()
    diacritizer("تجربة")
    base_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    sentence = " ".join(_FILLER[i % len(_FILLER)] for i in range(words))
    started = time.perf_counter()
    (diacritizer.predict if whole else diacritizer)(sentence)
    elapsed_s = time.perf_counter() - started
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base_kb) / 1024
    print(f"{elapsed_s:.2f} {grown_mb:.1f}")


def _long(sizes: list[int]) -> int:
    print("| words | how | s | peak RSS growth MB |")
    print("|---|---|---|---|")
    for words in sizes:
        for how in ("pieces", "whole"):
            if how == "whole" and words > _WHOLE_MAX_WORDS:
                print(f"| {words} | {how} | - | not run (over {_WHOLE_MAX_WORDS} words) |")
                continue
            command = [sys.executable, __file__, "--long-run", str(words), how]
            done = subprocess.run(command, capture_output=True, text=True, check=False)
            row = (
                done.stdout.split()
                if done.returncode == 0
                else ["-", f"failed ({done.returncode})"]
            )
            print(f"| {words} | {how} | {row[0]} | {row[1]} |", flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("gold", nargs="?", type=Path, default=DEFAULT_GOLD.resolve())
    parser.add_argument(
        "--model",
        action="append",
        choices=MODELS,
        help="model to test (repeatable; default: every installed one)",
    )
    parser.add_argument("--repeat", type=int, default=1, help="timed passes per model")
    parser.add_argument("--long", type=int, nargs="+", metavar="WORDS", help="long sentences")
    parser.add_argument("--long-run", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.long_run:
        _long_run(int(args.long_run[0]), whole=args.long_run[1] == "whole")
        return 0
    if args.long:
        return _long(args.long)
    gold = [line for line in args.gold.read_text(encoding="utf-8").splitlines() if line.strip()]
    models = args.model or installed_models()
    words = sum((score_line(line, line) for line in gold), Score()).words
    print(f"gold: {args.gold} ({len(gold)} sentences, {words} Arabic words)\n")
    header = (
        "| model | guard | DER % | DER noCE % | WER % | WER noCE % | changed words "
        "| chars/s | load s |"
    )
    print(header)
    print("|---|---|---|---|---|---|---|---|---|")
    for model in models:
        for guard, s, chars_per_s, load_s in evaluate(model, gold, args.repeat):
            print(
                f"| {model} | {guard} | {s.der:.2f} | {s.der_noce:.2f} | {s.wer:.2f} "
                f"| {s.wer_noce:.2f} | {s.changed_words} | {chars_per_s:,.0f} | {load_s:.2f} |",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
