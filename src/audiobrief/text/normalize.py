"""Text stage: a clause's written form -> the form a voice speaks (harakat kept)."""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable, Iterable

from audiobrief.errors import ConfigError
from audiobrief.text.abbreviations import expand_abbreviations, expand_bracketed
from audiobrief.text.dates import spell_dates
from audiobrief.text.latin import spell_latin
from audiobrief.text.latin_tables import LETTERS_FR
from audiobrief.text.lazy import lazy
from audiobrief.text.lexicon import Lexicon
from audiobrief.text.money import spell_money
from audiobrief.text.numbers import digits
from audiobrief.text.numerals import spell_numbers
from audiobrief.text.patterns import group_separators, rewrite_patterns
from audiobrief.text.tables import LETTERS, MARKS, MONTH_STYLES, PERCENT
from audiobrief.text.vowels import vowel

Step = Callable[[str], str]  # one job, pure: testable alone, reorderable, replaceable

_BIDI = "\u061c\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2060\u2066\u2067"
_UNSPOKEN: dict[int, str | None] = dict.fromkeys(
    map(ord, "\u0640\ufeff\u2068\u2069" + _BIDI)
)  # tatweel, bidi, ZW*
_FOLD_MAP: dict[int, str | None] = {
    **_UNSPOKEN,
    **{0x0660 + i: str(i) for i in range(10)},  # Eastern Arabic digits
    **{0x06F0 + i: str(i) for i in range(10)},  # Persian digits
    0x066B: ".",  # Arabic decimal separator
    0x066C: ",",  # Arabic thousands separator
    0x06CC: "ي",  # Persian yeh, also what NFKC makes of the rial sign
    0x06A9: "ك",  # keheh
    0x06C1: "ه",  # heh goal
    0x06D5: "ه",  # ae
}
_FOLD = str.maketrans(_FOLD_MAP)
_ARABIC_BASE = lazy(f"[{LETTERS}]")
_OTHER_DIGIT = lazy(r"(?![0-9])\d")
_VOWEL_THEN_SHADDA = lazy("([\u064b-\u0650])\u0651")


def fold_unicode(text: str) -> str:
    """Unfold presentation forms, drop tatweel and bidi marks, use ASCII digits; idempotent.

    NFKC can emit tatweel and dropping a mark can let hamza compose with alef, so the
    text is stripped after NFKC and recomposed with NFC. Marks that sit on no Arabic
    letter (on a digit, a Latin letter, a space) are dropped: a later step replaces
    their base, and they would compose with the replacement on the next pass.
    """
    text = unicodedata.normalize("NFKC", text).translate(_FOLD)
    text = _OTHER_DIGIT.sub(lambda m: str(unicodedata.digit(m[0], 0)), text)
    kept, on_arabic = [], False
    is_arabic = _ARABIC_BASE.compiled.match  # once: the loop calls it for every character
    for char in text:
        if unicodedata.category(char).startswith("M"):
            if on_arabic:
                kept.append(char)
            continue
        on_arabic = bool(is_arabic(char))
        kept.append(char)
    # NFC puts a vowel before its shadda; eSpeak NG then drops the vowel (NOTES.md §1),
    # and the front end's own vowelled words must come back exactly as they were written.
    return _VOWEL_THEN_SHADDA.sub("\u0651\\1", unicodedata.normalize("NFC", "".join(kept)))


_HUNDRED = lazy(f"مائ(?=(?:ة|تا|تان|تين|تي|ات)[{MARKS}]*(?![{LETTERS}]))")
# A stop glued between two words (المائة.وتفيد), not the dots of ص.ب or ج.م.ع.
_GLUED = lazy(f"([{LETTERS}{MARKS}]{{2,}})([.،؛])(?=[{LETTERS}][{MARKS}]*[{LETTERS}])")


def respell(text: str) -> str:
    """Spell مائة as مئة (eSpeak NG says the alef of مِائَة), space glued stops, one space."""
    text = " ".join(text.split())
    return _GLUED.sub(r"\1\2 ", _HUNDRED.sub("مئ", text))


_SYMBOLS = {
    "%": f" {PERCENT} ",
    "٪": f" {PERCENT} ",
    "$": " دولار ",
    "€": " يورو ",
    "£": " جنيه ",
    "§": " الفقرة ",
    "°": " درجة ",
    "+": " زائد ",
    "=": " يساوي ",
    "&": " و ",
    "@": " آت ",
    "|": "،",
    "•": "،",
    "·": "،",
    "●": "،",
    "►": "،",
    "■": "،",
    "…": "،",
    ",": "،",
    ";": "؛",
    "?": "؟",
}
_SYMBOLS = {key: vowel(value) for key, value in _SYMBOLS.items()}
_SYMBOL_RE = lazy("|".join(map(re.escape, _SYMBOLS)))
_QUOTES_RE = lazy("[\"'`´‘’‚‛“”„‟«»‹›]")
_BRACKETS_RE = lazy(r"[()\[\]{}<>]")
_DASH_RE = lazy(r"\s[-–—]+|[-–—]+\s|--+|[–—]")
_SILENT_RE = lazy(r"[-/\\_#*~^]")
_DOTS_RE = lazy(r"\.{2,}")
_SPACE_BEFORE_RE = lazy(r"\s+([،؛؟.!:])")
_PUNCT_RUN_RE = lazy(r"([،؛؟.!:])(?:\s*[،؛])+")
_COMMA_BEFORE_RE = lazy(r"[،؛]\s*([.؟!:])")
_SPACE_AFTER_RE = lazy(r"([،؛؟.!:])(?=[^\s،؛؟.!:])")
_LEADING_RE = lazy(r"^[\s،؛.:!؟]+|[\s،؛]+$")


def map_punctuation(text: str) -> str:
    """Map symbols eSpeak NG would name in English (/ & #) to words or pauses; tidy spaces.

    eSpeak already pauses at ، ؛ ؟ and :, so those stay; brackets and dashes become
    commas (a parenthesis is heard as a pause), quotes and the rest disappear.
    """
    text = _QUOTES_RE.sub(" ", text)
    text = _BRACKETS_RE.sub(" ، ", text)
    text = _DASH_RE.sub(" ، ", text)
    text = _SYMBOL_RE.sub(lambda m: _SYMBOLS[m[0]], text)
    text = _SILENT_RE.sub(" ", text)
    return tidy(text)


def tidy(text: str) -> str:
    """One space between words, none before punctuation, one mark per pause; idempotent."""
    while True:  # each rule can expose a case for another (". ." -> ".." -> "،")
        tidied = _DOTS_RE.sub("،", " ".join(text.split()))
        tidied = _SPACE_BEFORE_RE.sub(r"\1", tidied)
        tidied = _PUNCT_RUN_RE.sub(r"\1", tidied)
        tidied = _COMMA_BEFORE_RE.sub(r"\1", tidied)
        tidied = _LEADING_RE.sub("", tidied)
        tidied = _SPACE_AFTER_RE.sub(r"\1 ", tidied)
        if tidied == text:
            return text
        text = tidied


def scrub(text: str) -> str:
    """Last resort: no digit or Latin letter reaches a voice (digits are named, Latin spelled)."""
    out = []
    for char in text:
        if char.isdigit():
            out.append(f" {vowel(digits(str(unicodedata.digit(char, 0))), pausal=True)} ")
        elif char.isalpha() and "LATIN" in unicodedata.name(char, ""):
            base = unicodedata.normalize("NFKD", char)[0].lower()
            out.append(f" {LETTERS_FR[base]} " if base in LETTERS_FR else " ")
        else:
            out.append(char)
    return "".join(out)


# A proclitic left on its own: "لـ OCP" loses its tatweel in cleaning, and numbers and
# Latin words are spelled out after it. Said apart it would be "la" instead of "li-".
_LONE_PROCLITIC_RE = lazy(r"(?<![^\s(«\"'])([وفبلك])\s+(?=([\u0621-\u064a]\S*))")
_HARAKAT_RE = lazy("[\u064b-\u0652]")
# The diacritizer leaves a word that already has vowels alone, so the particle gets its own.
_PARTICLE_VOWEL = {"و": "\u064e", "ف": "\u064e", "ب": "\u0650", "ل": "\u0650", "ك": "\u0650"}


def join_proclitics(text: str) -> str:
    """Attach a lone و ف ب ل ك to the word after it (بـ 8 -> بثمانية)."""

    def join(match: re.Match[str]) -> str:
        vowelled = _HARAKAT_RE.search(match[2])
        return match[1] + (_PARTICLE_VOWEL[match[1]] if vowelled else "")

    return _LONE_PROCLITIC_RE.sub(join, text)


def make_steps(month_style: str = "maghreb", lexicon: Lexicon | None = None) -> tuple[Step, ...]:
    """The front end's steps in order, for a voice's month style and the user's lexicon.

    The lexicon runs first (the user's word wins over every rule) and again last, for
    words the rules produce (a month name, a transliterated place). Dates run before
    money and money before plain numbers, or 25/09/2023 and 200 DH are read as bare
    numbers; Latin runs before numbers so that codes like V30S stay whole.
    """
    if month_style not in MONTH_STYLES:
        valid = ", ".join(MONTH_STYLES)
        raise ConfigError(f"Unknown month_style {month_style!r}; use one of: {valid}.")
    letters = "fr" if month_style in ("maghreb", "tunisia-algeria") else "en"
    steps: list[Step] = [fold_unicode, respell, group_separators, rewrite_patterns]
    if lexicon is not None:
        steps.append(lexicon)
    steps += [
        expand_bracketed,
        functools.partial(spell_dates, month_style=month_style),
        functools.partial(spell_money, month_style=month_style),
        functools.partial(spell_latin, style=letters),
        spell_numbers,
        scrub,
        map_punctuation,
        expand_abbreviations,  # after punctuation: "د. -أحمد" is "د. أحمد" by then
        tidy,
        join_proclitics,
    ]
    if lexicon is not None:
        steps.append(lexicon)
    return tuple(steps)


DEFAULT_STEPS: tuple[Step, ...] = make_steps()


def normalize(text: str, steps: Iterable[Step] | None = None) -> str:
    """Run *text* through *steps* (DEFAULT_STEPS: maghreb months, no lexicon)."""
    for step in DEFAULT_STEPS if steps is None else steps:
        text = step(text)
    return text
