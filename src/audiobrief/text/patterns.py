"""Text stage: written patterns settled before reading (links, glosses, signed changes, times).

Each rewrite leaves plain text for the later steps: a lone dot or an Arabic comma between
digits is settled (thousands or decimal), a link becomes its domain, a change
in brackets after a count becomes بزيادة N, a time written 17.30 next to a time word or
a zone becomes 17:30, which the date step reads as a time.
"""

from __future__ import annotations

import re

from audiobrief.text.latin import roman_value, speak_token
from audiobrief.text.lazy import has_digit, has_latin, lazy
from audiobrief.text.tables import LATIN, LETTERS, MARKS
from audiobrief.text.vowels import vowel

_URL = lazy(r"(?:https?://|www\.)([^\s/?#]+)[^\s]*?(?=[\s،؛)»\"']|[.,!?؟:;]?(?:\s|$))")
# The article's own Arabic spelling with the Latin in brackets after it (فيفو (VIVO)):
# the Arabic was just said, so the bracket is not read a second time.
_LATIN_GLOSS = lazy(rf"(?<=[{LETTERS}{MARKS}])\s*\(\s*([{LATIN}][{LATIN}0-9 .&'’+-]*)\)")
# The other order, VIVO (فيفو): the Arabic in brackets is what is read.
_ARABIC_GLOSS = lazy(
    rf"(?<![{LATIN}0-9])([{LATIN}][{LATIN}0-9 .&'’+-]*?)"
    rf"\s*\(\s*((?:[{LETTERS}{MARKS}]+ ?){{1,4}})\s*\)"
)
_NOT_SKELETON = lazy(f"[^{LETTERS}]|[اويىءأإآةؤئ]")
_ARABIC_WORD = lazy(f"[{LETTERS}{MARKS}]+")
# A proclitic printed before a bracket or a quote (بـ(كوفيد-19)) joins the word inside.
_CLITIC_BEFORE_BRACKET = lazy(rf"(?<![{LETTERS}{MARKS}])([وف]?[بلك]|[وف])ـ?\s?([(«\"])")
_SIGNED_CHANGE = lazy(rf"\(\s*([+\-−])\s*(\d[\d.,]*(?:\s?[%٪])?(?:\s+[{LETTERS}{MARKS}]+)?)\s*\)")
# +35 after a count or a name (not a phone number: no more digit groups follow).
_PLUS_CHANGE = lazy(r"(?<![^\s(])\+(?=\d{1,6}(?:[.,]\d+)?(?:\s?[%٪])?(?![\d])(?!\s?[\d(]))")
_ZONES = {
    "ت غ": "بتوقيت غرينتش",
    "ت.غ": "بتوقيت غرينتش",
    "ت. غ": "بتوقيت غرينتش",
    "GMT": "بتوقيت غرينتش",
    "UTC": "بالتوقيت العالمي",
}
_ZONE_ALT = "|".join(re.escape(zone) for zone in sorted(_ZONES, key=len, reverse=True))
_ZONE = lazy(rf"(?<=\d)\s*({_ZONE_ALT})(?![{LETTERS}A-Za-z])")
# 17,30 or 17.30 is a time only beside a time word or a zone: elsewhere a decimal
# (مدة 1.30 ساعة is a duration: ساعة alone after the number does not make it a time).
_TIME_BEFORE = lazy(r"((?:الساعة|بتوقيت) )([01]?\d|2[0-3])[.,]([0-5]\d)(?![\d.,])")
_TIME_AFTER = lazy(
    r"(?<![\d.,])([01]?\d|2[0-3])[.,]([0-5]\d)"
    rf"(?= ?(?:صباحا|صباح|مساء|ظهرا|ليلا|بتوقيت|{_ZONE_ALT}))"
)


# Sports reports print the minute as (د 75): الدقيقة 75, an ordinal for the number step.
_MINUTE = lazy(r"\(\s*د\s*(\d{1,3})\s*\)")
# A century or a rank written in Roman numerals (القرن XIX): in digits for the number step.
_RANK_ROMAN = lazy(
    rf"((?:[وف]?[بكل]?ال|[وف]?لل)(?:قرن|فصل|باب|جزء|دورة|مؤتمر|نسخة)[{MARKS}]*) ([IVXLCDM]{{2,}})"
    rf"(?![{LATIN}])"
)


def _rank_roman(match: re.Match[str]) -> str:
    value = roman_value(match[2])
    return match[0] if value is None else f"{match[1]} {value}"


def rewrite_patterns(text: str) -> str:
    """Links to their domain, bracketed glosses and changes, proclitics, times and zones."""
    # No rewrite adds a Latin letter; only a Roman rank adds digits, so each check is
    # made once, after the last rewrite that could change its answer.
    latin = has_latin(text)
    if latin:
        text = _URL.sub(lambda m: m[1].removeprefix("www."), text)
        text = _RANK_ROMAN.sub(_rank_roman, text)
    digit = has_digit(text)
    if digit:
        text = _MINUTE.sub(r"(الدقيقة \1)", text)
    if latin:
        text = _LATIN_GLOSS.sub(_gloss, text)
        text = _ARABIC_GLOSS.sub(_arabic_gloss, text)
    text = _CLITIC_BEFORE_BRACKET.sub(r"\2\1", text)
    if not digit:  # the rest read numbers
        return text
    text = _SIGNED_CHANGE.sub(_change, text)
    text = _PLUS_CHANGE.sub(vowel("بزيادة") + " ", text)
    text = _TIME_BEFORE.sub(r"\1\2:\3", text)
    text = _TIME_AFTER.sub(r"\1:\2", text)
    return _ZONE.sub(lambda m: " " + vowel(_ZONES[m[1]]), text)


def _gloss(match: re.Match[str]) -> str:
    """Drop the bracketed Latin when it sounds like the Arabic words just before it."""
    latin = match[1].split()
    window = match.string[max(0, match.start() - 40 * len(latin)) : match.start()]
    before = _ARABIC_WORD.findall(window)[-len(latin) :]
    return "" if _sounds_alike(latin, before) else match[0]


def _arabic_gloss(match: re.Match[str]) -> str:
    """Say the Arabic spelling in brackets instead of the Latin name before it."""
    arabic = match[2].strip()
    return arabic if _sounds_alike(match[1].split(), arabic.split()) else match[0]


def _sounds_alike(latin: list[str], arabic: list[str]) -> bool:
    from difflib import SequenceMatcher  # only for a bracketed gloss

    said = _skeleton(" ".join(speak_token(word) for word in latin))
    written = _skeleton(" ".join(word.removeprefix("ال") for word in arabic))
    return bool(said and written) and SequenceMatcher(None, said, written).ratio() >= 0.6


def _skeleton(text: str) -> str:
    """The consonants of an Arabic spelling: vowel letters and marks vary between writers."""
    return _NOT_SKELETON.sub("", text)


def _change(match: re.Match[str]) -> str:
    """(+2304) after a count is an increase, never زائد; (-5%) a fall."""
    word = "بزيادة" if match[1] == "+" else "بانخفاض"
    return f"({vowel(word)} {match[2].strip()})"


# Maghreb and French style: one dot before exactly three digits groups thousands
# (312.000 نسمة), unless a scale word follows (1.819 تريليون is a decimal).
_DOT_THOUSANDS = lazy(
    r"(?<![\d.,])([1-9]\d{0,2})\.(\d{3})(?![\d.,])"
    r"(?!\s*(?:ألف|آلاف|مليون|ملايين|مليار|مليارات|تريليون)(?![\u0621-\u064a]))"
)
_ARABIC_DECIMAL_COMMA = lazy(r"(?<=\d)،(?=\d)")  # 2،7 مليون: a decimal, not a pause


def group_separators(text: str) -> str:
    """Settle what a lone dot or an Arabic comma between digits means, before any reading."""
    if not has_digit(text):
        return text
    text = _ARABIC_DECIMAL_COMMA.sub(",", text)
    return _DOT_THOUSANDS.sub(r"\1\2", text)
