"""Benchmark: diacritizer accuracy (DER/WER) and speed on a diacritized gold.

Usage: python bench/diacritization.py [GOLD] [--model NAME ...] [--repeat N]

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
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from audiobrief.text.diacritize import MODELS, Diacritizer, installed_models
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
    args = parser.parse_args(argv)
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
