"""Text stage: the front end writes its own words fully vowelled, so the diacritizer keeps them.

The diacritizer leaves every word that already carries a vowel mark as it is
(diacritize.merge_words), so a vowelled word is a protected word. The model guesses badly
on number words it sees out of context (a stray shadda on ثمانية, a case ending on the
first part of أحد عشر, صَفْر, سُبْع for سبعمئة), while the front end knows which word it
wrote and in which construction. Forms here are the oblique ones newsreaders use; a
declinable word's last mark is adjusted to its neighbours by `vowel`.
"""

from __future__ import annotations

import re
from typing import Literal

from audiobrief.text.lazy import lazy
from audiobrief.text.vowel_tables import NAMES_TEXT, UNITS, WORDS

_KASRA, _FATHA, _DAMMA, _SHADDA = "\u0650", "\u064e", "\u064f", "\u0651"
_KASRATAN, _DAMMATAN = "\u064d", "\u064c"
_CASE_MARKS = "\u064b\u064c\u064d\u064e\u064f\u0650"
_MARKS_RE = lazy("[\u064b-\u0652\u0670]")
_SUN = frozenset("تثدذرزسشصضطظلن")
_WORD_RE = lazy("[\u0621-\u063a\u0641-\u0652\u0670-\u06d3]+")


def _load_table(text: str) -> dict[str, str]:
    table: dict[str, str] = {}
    for line in text.strip().splitlines():
        for entry in line.split("|"):
            bare, vowelled = entry.split(" ")
            # Shadda before its vowel, as eSpeak NG needs (NOTES.md §1, pitfall 1).
            table[bare] = re.sub("([\u064b-\u0650])\u0651", "\u0651\\1", vowelled)
    return table


VOWELLED = {**_load_table(WORDS), **_load_table(UNITS)}
"""Bare word -> fully vowelled form, for every word the front end itself writes."""
NAMES = _load_table(NAMES_TEXT)
"""Bare name -> vowelled name, for the Latin step's table words."""


def vowel_names(text: str) -> str:
    """Each table name of *text* (whole words, as written by the Latin step) vowelled."""
    return " ".join(NAMES.get(word, word) for word in text.split(" "))


# Teens: the unit before عشر/عشرة is built on fatha (خَمْسَةَ عَشَرَ), and عشر/عشرة
# after a unit is the teen's second part, not the number ten.
_TEEN = {"عشر": "عَشَرَ", "عشرة": "عَشْرَةَ"}
_ENDS_IN_YA = frozenset(("ثماني", "الحادي", "الثاني"))
_TEEN_FIRST = frozenset(
    (
        *("أحد", "إحدى", "اثنا", "اثنتا", "اثني", "اثنتي", "ثلاثة", "أربعة", "خمسة", "ستة"),
        *("سبعة", "ثمانية", "تسعة", "ثلاث", "أربع", "خمس", "ست", "سبع", "ثماني", "تسع"),
        *("الحادي", "الثاني", "الثالث", "الرابع", "الخامس", "السادس", "السابع", "الثامن"),
        *("التاسع", "الحادية", "الثانية", "الثالثة", "الرابعة", "الخامسة", "السادسة"),
        *("السابعة", "الثامنة", "التاسعة"),
    )
)
_PREFIXES = (
    ("وبال", "وَبِال"),
    ("فبال", "فَبِال"),
    ("وال", "وَال"),
    ("فال", "فَال"),
    ("بال", "بِال"),
    ("كال", "كَال"),
    ("ولل", "وَلِل"),
    ("لل", "لِل"),
    ("ال", "ال"),
    ("وب", "وَبِ"),
    ("ول", "وَلِ"),
    ("فب", "فَبِ"),
    ("و", "وَ"),
    ("ف", "فَ"),
    ("ب", "بِ"),
    ("ل", "لِ"),
    ("ك", "كَ"),
)
_DUAL_OR_PLURAL = ("يْنِ", "انِ", "ينَ", "ونَ")

Case = Literal["obl", "nom"]


def _definite(stem: str) -> str:
    """The article on a vowelled stem: sun letters take its lam's sound (الثَّلَاثَةِ)."""
    if stem[0] in _SUN:
        return "ال" + stem[0] + _SHADDA + stem[1:]
    return "الْ" + stem


def lookup(word: str) -> tuple[str, bool] | None:
    """The vowelled form of *word* (proclitics allowed) and whether it is definite."""
    if word in VOWELLED:
        return VOWELLED[word], word.startswith("ال")
    for bare, said in _PREFIXES:
        stem = word[len(bare) :]
        if not word.startswith(bare) or stem not in VOWELLED:
            continue
        if bare.endswith("ال"):
            return said[:-2] + _definite(VOWELLED[stem]), True
        if bare.endswith("لل"):  # ل + ال: the article's alef is not written
            return said[:-1] + _definite(VOWELLED[stem])[1:], True
        return said + VOWELLED[stem], stem.startswith("ال")
    return None


def vowel(phrase: str, *, case: Case = "obl", pausal: bool = False) -> str:
    """Vowel every word of *phrase* the table knows; other words are left as they are.

    A declinable ending (a final kasra in the table) becomes fatha before عشر/عشرة,
    tanween before a number joined with و (ثَلَاثَةٍ وَعِشْرِينَ), damma in the nominative,
    and goes away in *pausal* reading (digit by digit) or before فاصلة and نقطة.
    """
    found_words = list(_WORD_RE.finditer(phrase))
    bare_words = [_MARKS_RE.sub("", m[0]) for m in found_words]
    pieces, last = [], 0
    for index, match in enumerate(found_words):
        pieces.append(phrase[last : match.start()])
        last = match.end()
        said = _vowel_word(bare_words, index, match[0], case, pausal)
        if (
            index + 1 == len(bare_words)
            and index
            and pieces[-2][-1:] in (_KASRATAN, _DAMMATAN)
            and said.endswith((_KASRA, _DAMMA))
            and bare_words[index] in ("واحد", "واحدة")
        ):
            # An adjective after an indefinite noun takes its tanween: خَبَرٌ وَاحِدٌ.
            said = said[:-1] + pieces[-2][-1]
        pieces.append(said)
    pieces.append(phrase[last:])
    return "".join(pieces)


def _vowel_word(bare_words: list[str], index: int, word: str, case: Case, pausal: bool) -> str:
    bare = bare_words[index]
    following = bare_words[index + 1] if index + 1 < len(bare_words) else ""
    previous = bare_words[index - 1] if index else ""
    if bare != word:
        return word  # already vowelled by its writer (a lexicon entry, a particle)
    if bare in _TEEN and (previous in _TEEN_FIRST or previous[1:] in _TEEN_FIRST):
        return _TEEN[bare]
    found = lookup(bare)
    if found is None:
        return word
    said, is_definite = found
    # The second term of a construct (ثَلَاثَةُ آلَافٍ) stays genitive in the nominative.
    head = lookup(previous) if previous and not previous.startswith("و") else None
    in_construct = head is not None and not head[1] and head[0].endswith(_KASRA)
    word_case: Case = "obl" if in_construct else case
    digit_run = previous in _DIGIT_WORDS
    return _ending(said, bare, following, is_definite, word_case, pausal, digit_run)


_DIGIT_WORDS = frozenset(
    ("صفر", "واحد", "اثنين", "ثلاثة", "أربعة", "خمسة", "ستة", "سبعة", "ثمانية", "تسعة")
)


def _ending(
    said: str,
    bare: str,
    following: str,
    is_definite: bool,
    case: Case,
    pausal: bool,
    previous_digit: bool = False,
) -> str:
    if following in _TEEN and (bare in _TEEN_FIRST or bare[1:] in _TEEN_FIRST):
        if said.endswith(_KASRA):
            return said[:-1] + _FATHA
        return said + _FATHA if bare in _ENDS_IN_YA else said
    # Digit by digit (a phone number, a long code), each digit is said in pause.
    pausal = pausal or (bare in _DIGIT_WORDS and (following in _DIGIT_WORDS or previous_digit))
    pausal = pausal or following in ("فاصلة", "نقطة")  # 2.5: اثْنَيْن فَاصِلَة خَمْسَة
    if pausal and said[-1] in _CASE_MARKS and said[-2] != _SHADDA:
        return said[:-1]
    if not said.endswith(_KASRA) or said.endswith(_DUAL_OR_PLURAL):
        return said
    joined = following.startswith("و") and lookup(following) is not None
    if case == "nom":
        return said[:-1] + (_DAMMATAN if joined and not is_definite else _DAMMA)
    return said[:-1] + (_KASRATAN if joined and not is_definite else _KASRA)
