"""Text stage: money, units and percentages read with their nouns in agreement."""

from __future__ import annotations

import re
from collections.abc import Iterable

from audiobrief.text.numbers import NUMBER, counted, read_number
from audiobrief.text.tables import (
    CURRENCIES,
    EURO,
    EURO_SIGNS,
    LETTERS,
    MARKS,
    PERCENT,
    UNIT_SUFFIX_WORDS,
    UNITS,
    Noun,
)

_SCALE_WORDS = "ألف|آلاف|مليون|ملايين|مليار|مليارات|تريليون|تريليونات"
_SIGN = r"(?:(?<![\w\d])([-−]))?"


def _alternation(keys: Iterable[str]) -> str:
    return "|".join(re.escape(k) for k in sorted(keys, key=len, reverse=True))


_CURRENCY_ALT = _alternation([*CURRENCIES, *EURO_SIGNS])
_AFTER_LATIN = r"(?![A-Za-z])"
_PERCENT_AFTER = re.compile(_SIGN + rf"(?<![\d.,])({NUMBER}) ?[%٪]")
_PERCENT_BEFORE = re.compile(rf"(?:(?<=\s)|^)٪ ?({NUMBER})(?![\d.,%٪])")
_CURRENCY_AFTER = re.compile(
    rf"(?<![\d.,])({NUMBER})(?: ({_SCALE_WORDS}))? ?({_CURRENCY_ALT}){_AFTER_LATIN}"
)
_CURRENCY_BEFORE = re.compile(
    rf"(?<![A-Za-z])({_CURRENCY_ALT}) ?({NUMBER})(?: ({_SCALE_WORDS}))?(?![\d.,])"
)
_UNIT = re.compile(rf"(?<![\d.,])({NUMBER}) ?({_alternation(UNITS)})(?![{LETTERS}{MARKS}A-Za-z\d])")


def _signed(sign: str | None, words: str) -> str:
    return f"سالب {words}" if sign else words


def spell_money(text: str, month_style: str = "maghreb") -> str:
    """Read amounts (200 DH, $5, 3 €), units (5 كلم, 20 م²) and percentages (17,5 %)."""
    euro = EURO["maghreb" if month_style == "maghreb" else "other"]

    def noun(sign: str) -> Noun:
        return euro if sign in EURO_SIGNS else CURRENCIES[sign]

    def amount(number: str, scale: str | None, sign: str) -> str:
        if scale:
            return f"{read_number(number)} {scale} {noun(sign).singular}"
        return counted(number, noun(sign))

    text = _PERCENT_AFTER.sub(lambda m: _signed(m[1], f"{read_number(m[2])} {PERCENT}"), text)
    text = _PERCENT_BEFORE.sub(lambda m: f"{read_number(m[1])} {PERCENT}", text)
    text = _CURRENCY_BEFORE.sub(lambda m: amount(m[2], m[3], m[1]), text)
    text = _CURRENCY_AFTER.sub(lambda m: amount(m[1], m[2], m[3]), text)
    return _UNIT.sub(lambda m: counted(m[1], UNITS[m[2]]) + UNIT_SUFFIX_WORDS.get(m[2], ""), text)
