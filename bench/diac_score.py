"""Diacritization scoring: DER and WER, with and without case endings, word by word.

Conventions (see bench/diacritization.py for why each one was chosen):

- Tokens are whitespace-delimited and punctuation sticks to its word, for the reference
  and the system alike (SOURCES.md of the WikiNews gold).
- Every Arabic letter of a reference token is scored; digits, Latin letters and
  punctuation are not. A letter's diacritic is the *set* of marks after it (shadda and
  vowel in either order are equal), with sukun dropped: sukun and no mark are the same
  class. So the gold's bare alef, alef maqsura, long-vowel waw/ya and sun-letter lam
  (no mark) match a system that writes nothing or a sukun there.
- The case ending of a word is its last letter, or the letter before a final bare alef
  or alef maqsura (the tanween of عَدَدًا and مَبْنًى sits there). "noCE" scores skip it.
- A system word whose letters differ from the reference (a rewritten hamza) is aligned
  letter by letter when it has as many letters, the changed letters counting as errors;
  otherwise every letter of the word is an error. Missing or extra tokens are aligned
  with difflib and every letter of an unmatched reference token is an error.
- WER counts tokens holding at least one Arabic letter; a word is wrong when any of
  its scored letters is.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, fields

MARKS = frozenset(chr(c) for c in range(0x064B, 0x0653)) | {"\u0670"}
"""Harakat, tanween, shadda, sukun and the dagger alef."""
SUKUN = "\u0652"
_UNMARKED_FINALS = frozenset("\u0627\u0649")  # bare alef, alef maqsura
_STRIP = dict.fromkeys(map(ord, MARKS))


def is_arabic_letter(ch: str) -> bool:
    """True for the Arabic letters hamza..ya (not tatweel) and the Maghrebi extras."""
    code = ord(ch)
    return 0x0621 <= code <= 0x063A or 0x0641 <= code <= 0x064A or ch in "\u0671ڤڭڨگپچ"


def strip_marks(text: str) -> str:
    """Remove every diacritic, keeping letters, spaces and punctuation."""
    return text.translate(_STRIP)


def letters_with_marks(word: str) -> list[tuple[str, frozenset[str]]]:
    """Each Arabic letter of *word* with the marks that follow it, sukun dropped."""
    out: list[tuple[str, frozenset[str]]] = []
    marks: set[str] = set()
    letter: str | None = None
    for ch in [*word, " "]:
        if ch in MARKS:
            marks.add(ch)
            continue
        if letter is not None:
            out.append((letter, frozenset(marks - {SUKUN})))
        letter = ch if is_arabic_letter(ch) else None
        marks = set()
    return out


def case_ending_index(letters: list[tuple[str, frozenset[str]]]) -> int:
    """Index of the letter that carries the case ending; -1 for a word with no letters."""
    last = len(letters) - 1
    if last > 0 and letters[last][0] in _UNMARKED_FINALS:
        return last - 1
    return last


@dataclass
class Score:
    """Counts that add up over words, sentences and corpora."""

    letters: int = 0
    letter_errors: int = 0
    letter_errors_noce: int = 0
    case_endings: int = 0
    words: int = 0
    word_errors: int = 0
    word_errors_noce: int = 0
    changed_words: int = 0
    """System words whose letters (marks ignored) differ from the reference's."""

    def __add__(self, other: Score) -> Score:
        return Score(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(self)))

    @property
    def der(self) -> float:
        """Diacritic error rate over all scored letters, in percent."""
        return _percent(self.letter_errors, self.letters)

    @property
    def der_noce(self) -> float:
        """Diacritic error rate ignoring case endings, in percent."""
        return _percent(self.letter_errors_noce, self.letters - self.case_endings)

    @property
    def wer(self) -> float:
        return _percent(self.word_errors, self.words)

    @property
    def wer_noce(self) -> float:
        return _percent(self.word_errors_noce, self.words)


def _percent(part: int, whole: int) -> float:
    return 100.0 * part / whole if whole else 0.0


def score_word(reference: str, system: str | None) -> Score:
    """Score one system token against one reference token; None means it is missing."""
    ref = letters_with_marks(reference)
    if not ref:
        return Score()
    ce = case_ending_index(ref)
    hyp = letters_with_marks(system) if system is not None else []
    if len(hyp) == len(ref):
        wrong = [r != h for r, h in zip(ref, hyp, strict=True)]
        changed = any(r[0] != h[0] for r, h in zip(ref, hyp, strict=True))
    else:
        wrong, changed = [True] * len(ref), system is not None
    errors_noce = sum(wrong) - wrong[ce]
    return Score(
        letters=len(ref),
        letter_errors=sum(wrong),
        letter_errors_noce=errors_noce,
        case_endings=1,
        words=1,
        word_errors=int(any(wrong)),
        word_errors_noce=int(errors_noce > 0),
        changed_words=int(changed),
    )


def score_line(reference: str, system: str) -> Score:
    """Score a system sentence against its reference, token by token."""
    ref_words, sys_words = reference.split(), system.split()
    if len(ref_words) == len(sys_words):
        pairs: list[tuple[str, str | None]] = list(zip(ref_words, sys_words, strict=True))
    else:
        pairs = _align(ref_words, sys_words)
    total = Score()
    for ref, hyp in pairs:
        total += score_word(ref, hyp)
    return total


def _align(ref_words: list[str], sys_words: list[str]) -> list[tuple[str, str | None]]:
    """Pair tokens by their bare letters; unmatched reference tokens get None."""
    matcher = difflib.SequenceMatcher(
        None, [strip_marks(w) for w in ref_words], [strip_marks(w) for w in sys_words], False
    )
    pairs: list[tuple[str, str | None]] = []
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal" or (op == "replace" and i2 - i1 == j2 - j1):
            pairs += zip(ref_words[i1:i2], sys_words[j1:j2], strict=True)
        else:
            pairs += [(w, None) for w in ref_words[i1:i2]]
    return pairs
