"""Text stage: Arabic number words (cardinals, ordinals, decimals, digits) and their step."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from audiobrief.text import tables

Gender = Literal["m", "f"]
"""Gender of the counted noun: "m" (also plain counting) gives ثلاثة, "f" gives ثلاث."""
Case = Literal["nom", "obl"]
"""Nominative (-ون/-ان) or oblique (-ين, genitive/accusative): news readers say the oblique."""

MAX_CARDINAL_DIGITS = 15
"""Longer digit strings (card numbers, IDs) are read digit by digit."""


def _split(text: str) -> tuple[str, ...]:
    """A word list written as one string (| between words): compact to read and review."""
    return tuple(text.split("|"))


_ONES_M = ("", "واحد", "اثنان", "ثلاثة", "أربعة", "خمسة", "ستة", "سبعة", "ثمانية", "تسعة", "عشرة")
_ONES_F = ("", "واحدة", "اثنتان", "ثلاث", "أربع", "خمس", "ست", "سبع", "ثماني", "تسع", "عشر")
_TENS = ("", "", "عشر", "ثلاث", "أربع", "خمس", "ست", "سبع", "ثمان", "تسع")  # + ون / ين
# مئة, not مائة: eSpeak NG reads the alef of مِائَة as a long vowel
_HUNDREDS = _split("|مئة||ثلاثمئة|أربعمئة|خمسمئة|ستمئة|سبعمئة|ثمانمئة|تسعمئة")
_DIGITS = ("صفر", "واحد", "اثنين", "ثلاثة", "أربعة", "خمسة", "ستة", "سبعة", "ثمانية", "تسعة")
_ORD_M = _split("|الأول|الثاني|الثالث|الرابع|الخامس|السادس|السابع|الثامن|التاسع|العاشر")
_ORD_F = _split("|الأولى|الثانية|الثالثة|الرابعة|الخامسة|السادسة|السابعة|الثامنة|التاسعة|العاشرة")


@dataclass(frozen=True)
class Scale:
    """A power of a thousand with the forms its count asks for."""

    value: int
    singular: str
    dual_nom: str
    dual_obl: str
    plural: str
    """After 3-10: ثلاثة آلاف."""
    accusative: str
    """Singular tamyiz after 11-99: أحد عشر ألفا."""


_SCALES = (
    Scale(10**12, "تريليون", "تريليونان", "تريليونين", "تريليونات", "تريليونا"),
    Scale(10**9, "مليار", "ملياران", "مليارين", "مليارات", "مليارا"),
    Scale(10**6, "مليون", "مليونان", "مليونين", "ملايين", "مليونا"),
    Scale(10**3, "ألف", "ألفان", "ألفين", "آلاف", "ألفا"),
)


def _dual(word_nom: str, word_obl: str, case: Case, construct: bool) -> str:
    word = word_nom if case == "nom" else word_obl
    return word[:-1] if construct else word  # construct state drops the nun: ألفا درهم


def _below_hundred(n: int, gender: Gender, case: Case) -> str:
    ones = _ONES_F if gender == "f" else _ONES_M
    if n <= 10:
        if n == 2:
            return _dual(ones[2], ones[2][:-2] + "ين", case, False)
        return ones[n]
    if n < 20:
        unit = n - 10
        teen = "عشرة" if gender == "f" else "عشر"
        if unit == 1:
            return "إحدى عشرة" if gender == "f" else "أحد عشر"
        if unit == 2:
            head = (
                ("اثنتا" if gender == "f" else "اثنا")
                if case == "nom"
                else ("اثنتي" if gender == "f" else "اثني")
            )
            return f"{head} {teen}"
        return f"{ones[unit]} {teen}"
    tens, unit = divmod(n, 10)
    tens_word = _TENS[tens] + ("ون" if case == "nom" else "ين")
    if not unit:
        return tens_word
    unit_word = (
        ("إحدى" if gender == "f" else "واحد") if unit == 1 else _below_hundred(unit, gender, case)
    )
    return f"{unit_word} و{tens_word}"


def _below_thousand(n: int, gender: Gender, case: Case, construct: bool = False) -> str:
    hundreds, rest = divmod(n, 100)
    parts = []
    if hundreds == 2:
        parts.append(_dual("مئتان", "مئتين", case, construct and not rest))
    elif hundreds:
        parts.append(_HUNDREDS[hundreds])
    if rest:
        parts.append(_below_hundred(rest, gender, case))
    return " و".join(parts)


def _scaled(count: int, scale: Scale, case: Case, construct: bool) -> str:
    if count == 1:
        return scale.singular
    if count == 2:
        return _dual(scale.dual_nom, scale.dual_obl, case, construct)
    rest = count % 100
    if count > 100 and rest in (1, 2):  # the counted noun follows the nearest number
        head = _below_thousand(count - rest, "m", case, construct=True)
        tail = (
            scale.singular if rest == 1 else _dual(scale.dual_nom, scale.dual_obl, case, construct)
        )
        return f"{head} {scale.singular} و{tail}"
    if rest == 0:  # مئة ألف, مئتي ألف: the hundreds are in construct with the scale
        return f"{_below_thousand(count, 'm', case, construct=True)} {scale.singular}"
    words = _below_thousand(count, "m", case)
    if rest <= 10:
        return f"{words} {scale.plural}"
    return f"{words} {scale.singular if construct else scale.accusative}"


_TO = "إِلَى"


def spoken_range(low: str, high: str, *, with_from: bool = True) -> str:
    """`مِنْ LOW إِلَى HIGH`, with the two particles diacritized here: at the start of a
    sentence the diacritizer reads a bare من as مَنْ ("who"). Before the article, مِنَ."""
    if not with_from:
        return f"{low} {_TO} {high}"
    head = "مِنَ" if low.startswith("ال") else "مِنْ"
    return f"{head} {low} {_TO} {high}"


_PREPOSITIONS = frozenset(("من", "في", "خلال", "منذ", "حتى", "عن", "على", "إلى", "الى", "طيلة"))


def needs_from(before: str) -> bool:
    """Whether a range written after *before* is said with مِنْ: not after a preposition,
    which it keeps (في 2019-2021 is في ... إِلَى ..., never في مِنْ ...)."""
    words = before.split()
    return not words or words[-1] not in _PREPOSITIONS


def cardinal(n: int, *, gender: Gender = "m", case: Case = "obl", construct: bool = False) -> str:
    """Spell *n* in words: 2021 -> ألفين وواحد وعشرين, 11000 -> أحد عشر ألفا.

    *construct* means a counted noun follows in the genitive (ألفي درهم, أحد عشر ألف درهم).
    """
    if n < 0:
        return "سالب " + cardinal(-n, gender=gender, case=case, construct=construct)
    if n == 0:
        return "صفر"
    if n >= 10**MAX_CARDINAL_DIGITS:
        return long_digits(str(n))
    parts = []
    for scale in _SCALES:
        count, n = divmod(n, scale.value)
        if count:
            parts.append((count, scale))
    groups = [
        _scaled(count, scale, case, construct and index == len(parts) - 1 and not n)
        for index, (count, scale) in enumerate(parts)
    ]
    if n:
        groups.append(_below_thousand(n, gender, case, construct))
    return " و".join(groups)


def ordinal(n: int, *, gender: Gender = "m", case: Case = "obl") -> str:
    """The definite ordinal of *n* (1-99): 25 -> الخامس والعشرين; from 100 on, the cardinal."""
    if n <= 0 or n >= 100:
        return cardinal(n, gender=gender, case=case)
    first = _ORD_F if gender == "f" else _ORD_M
    tens, unit = divmod(n, 10)
    if n <= 10:
        return first[n]
    unit_word = ("الحادية" if gender == "f" else "الحادي") if unit == 1 else first[unit]
    if n < 20:
        return f"{unit_word} {'عشرة' if gender == 'f' else 'عشر'}"
    tens_word = "ال" + _TENS[tens] + ("ون" if case == "nom" else "ين")
    return f"{unit_word} و{tens_word}" if unit else tens_word


def digits(text: str) -> str:
    """Read each digit of *text* on its own: 0612 -> صفر ستة واحد اثنين; others are dropped."""
    return " ".join(_DIGITS[int(c)] for c in text if c.isascii() and c.isdigit())


_GROUP_DIGITS = 4


def long_digits(text: str) -> str:
    """A digit run too long for a number (a key, a pasted table) in groups of four, a pause
    between groups: the listener can follow, and no int() of thousands of digits is made."""
    return "، ".join(
        digits(text[i : i + _GROUP_DIGITS]) for i in range(0, len(text), _GROUP_DIGITS)
    )


def decimal(integer: str, fraction: str, *, gender: Gender = "m", case: Case = "obl") -> str:
    """3 and 5 -> ثلاثة فاصلة خمسة; the fraction's leading zeros are read (0.05: صفر خمسة)."""
    if not fraction:
        return read_integer(integer, gender=gender, case=case)
    head = read_integer(integer, case=case)  # a decimal is counted, not agreed: خمسة فاصلة
    if len(fraction) > MAX_CARDINAL_DIGITS:
        tail = long_digits(fraction)
    elif len(fraction) > 3:
        tail = digits(fraction)
    else:
        zeros = len(fraction) - len(fraction.lstrip("0"))
        rest = fraction.lstrip("0")
        tail = " ".join(["صفر"] * zeros + ([cardinal(int(rest), case=case)] if rest else []))
    return f"{head} فاصلة {tail}"


def read_integer(
    text: str, *, gender: Gender = "m", case: Case = "obl", construct: bool = False
) -> str:
    """Read a digit string: a cardinal, or digit by digit when it has a leading zero or
    more than MAX_CARDINAL_DIGITS digits (codes and identifiers are read that way)."""
    if not text:
        return ""
    if len(text) > MAX_CARDINAL_DIGITS:
        return long_digits(text)
    if len(text) > 1 and text[0] == "0":
        return digits(text)
    return cardinal(int(text), gender=gender, case=case, construct=construct)


# A written number: grouped thousands (1,500,000  1.500.000  1 500 000) or plain digits,
# with an optional decimal part. Grouping needs two separators, except a single comma
# before exactly three digits (1,500), which English-style sources use; a single dot is
# always a decimal point (1.819 تريليون) and a comma before 1, 2 or 4+ digits a decimal
# comma (2,9 مليار), as Maghreb sources write it.
NUMBER = (
    r"(?:[1-9]\d{0,2}(?:,\d{3})+(?:\.\d+)?(?![\d,])"
    r"|[1-9]\d{0,2}(?:\.\d{3}){2,}(?:,\d+)?(?![\d.])"
    r"|[1-9]\d{0,2}(?:[ \u00a0\u202f]\d{3})+(?![\d])(?:[.,]\d+)?"
    r"|\d+(?:[.,]\d+)?)"
)


def split_number(token: str) -> tuple[str, str]:
    """The integer digits and the fraction digits of a NUMBER match."""
    if re.fullmatch(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?", token):
        integer, _, fraction = token.replace(",", "").partition(".")
    elif re.fullmatch(r"\d{1,3}(?:\.\d{3}){2,}(?:,\d+)?", token):
        integer, _, fraction = token.replace(".", "").partition(",")
    else:
        compact = re.sub(r"[ \u00a0\u202f]", "", token)
        integer, _, fraction = compact.replace(",", ".").partition(".")
    return integer, fraction


def read_number(
    token: str, *, gender: Gender = "m", case: Case = "obl", construct: bool = False
) -> str:
    """Read a NUMBER match (grouped, decimal or plain) in words."""
    integer, fraction = split_number(token)
    if fraction:
        return decimal(integer, fraction, gender=gender, case=case)
    return read_integer(integer, gender=gender, case=case, construct=construct)


def counted(token: str, noun: tables.Noun, *, case: Case = "obl", construct: bool = False) -> str:
    """A number with its counted noun in agreement: 3 درهم -> ثلاثة دراهم, 15 -> خمسة عشر درهما.

    *construct* means the noun itself governs a following noun (a scale word before its
    currency): 1 gives the bare noun, 2 the dual without its nun (مليوني درهم) and 11-99
    the singular without the tamyiz alif (أحد عشر مليون درهم). After a decimal the noun is
    read in the singular: اثنين فاصلة تسعة مليار.
    """
    integer, fraction = split_number(token)
    if fraction or not integer or (integer[0] == "0" and len(integer) > 1):
        return f"{read_number(token, gender=noun.gender, case=case)} {noun.singular}"
    if len(integer) > MAX_CARDINAL_DIGITS:
        return f"{long_digits(integer)} {noun.singular}"
    n = int(integer)
    one = "واحدة" if noun.gender == "f" else "واحد"
    dual = (noun.dual[:-1] if construct else noun.dual) if noun.dual else None
    if n == 1:
        return noun.singular if construct else f"{noun.singular} {one}"
    if n == 2:
        return dual or f"{cardinal(2, gender=noun.gender, case=case)} {noun.singular}"
    rest = n % 100
    if n > 100 and rest in (1, 2):
        head = cardinal(n - rest, gender=noun.gender, case=case, construct=True)
        tail = noun.singular if rest == 1 else (dual or noun.singular)
        return f"{head} {noun.singular} و{tail}"
    words = cardinal(n, gender=noun.gender, case=case, construct=rest == 0)
    if 3 <= rest <= 10:
        return f"{words} {noun.plural}"
    if rest >= 11:
        return f"{words} {noun.singular if construct else noun.accusative}"
    return f"{words} {noun.singular}"


SCALE_NOUNS: dict[str, tables.Noun] = {
    form: noun
    for noun in (tables.Noun(s.singular, s.dual_obl, s.plural, s.accusative) for s in _SCALES)
    for form in (noun.singular, noun.plural, noun.accusative)
}
"""Scale words written after a number (3 مليون, 5 ملايين, 11 مليونا), read as counted nouns."""
