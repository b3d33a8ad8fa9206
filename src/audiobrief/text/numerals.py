"""Text stage: find the numbers left in running text and read them in words."""

from __future__ import annotations

import re

from audiobrief.text.gender import counts_noun, gender_of, is_singular_noun, may_be_counted
from audiobrief.text.lazy import has_digit, lazy, tolerant
from audiobrief.text.numbers import (
    NUMBER,
    Gender,
    cardinal,
    digits,
    needs_from,
    ordinal,
    read_integer,
    read_number,
    spoken_range,
)
from audiobrief.text.tables import (
    COUNTED_NOUNS,
    FEMININE_NOUNS,
    LAW_NOUNS,
    LETTERS,
    MARKS,
    ORDINAL_NOUNS,
)
from audiobrief.text.vowels import vowel

_WORD_START = f"(?<![{LETTERS}{MARKS}])"
_PHONE = lazy(
    r"(?<![\d.,])(?:(?:\+|00)\d{1,3}(?:[ .\-]?\(?\d\)?){7,12}|0\d(?:[ .\-]?\d){8})(?![\d])"
)
_LAW = lazy(
    rf"{_WORD_START}((?:[وف]?[بكل]?)(?:{tolerant(*LAW_NOUNS)})"
    r"(?: (?:الشريف|التنظيمي|الإطار|رقم|عدد))*) (\d+(?:\.\d+)+)(?![\d])"
)
_DOTTED = lazy(r"(?<![\d.,])\d+(?:\.\d+){2,}(?![\d]|,\d)")
_ORDINAL = lazy(
    rf"{_WORD_START}((?:[وف]?[بكل]?ال|[وف]?لل)({tolerant(*ORDINAL_NOUNS)})) (?:ال)?(\d{{1,2}})"
    r"(?![\d.,])"
)
# A definite noun then الـN (المرتبة الـ7, الذكرى الـ50) ranks: an ordinal agreeing with the
# noun (ة: feminine). Not before a scale or a counted noun (الـ3 آلاف is a cardinal).
_NOT_RANKED = tolerant(
    *COUNTED_NOUNS, "آلاف", "ألف", "مليون", "ملايين", "مليار", "في المئة", "بالمئة"
)
_DEFINITE_ORDINAL = lazy(
    rf"{_WORD_START}((?:[وف]?[بكل]?ال|[وف]?لل)[{LETTERS}]{{2,}}[{MARKS}]*) ال(\d{{1,2}})"
    rf"(?![\d.,])(?! ?(?:{_NOT_RANKED}|[%٪]))"
)
_RANGE = lazy(r"(?<![\d.,])(\d{1,4}) ?[-–] ?(\d{1,4})(?![\d.,])")
_GENERAL = lazy(rf"{_WORD_START}([{LETTERS}{MARKS}]*)([-−](?=\d))?({NUMBER})")
_LONE_CLITIC = lazy(
    rf"(?<![{LETTERS}{MARKS}.\d])([وف]?[بلك]|[وف]?[بك]?ال|[وف]?لل|[وف]) (?=[-−]?\d)"
)
_NEXT_WORD = lazy(rf"\s*([{LETTERS}{MARKS}]+)")
_MARK_RE = lazy(f"[{MARKS}]")
_PROCLITICS = frozenset(
    (
        "و",
        "ف",
        "ب",
        "ل",
        "ك",
        "وب",
        "ول",
        "وك",
        "فب",
        "فل",
        "فك",
        "ال",
        "بال",
        "وال",
        "فال",
        "كال",
        "لل",
        "ولل",
        "فلل",
        "وبال",
        "فبال",
        "وكال",
    )
)


def read_dotted(text: str) -> str:
    """A legal or dotted number read part by part: 31.08 -> واحد وثلاثين نقطة صفر ثمانية.

    Moroccan law numbers (القانون 31.08, الظهير 1.15.56) are names, not decimals: each
    part is read as written, a part with a leading zero digit by digit.
    """
    parts = []
    for part in text.split("."):
        parts.append(read_integer(part))  # a leading zero or a long part: digit by digit
    return vowel(" نقطة ".join(parts))


def read_phone(text: str) -> str:
    """A telephone number digit by digit, a pause between the printed groups."""
    plus = "زائد " if text.startswith("+") else ""
    groups = [digits(g) for g in re.split(r"[ .\-()]+", text) if any(c.isdigit() for c in g)]
    return vowel(plus + "، ".join(groups), pausal=True)


def definite(words: str) -> str:
    """Put the article on each number word: خمسة وعشرين -> الخمسة والعشرين (ال40 -> الأربعين)."""
    out = []
    for word in words.split(" "):
        if word.startswith("و") and not word.startswith("واحد"):
            out.append("وال" + word[1:])
        else:
            out.append("ال" + word)
    return " ".join(out)


def _glue(prefix: str, words: str) -> str:
    """Attach a proclitic written on the digits (بـ17, والـ40) to the first number word."""
    bare = _MARK_RE.sub("", prefix)
    if not prefix:
        return words
    if bare not in _PROCLITICS:
        return f"{prefix} {words}"
    if bare.endswith("لل"):
        return prefix[:-1] + definite(words)[1:]  # ل + ال -> لل: للأربعين
    if bare.endswith("ال"):
        return prefix[:-2] + definite(words)
    return prefix + words


def _agreement(text: str, end: int) -> tuple[Gender, bool]:
    """Gender and construct state asked by the counted noun after a number, if any."""
    found = _NEXT_WORD.match(text, end)
    word = _MARK_RE.sub("", found[1]) if found else ""
    if not may_be_counted(word):
        return "m", False
    gender: Gender = "f" if word in FEMININE_NOUNS else gender_of(word)
    # A noun after the number makes it a construct (47 ألف مسافر, not ألفا مسافر); a verb
    # or a particle does not (عام 2000 شهد).
    return gender, counts_noun(word)


_ONE_OR_TWO = lazy(
    rf"{_WORD_START}(?<![\d.,])([وف]?[بلك]?)([12]) ([{LETTERS}]{{2,}})(?![{LETTERS}{MARKS}\d])"
)


_LABELS = frozenset(("رقم", "عدد", "سنة", "مستوى", "فئة", *ORDINAL_NOUNS))


def _one_or_two(match: re.Match[str]) -> str:
    """1 وفاة -> وفاة واحدة and 2 وفاة -> وفاتين: the noun comes first, or takes the dual."""
    prefix, number, noun = match.groups()
    label = match.string[: match.start()].split()[-1:]  # سنة 2 ابتدائي, رقم 1: a label
    if label and _MARK_RE.sub("", label[0]) in _LABELS:
        return match[0]
    if not may_be_counted(noun) or not is_singular_noun(noun):
        return match[0]
    if number == "1":
        one = "واحدة" if gender_of(noun) == "f" else "واحد"
        return f"{prefix}{noun} {vowel(one, pausal=True)}"
    if noun.endswith(("ى", "ا", "ء")):
        return match[0]
    return prefix + (noun[:-1] + "تين" if noun.endswith("ة") else noun + "ين")


def _general(match: re.Match[str]) -> str:
    prefix, sign, token = match[1], match[2], match[3]
    gender, construct = _agreement(match.string, match.end())
    words = read_number(token, gender=gender, construct=construct)
    if sign:
        before = match.string[match.start() - 1] if match.start() else " "
        if _MARK_RE.sub("", prefix) in _PROCLITICS or (
            not prefix and (before.isspace() or before in "(«\"'،:")
        ):
            words = "سالب " + words
        else:
            words = " " + words  # a hyphen, not a minus: أرض-5
    words = vowel(_glue(prefix, words))
    following = match.string[match.end() : match.end() + 1]
    if following and re.match(f"[{LETTERS}A-Za-z]", following):
        words += " "  # 10دقائق -> عشر دقائق
    return words


_SCORE_WORDS = lazy(
    f"(?:نتيجة|بنتيجة|فاز|فوز|تعادل|خسر|هزم|انهزم|تغلب|انتهت|مباراة|النتيجة|بحصة)[{MARKS}]*"
    rf"(?: [{LETTERS}{MARKS}]+){{0,3}}$"
)
# Simple fractions (حوالي 1/3 السكان): a numerator below a denominator of 2 to 4.
_FRACTION = lazy(r"(?<![\d/.,])([1-3])/([2-4])(?![\d/.,])")
_FRACTIONS = {
    ("1", "2"): "نصف",
    ("1", "3"): "ثلث",
    ("2", "3"): "ثلثي",
    ("1", "4"): "ربع",
    ("3", "4"): "ثلاثة أرباع",
}


def _fraction(match: re.Match[str]) -> str:
    before = match.string[: match.start()].rstrip()
    if before.endswith(("يوم", "ليوم")):  # يوم 1/3 is a day and a month
        return match[0]
    return vowel(_FRACTIONS.get((match[1], match[2]), match[0]))


def _range(match: re.Match[str]) -> str:
    first, second = match[1], match[2]
    before = match.string[: match.start()].rstrip()
    if len(first) <= 2 and len(second) <= 2 and _SCORE_WORDS.search(before):
        # a score after a match word, not a range: فاز 3-1, تعادل 0-0
        return vowel(f"{cardinal(int(first))} مقابل {cardinal(int(second))}")
    if int(first) >= int(second) or first[0] == "0" or second[0] == "0":
        return match[0]
    gender, _ = _agreement(match.string, match.end())
    low, high = cardinal(int(first), gender=gender), cardinal(int(second), gender=gender)
    if before.endswith("بين"):
        return vowel(f"{low} و{high}")
    return spoken_range(vowel(low), vowel(high), with_from=needs_from(before))


def spell_numbers(text: str) -> str:
    """Read every number left in *text*: phones, law numbers, ordinals, ranges, cardinals."""
    if not has_digit(text):  # every pattern below needs one
        return text
    text = _PHONE.sub(lambda m: read_phone(m[0]), text)
    text = _LAW.sub(lambda m: f"{m[1]} {read_dotted(m[2])}", text)
    text = _DOTTED.sub(lambda m: _dotted_or_grouped(m[0]), text)
    text = _ORDINAL.sub(
        lambda m: (
            f"{m[1]} {vowel(ordinal(int(m[3]), gender=ORDINAL_NOUNS[_MARK_RE.sub('', m[2])]))}"
        ),
        text,
    )
    text = _DEFINITE_ORDINAL.sub(_definite_ordinal, text)
    text = _FRACTION.sub(_fraction, text)
    text = _RANGE.sub(_range, text)
    text = _LONE_CLITIC.sub(r"\1", text)  # بـ 6.8 (tatweel then a space): بستة فاصلة ثمانية
    text = _ONE_OR_TWO.sub(_one_or_two, text)
    return _GENERAL.sub(_general, text)


def _definite_ordinal(match: re.Match[str]) -> str:
    gender: Gender = "f" if _MARK_RE.sub("", match[1]).endswith("ة") else "m"
    return f"{match[1]} {vowel(ordinal(int(match[2]), gender=gender))}"


def _dotted_or_grouped(token: str) -> str:
    head, *groups = token.split(".")
    if len(head) <= 3 and head[0] != "0" and all(len(g) == 3 for g in groups):
        return vowel(read_number(token))  # 1.500.000: thousands
    return read_dotted(token)
