"""Text stage for the daily briefing: intro, announced articles, outro, and dated titles."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import replace

from audiobrief.model import Pauses, Script, Section, Segment
from audiobrief.text.dates import month_name, spoken_date

TextStep = Callable[[str], str]

INTRO_TITLE = "مقدمة"
OUTRO_TITLE = "خاتمة"
WEEKDAYS = ("الاثنين", "الثلاثاء", "الأربعاء", "الخميس", "الجمعة", "السبت", "الأحد")
# Masculine ordinals agree with خبر; past the tenth a bulletin just says "the next story".
_ORDINALS = (
    "الأول",
    "الثاني",
    "الثالث",
    "الرابع",
    "الخامس",
    "السادس",
    "السابع",
    "الثامن",
    "التاسع",
    "العاشر",
)


def written_date(day: dt.date, month_style: str) -> str:
    """The date as an Arabic page prints it: `السبت 28 نونبر 2026`."""
    return f"{WEEKDAYS[day.weekday()]} {day.day} {month_name(day.month, month_style)} {day.year}"


def dated_title(title: str, day: dt.date, month_style: str) -> str:
    """An episode title carrying its date (apps flag identical titles as duplicates)."""
    return f"{title} ({day.day} {month_name(day.month, month_style)} {day.year})"


def briefing_title(show_title: str, day: dt.date, month_style: str) -> str:
    return f"{show_title}: {written_date(day, month_style)}"


def build_briefing(
    bodies: Sequence[Script],
    *,
    day: dt.date,
    show_title: str,
    month_style: str,
    normalize: TextStep,
    diacritize: TextStep | None,
    pauses: Pauses,
) -> Script:
    """Intro with the show and the date, each article announced, then an outro.

    The articles' own segments are reused unchanged, so their clips come from the
    synthesis cache when the articles were spoken before.
    """

    def say(written: str, spoken: str, paragraph: int, sentence: int, pause_ms: int) -> Segment:
        said = normalize(spoken)
        return Segment(
            written, diacritize(said) if diacritize else said, paragraph, sentence, pause_ms
        )

    date_words = spoken_date(day, month_style)
    printed = written_date(day, month_style)
    count = _story_count(len(bodies))
    intro = Section(
        INTRO_TITLE,
        (
            say(
                f"مرحبا بكم في {show_title}، ليوم {printed}.",
                f"مرحبا بكم في {show_title}، ليوم {date_words}.",
                1,
                0,
                pauses.sentence_ms,
            ),
            say(f"في هذا الموجز {count}.", f"في هذا الموجز {count}.", 1, 1, pauses.section_ms),
        ),
    )
    sections = [intro]
    for index, body in enumerate(bodies):
        for article in body.sections:
            announce = f"الخبر {_ORDINALS[index]}." if index < len(_ORDINALS) else "الخبر التالي."
            if index and index == len(bodies) - 1:
                announce = "الخبر الأخير."
            head = say(announce, announce, 0, 0, pauses.sentence_ms)
            shifted = tuple(replace(s, sentence=s.sentence + 1) for s in article.segments)
            sections.append(Section(article.title, (head, *shifted), article.url))
    outro = Section(
        OUTRO_TITLE,
        (
            say(
                f"كان هذا {show_title} ليوم {printed}.",
                f"كان هذا {show_title} ليوم {date_words}.",
                1,
                0,
                pauses.sentence_ms,
            ),
            say(
                "شكرا لاستماعكم، وإلى اللقاء.",
                "شكرا لاستماعكم، وإلى اللقاء.",
                1,
                1,
                pauses.section_ms,
            ),
        ),
    )
    sections.append(outro)
    return Script(title=briefing_title(show_title, day, month_style), sections=tuple(sections))


def _story_count(n: int) -> str:
    """The number of stories with the counted noun in agreement (خبر واحد، خبران، ٣ أخبار)."""
    if n == 1:
        return "خبر واحد"
    if n == 2:
        return "خبران"
    return f"{n} أخبار" if n <= 10 else f"{n} خبرا"
