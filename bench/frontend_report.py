"""Report: how much of a corpus the Arabic front end verbalizes, and what eSpeak NG makes of it.

Usage: python bench/frontend_report.py [CORPUS] [--month-style STYLE] [--lexicon TSV]
                                        [--no-espeak] [--no-diacritize]

CORPUS is a folder of articles, one .txt each (default: ../shared/corpus next to the
repository). Per article and in total it prints:
- digits: whitespace tokens of the written text holding a digit, and the share the rules
  verbalize (measured with every step but the last-resort `scrub`, which would otherwise
  make it 100% by naming digits one by one);
- latin: tokens holding a Latin letter, and the share the rules handle (same method);
- leftover: digits or Latin letters in the full output (must be 0);
- front: words the front end wrote vowelled (numbers, dates, months, units, letters,
  transliterations: a vowelled word of the output that the article did not write), and
  "revowel", how many of them the diacritizer changed (target 0; NOTES.md section 1);
  "bare": words the front end wrote without vowels (left to the diacritizer);
- novowel: the share of words eSpeak NG renders with no vowel (NOTES.md sections 1 and 6),
  on the normalized text ("raw") and after diacritization ("diac"), each paragraph fed
  through EspeakEngine.phonemize (which cuts text the way synthesis does).
The eSpeak columns need audiobrief.engines.espeak_engine and its library; without them
the report says so and prints the text measures only.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from audiobrief.text.lexicon import load_lexicon
from audiobrief.text.normalize import make_steps, normalize, scrub

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = ROOT / ".." / "shared" / "corpus"
DEFAULT_LEXICON = ROOT / "voices" / "lexicon.tsv"
_LATIN = re.compile(r"[A-Za-z\u00c0-\u024f]")
_IPA_VOWELS = set("aeiouyæɑɐɒɔəɘɛɜɞɤɨɪɯɵøœʉʊʌ")
_MARKS = re.compile("[\u064b-\u0652\u0670]")
_VOWEL = re.compile("[\u064b-\u0650\u0652]")
_ARABIC_WORD = re.compile("[\u0621-\u064a]")


@dataclass
class Counts:
    """Measures of one article (or of the whole corpus when added up)."""

    digit_tokens: int = 0
    digit_left: int = 0
    latin_tokens: int = 0
    latin_left: int = 0
    leftover_chars: int = 0
    words_raw: int = 0
    novowel_raw: int = 0
    words_diac: int = 0
    novowel_diac: int = 0
    front_words: int = 0
    front_revowelled: int = 0
    front_bare: int = 0

    def add(self, other: Counts) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


def _share(part: int, whole: int) -> str:
    return f"{100 * part / whole:5.1f}%" if whole else "    -"


def _digit_tokens(text: str) -> int:
    return sum(any(c.isdigit() for c in token) for token in text.split())


def _latin_tokens(text: str) -> int:
    return sum(bool(_LATIN.search(token)) for token in text.split())


def _novowel(ipa: str) -> tuple[int, int]:
    words = [w for w in ipa.split() if any(c.isalpha() for c in w)]
    bare = [w for w in words if not _IPA_VOWELS & set(w.lower())]
    return len(words), len(bare)


def _front_words(paragraph: str, spoken: str) -> tuple[list[int], int]:
    """Indexes of the spoken words the front end wrote vowelled, and its bare words.

    A word is the front end's when its letters are not a word of the written paragraph
    (with or without a proclitic): the article's own words pass through unchanged.
    """
    written = {_MARKS.sub("", w).strip("،؛.:!؟()«»\"'") for w in paragraph.split()}
    vowelled, bare = [], 0
    for index, word in enumerate(spoken.split()):
        letters = _MARKS.sub("", word).strip("،؛.:!؟")
        if not _ARABIC_WORD.search(letters) or letters in written:
            continue
        if _VOWEL.search(word):
            vowelled.append(index)
        else:
            bare += 1
    return vowelled, bare


def _load_phonemizer() -> Callable[[str], str] | None:
    try:  # another stage's module: optional here, so the text measures run without it
        from audiobrief.engines.espeak_engine import EspeakEngine
    except ImportError as exc:
        print(f"(eSpeak columns skipped: audiobrief.engines.espeak_engine: {exc})")
        return None
    from audiobrief.errors import EngineError

    try:
        return EspeakEngine().phonemize
    except EngineError as exc:
        print(f"(eSpeak columns skipped: {exc})")
        return None


def _load_diacritizer() -> Callable[[str], str] | None:
    from audiobrief.errors import AudiobriefError

    try:
        from audiobrief.text.diacritize import Diacritizer

        diacritizer = Diacritizer()
        diacritizer("تجربة")
    except (ImportError, AudiobriefError) as exc:
        print(f"(diacritized column skipped: {exc})")
        return None
    return diacritizer


def measure(
    text: str,
    steps: tuple[Callable[[str], str], ...],
    phonemize: Callable[[str], str] | None,
    diacritize: Callable[[str], str] | None,
) -> Counts:
    """Measure one article, paragraph by paragraph."""
    rules = tuple(step for step in steps if step is not scrub)
    counts = Counts()
    for paragraph in filter(None, (line.strip() for line in text.splitlines())):
        partial, spoken = normalize(paragraph, rules), normalize(paragraph, steps)
        counts.digit_tokens += _digit_tokens(paragraph)
        counts.digit_left += _digit_tokens(partial)
        counts.latin_tokens += _latin_tokens(paragraph)
        counts.latin_left += _latin_tokens(partial)
        counts.leftover_chars += sum(c.isdigit() or bool(_LATIN.match(c)) for c in spoken)
        said = diacritize(spoken) if diacritize is not None else None
        if said is not None:
            front, bare = _front_words(paragraph, spoken)
            before, after = spoken.split(), said.split()
            counts.front_words += len(front)
            counts.front_bare += bare
            # shadda first is the only change the diacritizer may make to a marked word
            counts.front_revowelled += sum(
                len(before) != len(after)
                or _VOWEL.sub("", before[i]) != _VOWEL.sub("", after[i])
                or sorted(before[i]) != sorted(after[i])
                for i in front
            )
        if phonemize is None:
            continue
        words, bare = _novowel(phonemize(spoken))
        counts.words_raw += words
        counts.novowel_raw += bare
        if said is not None:
            words, bare = _novowel(phonemize(said))
            counts.words_diac += words
            counts.novowel_diac += bare
    return counts


def _row(name: str, c: Counts) -> str:
    digits = f"{c.digit_tokens:4d} {_share(c.digit_tokens - c.digit_left, c.digit_tokens)}"
    latin = f"{c.latin_tokens:4d} {_share(c.latin_tokens - c.latin_left, c.latin_tokens)}"
    vowels = (
        f"{c.words_raw:5d} {_share(c.novowel_raw, c.words_raw)} "
        f"{_share(c.novowel_diac, c.words_diac)}"
    )
    front = f"{c.front_words:5d} {c.front_revowelled:4d} {c.front_bare:4d}"
    return f"{name:24s} {digits}  {latin}  {c.leftover_chars:4d}  {vowels}  {front}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="?", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--month-style", default="maghreb")
    parser.add_argument("--lexicon", type=Path, default=DEFAULT_LEXICON)
    parser.add_argument("--no-espeak", action="store_true", help="text measures only")
    parser.add_argument("--no-diacritize", action="store_true", help="skip the diac column")
    args = parser.parse_args(argv)
    files = sorted(args.corpus.glob("*.txt"))
    if not files:
        print(f"No .txt articles in {args.corpus}; pass the corpus folder.", file=sys.stderr)
        return 1
    lexicon = load_lexicon(args.lexicon) if args.lexicon.is_file() else None
    steps = make_steps(args.month_style, lexicon)
    phonemize = None if args.no_espeak else _load_phonemizer()
    diacritize = None if args.no_diacritize else _load_diacritizer()
    print(
        f"{'article':24s} {'digit tok  verb':15s}  {'latin tok  done':15s}  left  "
        f"{'words  novowel raw / diac':24s}  front revowel bare"
    )
    total = Counts()
    for path in files:
        counts = measure(path.read_text(encoding="utf-8"), steps, phonemize, diacritize)
        total.add(counts)
        print(_row(path.stem, counts))
    print(_row("TOTAL", total))
    return 0


if __name__ == "__main__":
    sys.exit(main())
