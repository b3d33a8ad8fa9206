"""Text stage: money, units and percentages read with their nouns in agreement."""

from __future__ import annotations

import re
from collections.abc import Iterable

from audiobrief.text.gender import counts_noun
from audiobrief.text.lazy import has_digit, lazy, tolerant
from audiobrief.text.numbers import NUMBER, SCALE_NOUNS, counted, read_number, split_number
from audiobrief.text.tables import (
    CURRENCIES,
    EURO,
    EURO_SIGNS,
    LETTERS,
    MARKS,
    PERCENT,
    SUBUNITS,
    UNIT_SUFFIX_WORDS,
    UNITS,
    WRITTEN_NOUNS,
    Noun,
)
from audiobrief.text.vowels import vowel

_SCALE_WORDS = "ألف|آلاف|مليون|ملايين|مليار|مليارات|تريليون|تريليونات"
_SIGN = r"(?:(?<![\w\d])([-−]))?"


def _alternation(keys: Iterable[str]) -> str:
    return "|".join(re.escape(k) for k in sorted(keys, key=len, reverse=True))


_CURRENCY_ALT = _alternation([*CURRENCIES, *EURO_SIGNS])
_AFTER_LATIN = r"(?![A-Za-z])"
_PERCENT_AFTER = lazy(_SIGN + rf"(?<![\d.,])({NUMBER}) ?[%٪]")
_PERCENT_BEFORE = lazy(rf"(?:(?<=\s)|^)٪ ?({NUMBER})(?![\d.,%٪])")
_CURRENCY_AFTER = lazy(
    rf"(?<![\d.,])({NUMBER})(?: ({_SCALE_WORDS}))? ?({_CURRENCY_ALT}){_AFTER_LATIN}"
)
_CURRENCY_BEFORE = lazy(
    rf"(?<![A-Za-z])({_CURRENCY_ALT}) ?({NUMBER})(?: ({_SCALE_WORDS}))?(?![\d.,])"
)
_UNIT = lazy(rf"(?<![\d.,])({NUMBER}) ?({_alternation(UNITS)})(?![{LETTERS}{MARKS}A-Za-z\d])")


_END = f"(?![{LETTERS}{MARKS}])"
# A number at a word start, or after a proclitic (ب2 مليون, و 3 دراهم); not after the
# article (الـ3 آلاف is read by the number step) nor a minus sign, a hyphen or a digit.
_LEAD = rf"(?<![{LETTERS}{MARKS}\d.,\-−])([وف]?[بلك]?)( ?)({NUMBER})"
_SCALED = lazy(rf"{_LEAD} ({tolerant(*SCALE_NOUNS)}){_END}(?: ([{LETTERS}{MARKS}]+))?")
_NOUN = lazy(rf"{_LEAD} ({tolerant(*WRITTEN_NOUNS)}){_END}")
_MARK_RE = lazy(f"[{MARKS}]")
# The author's own "per cent" (في المائة, respelled المئة): said vowelled like the front
# end's, or the diacritizer reads المئة with a different ending each time.
_PERCENT_WORDS = lazy(
    f"(?<![{LETTERS}{MARKS}])(?:في المئة|[بف]?المئة|بالمئة)(?![{LETTERS}{MARKS}])"
)


def _lead(match: re.Match[str]) -> str:
    """The proclitic glued to the number words, or the space kept before them."""
    return match[1] or match[2]


def _scaled(match: re.Match[str]) -> str:
    """2 مليون درهم -> مليوني درهم, 3 مليون -> ثلاثة ملايين, 11 مليون -> أحد عشر مليونا."""
    scale = SCALE_NOUNS[_MARK_RE.sub("", match[4])]
    after = match[5] or ""
    noun = WRITTEN_NOUNS.get(_MARK_RE.sub("", after))
    if noun is not None:  # the counted noun after a scale is a genitive singular
        return f"{_lead(match)}{counted(match[3], scale, construct=True)} {noun.singular}"
    # 1 مليون: مليون; a noun after the scale takes its construct (47 ألف مسافر)
    construct = match[3] == "1" or counts_noun(_MARK_RE.sub("", after), after_scale=True)
    words = counted(match[3], scale, construct=construct)
    return f"{_lead(match)}{words}" + (f" {after}" if after else "")


def spell_counted(text: str) -> str:
    """Put a scale or counted noun written in Arabic in agreement with its number.

    2 دراهم -> درهمين, 7 درهم -> سبعة دراهم, 3 مليون درهم -> ثلاثة ملايين درهم.
    """
    text = _SCALED.sub(lambda m: vowel(_scaled(m)), text)
    return _NOUN.sub(
        lambda m: vowel(_lead(m) + price(m[3], WRITTEN_NOUNS[_MARK_RE.sub("", m[4])])), text
    )


def _signed(sign: str | None, words: str) -> str:
    return f"سالب {words}" if sign else words


def price(number: str, noun: Noun) -> str:
    """An amount with its noun; two decimals are the subunit (12.50 DH: درهما وخمسين
    سنتيما) and .00 is not said."""
    integer, fraction = split_number(number)
    if len(fraction) != 2 or not integer:
        return counted(number, noun)
    whole = counted(integer, noun)
    subunit = SUBUNITS.get(noun.singular)
    if fraction == "00":
        return whole
    if subunit is None:
        return counted(number, noun)
    cents = counted(fraction.lstrip("0"), subunit)
    return cents if integer.strip("0") == "" else f"{whole} و{cents}"


def spell_money(text: str, month_style: str = "maghreb") -> str:
    """Read amounts (200 DH, $5, 3 €), units (5 كلم, 20 م²) and percentages (17,5 %)."""
    euro = EURO["maghreb" if month_style in ("maghreb", "tunisia-algeria") else "other"]

    def noun(sign: str) -> Noun:
        return euro if sign in EURO_SIGNS else CURRENCIES[sign]

    def amount(number: str, scale: str | None, sign: str) -> str:
        if scale:
            words = counted(number, SCALE_NOUNS[scale], construct=True)
            return f"{words} {noun(sign).singular}"
        return price(number, noun(sign))

    if not has_digit(text):  # only the written "per cent" needs no number
        return _PERCENT_WORDS.sub(lambda m: vowel(m[0]), text)
    text = _PERCENT_AFTER.sub(
        lambda m: vowel(_signed(m[1], f"{read_number(m[2])} {PERCENT}")), text
    )
    text = _PERCENT_BEFORE.sub(lambda m: vowel(f"{read_number(m[1])} {PERCENT}"), text)
    text = _PERCENT_WORDS.sub(lambda m: vowel(m[0]), text)
    text = _CURRENCY_BEFORE.sub(lambda m: vowel(amount(m[2], m[3], m[1])), text)
    text = _CURRENCY_AFTER.sub(lambda m: vowel(amount(m[1], m[2], m[3])), text)
    text = _UNIT.sub(
        lambda m: vowel(counted(m[1], UNITS[m[2]]) + UNIT_SUFFIX_WORDS.get(m[2], "")), text
    )
    return spell_counted(text)
