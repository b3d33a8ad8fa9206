"""Text stage: dates, times, year ranges and era suffixes read as Arabic words."""

from __future__ import annotations

import datetime as dt
import re

from audiobrief.errors import ConfigError
from audiobrief.text.lazy import has_digit, lazy, tolerant
from audiobrief.text.numbers import (
    cardinal,
    counted,
    needs_from,
    ordinal,
    read_integer,
    spoken_range,
)
from audiobrief.text.tables import (
    HIJRI_MONTHS,
    LETTERS,
    MARKS,
    MONTH_NUMBERS,
    MONTH_STYLES,
    WEEKDAYS,
    Noun,
    months,
)
from audiobrief.text.vowels import vowel

_MINUTE = Noun("دقيقة", "دقيقتين", "دقائق", "دقيقة", "f")
_END = f"(?![{LETTERS}{MARKS}])"
_MONTH_ALT = tolerant(*MONTH_NUMBERS, *HIJRI_MONTHS)
_NOT_AFTER = r"(?<![\d.,/:\-])"
_NOT_BEFORE = r"(?![.,/\-]?\d)"

_NUMERIC_DMY = lazy(_NOT_AFTER + r"(\d{1,2})([/.\-])(\d{1,2})\2(\d{4})" + _NOT_BEFORE)
_NUMERIC_YMD = lazy(_NOT_AFTER + r"(\d{4})([/\-])(\d{1,2})\2(\d{1,2})" + _NOT_BEFORE)
# A day and a month with no year, after يوم: يوم 1/3 -> يوم الأول من مارس.
_DAY_MONTH_NUMERIC = lazy(r"(?<=يوم )(\d{1,2})/(\d{1,2})(?![\d/.,])")
_YEAR_RANGE = lazy(
    _NOT_AFTER + r"(1[5-9]\d\d|20\d\d) ?[-–—/] ?(1[5-9]\d\d|20\d\d|\d\d)" + _NOT_BEFORE
)
_ERA = lazy(_NOT_AFTER + r"(\d{1,4}) ?(ه|م)\.?" + _END)
_CLOCK = lazy(
    _NOT_AFTER + r"(الساعة )?([01]?\d|2[0-4])(?:(?::|[hH]) ?([0-5]\d)|[hH])(?![\d:A-Za-z])"
)
_HOUR = lazy(r"(الساعة )(\d{1,2})" + _NOT_BEFORE + r"(?![\d:])")
_DAY_MONTH = lazy(
    _NOT_AFTER + r"(\d{1,2})(?: ?([-–و]|إلى) ?(\d{1,2}))? ?(?:(من) )?(?:(شهر) )?"
    rf"({_MONTH_ALT}){_END}"
)
_ERA_WORDS = {"ه": "هجرية", "م": "ميلادية"}


def month_name(month: int, month_style: str) -> str:
    """The name of *month* (1-12) in *month_style*: 9 -> شتنبر (maghreb), سبتمبر (mashriq)."""
    try:
        names = months(month_style)
    except KeyError:
        valid = ", ".join(MONTH_STYLES)
        raise ConfigError(f"Unknown month_style {month_style!r}; use one of: {valid}.") from None
    return names[month - 1]


def spoken_date(day: dt.date, month_style: str) -> str:
    """The date in words for a briefing: السبت الثامن والعشرون من نونبر ألفين وستة وعشرين."""
    weekday = WEEKDAYS[day.weekday()]
    month = month_name(day.month, month_style)
    return f"{weekday} {ordinal(day.day, case='nom')} من {month} {cardinal(day.year)}"


def spoken_date_vowelled(day: dt.date, month_style: str) -> str:
    """spoken_date with every word vowelled: the day in the nominative, the year after من."""
    head = vowel(f"{WEEKDAYS[day.weekday()]} {ordinal(day.day, case='nom')}", case="nom")
    return f"{head} {vowel(f'من {month_name(day.month, month_style)} {cardinal(day.year)}')}"


def day_words(day: int) -> str:
    """A day of the month as news readers say it: the masculine ordinal (الخامس والعشرين)."""
    return ordinal(day) if 1 <= day <= 31 else cardinal(day)


def spell_dates(text: str, month_style: str = "maghreb") -> str:
    """Read dates, times, year ranges and هـ/م years in words; other numbers stay digits."""
    if not has_digit(text):  # every pattern below needs one
        return text
    text = _NUMERIC_DMY.sub(lambda m: _numeric(m[1], m[3], m[4], m[0], month_style), text)
    text = _NUMERIC_YMD.sub(lambda m: _numeric(m[4], m[3], m[1], m[0], month_style), text)
    text = _DAY_MONTH_NUMERIC.sub(lambda m: _day_of_month(m, month_style), text)
    text = _YEAR_RANGE.sub(lambda m: vowel(_year_range(m)), text)
    text = _ERA.sub(lambda m: vowel(_era(m)), text)
    text = _CLOCK.sub(lambda m: _clock(m[1], _twelve_hour(m), int(m[3] or 0)), text)
    text = _HOUR.sub(lambda m: m[1] + vowel(_hour_words(int(m[2]))), text)
    return _DAY_MONTH.sub(lambda m: vowel(_day_month(m)), text)


def _numeric(day: str, month: str, year: str, original: str, month_style: str) -> str:
    d, m = int(day), int(month)
    if not (1 <= d <= 31 and 1 <= m <= 12):
        return original
    return vowel(f"{day_words(d)} من {month_name(m, month_style)} {cardinal(int(year))}")


def _day_of_month(match: re.Match[str], month_style: str) -> str:
    day, month = int(match[1]), int(match[2])
    if not (1 <= day <= 31 and 1 <= month <= 12):
        return match[0]
    return vowel(f"{day_words(day)} من {month_name(month, month_style)}")


def _year_range(match: re.Match[str]) -> str:
    first = int(match[1])
    second = int(match[2])
    if len(match[2]) == 2:
        second += first - first % 100
    if not first < second < first + 100:
        return match[0]
    before = match.string[: match.start()].rstrip()
    if before.endswith("بين"):
        return f"{cardinal(first)} و{cardinal(second)}"
    return spoken_range(cardinal(first), cardinal(second), with_from=needs_from(before))


def _era(match: re.Match[str]) -> str:
    number, letter = match[1], match[2]
    before = match.string[: match.start()].rstrip()
    is_year = (len(number) == 4 and 1000 <= int(number) <= 2199) or before.endswith(("سنة", "عام"))
    if letter == "م" and not is_year:
        return match[0]  # metres: money.py reads units
    return f"{read_integer(number)} {_ERA_WORDS[letter]}"


_EVENING = lazy(r"\s*(?:مساء|ليلا|مساءً)")


def _twelve_hour(match: re.Match[str]) -> int:
    """18:30 مساء is said السادسة والنصف مساء: the evening word already says which half."""
    hour = int(match[2])
    return hour - 12 if 12 < hour < 24 and _EVENING.match(match.string, match.end()) else hour


def _hour_words(hour: int) -> str:
    if hour in (0, 24):
        return "منتصف الليل"
    if hour > 24:
        return cardinal(hour)
    if hour == 1:
        return "الواحدة"  # not الأولى: the hour is counted, not ranked
    return ordinal(hour, gender="f")  # الساعة is feminine: الساعة التاسعة


def _clock(said: str | None, hour: int, minute: int) -> str:
    words = _hour_words(hour)
    if minute == 15:
        words += " والربع"
    elif minute == 20:
        words += " والثلث"
    elif minute == 30:
        words += " والنصف"
    elif minute:
        words += " و" + counted(str(minute), _MINUTE)
    if hour in (0, 24):
        return vowel(words)
    # The writer's own الساعة keeps its case for the diacritizer (السَّاعَةُ at the start).
    return f"{said or vowel('الساعة') + ' '}{vowel(words)}"


def _day_month(match: re.Match[str]) -> str:
    first, joint, second, has_from, shahr, month = match.groups()
    days = day_words(int(first))
    valid = 1 <= int(first) <= 31
    if second is not None:
        days2 = day_words(int(second))
        valid = valid and 1 <= int(second) <= 31
        before = match.string[: match.start()]
        if joint == "و":
            days = f"{days} و{days2}"
        else:  # من 10 إلى 15 يونيو: the من is the writer's already
            days = spoken_range(days, days2, with_from=needs_from(before))
    if not valid and not has_from:
        return f"{days} {shahr + ' ' if shahr else ''}{month}"
    if not has_from and month.startswith("ذو "):  # with no harakat: not the lexicon's form
        month = "ذي " + month[3:]  # genitive after من: العاشر من ذي الحجة
    return f"{days} من {shahr + ' ' if shahr else ''}{month}"
