"""Text stage for the daily briefing: intro, announced articles, outro, and dated titles."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import replace

from audiobrief.model import Article, Pauses, Script, Section, Segment
from audiobrief.text.dates import month_name, spoken_date_vowelled
from audiobrief.text.diacritize import strip_marks
from audiobrief.text.numbers import counted
from audiobrief.text.split import split_sentences
from audiobrief.text.tables import Noun
from audiobrief.text.vowels import vowel

TextStep = Callable[[str], str]

INTRO_TITLE = "مقدمة"
OUTRO_TITLE = "خاتمة"
WEEKDAYS = ("الاثنين", "الثلاثاء", "الأربعاء", "الخميس", "الجمعة", "السبت", "الأحد")
_STORY = Noun("خبر", "خبران", "أخبار", "خبرا")
# The fixed words carry their harakat: the diacritizer keeps marks it is given, and on
# these short phrases it guesses wrong (الخَبَرُ الْأَوَّل, شَكْرًا), which eSpeak then
# says wrongly, or with a 30 ms glottal closure before the chapter's first sound.
# Masculine ordinals agree with خبر; past the tenth a bulletin says "the next story".
_ORDINALS = (
    "الْأَوَّلُ",
    "الثَّانِي",
    "الثَّالِثُ",
    "الرَّابِعُ",
    "الْخَامِسُ",
    "السَّادِسُ",
    "السَّابِعُ",
    "الثَّامِنُ",
    "التَّاسِعُ",
    "الْعَاشِرُ",
)
_NEXT = "التَّالِي"
_LAST = "الْأَخِيرُ"
# After a shortened story: "you will find the whole story in the articles feed" (the
# page's name for articles.xml); the object and its circumstantial adjective are accusative.
POINTER = "تَجِدُونَ الْخَبَرَ كَامِلًا فِي خُلَاصَةِ الْمَقَالَاتِ."
LEDE_WORDS = 60
"""The lede's word budget: about 25 s of speech, what a radio bulletin gives a story."""
LEDE_MIN_WORDS = 15
"""An opening paragraph shorter than this is not a lede alone; the next one follows."""


def shortened(article: Article, depth: str, *, max_words: int = LEDE_WORDS) -> Article:
    """*article* as a briefing at *depth* reads it: `headline` alone, `lede`, or `full`.

    The lede is the opening paragraph, or its first whole sentences when it runs past
    *max_words*: at least one sentence, never a sentence cut in the middle. An opening
    paragraph too short to tell the story (a dateline, "متابعة") runs on into the next.
    """
    if depth == "full":
        return article
    kept = _kept_sentences(article, depth, max_words)
    return replace(article, paragraphs=tuple(" ".join(taken) for taken in kept))


def spoken_opening(
    script: Script, article: Article, depth: str, pauses: Pauses, *, max_words: int = LEDE_WORDS
) -> Script | None:
    """What `build_script(shortened(article, depth))` says, cut from *script*, the Script
    the voice was given for the whole *article*: no text stage, and the very words (and
    clips) the article's episode says, so its audio can be joined as it is.

    None when the sentence where it would cut does not say what the article says there:
    *script* was not made from this text (an article rebuilt from an old catalog's script
    lacks the sentences that said nothing), or that sentence said nothing.
    """
    if depth == "full":
        return script
    (section,) = script.sections
    kept = _kept_sentences(article, depth, max_words)
    # Sentences are numbered through the section, the heading being sentence 0.
    count = 1 + sum(len(taken) for taken in kept)
    last = kept[-1][-1] if kept else article.title
    said = " ".join(s.written for s in section.segments if s.sentence == count - 1)
    if said.split() != last.split():
        return None
    segments = [s for s in section.segments if s.sentence < count]
    if segments:  # now the section's last: build_section ends it with the longest pause
        ends = (pauses.sentence_ms, pauses.paragraph_ms, pauses.section_ms)
        segments[-1] = replace(segments[-1], pause_after_ms=max(segments[-1].pause_after_ms, *ends))
    return replace(script, sections=(replace(section, segments=tuple(segments)),))


def _kept_sentences(article: Article, depth: str, max_words: int) -> list[list[str]]:
    """The sentences of each opening paragraph that *depth* keeps (see `shortened`)."""
    if depth == "headline":
        return []
    kept: list[list[str]] = []
    words = 0
    for paragraph in article.paragraphs:
        taken: list[str] = []
        whole = True
        for sentence in split_sentences(paragraph):
            count = len(sentence.split())
            if words and words + count > max_words:
                whole = False
                break
            taken.append(sentence)
            words += count
        if taken:
            kept.append(taken)
        if not whole or words >= LEDE_MIN_WORDS:
            break
    return kept


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
    episodes: Sequence[str | None] = (),
    depth: str = "full",
) -> Script:
    """Intro with the show and the date in words, each article announced, then an outro.

    The articles' own segments are reused unchanged, so their clips come from the
    synthesis cache when the articles were spoken before. Every section of *bodies*
    becomes one chapter, in the order given. *episodes* holds, per section, the page of
    that article's full episode when it has one: the chapter links it, and at a *depth*
    other than `full` (the bodies made by `shortened`) the story ends by saying where
    the rest is.
    """

    forms: dict[str, str] = {}  # each announcement and the pointer come back every day

    def say(
        written: str, voweled: str, sentence: int, pause_ms: int, paragraph: int = 1
    ) -> Segment:
        if voweled not in forms:
            forms[voweled] = _said(voweled, normalize, diacritize)
        return Segment(written, forms[voweled], paragraph, sentence, pause_ms)

    articles = [section for body in bodies for section in body.sections]
    # "اليوم هو" keeps the date in the nominative, as it is read on its own
    # (السبت الثامن والعشرون); after "ليوم" it would have to be genitive.
    count = counted(str(len(articles)), _STORY, case="nom")
    said_count = vowel(count, case="nom")
    # The show's name follows في in the intro and ختام in the outro: genitive both times.
    # It is vowelled once, in that context, so both say it the same way.
    show = _vowelled_show(show_title, diacritize)
    hello = greeting(
        day, show_title=show_title, month_style=month_style, normalize=normalize,
        diacritize=diacritize, pauses=pauses,
    )  # fmt: skip
    intro = Section(
        INTRO_TITLE,
        (
            *hello.segments,
            say(f"في هذا الموجز {count}.", f"فِي هَذَا الْمُوجَزِ {said_count}.", 1, pauses.section_ms),
        ),
    )
    sections = [intro]
    for index, article in enumerate(articles):
        ordinal = _ORDINALS[index] if index < len(_ORDINALS) else _NEXT
        if index and index == len(articles) - 1:
            ordinal = _LAST
        voweled = f"الْخَبَرُ {ordinal}."
        head = say(strip_marks(voweled), voweled, 0, pauses.sentence_ms, paragraph=0)
        shifted = tuple(replace(s, sentence=s.sentence + 1) for s in article.segments)
        page = episodes[index] if index < len(episodes) else None
        if page and depth != "full" and shifted:
            last = shifted[-1]
            pointer = say(
                strip_marks(POINTER), POINTER, last.sentence + 1, pauses.section_ms,
                paragraph=last.paragraph + 1,
            )  # fmt: skip
            shifted = (*shifted[:-1], replace(last, pause_after_ms=pauses.paragraph_ms), pointer)
        sections.append(Section(article.title, (head, *shifted), page or article.url))
    outro = Section(
        OUTRO_TITLE,
        (
            # Opens on a voiced sound: a chapter is heard from its first millisecond.
            say(
                f"وبهذا نصل إلى ختام {show_title} لهذا اليوم.",
                f"وَبِهَذَا نَصِلُ إِلَى خِتَامِ {show} لِهَذَا الْيَوْمِ.",
                0,
                pauses.sentence_ms,
            ),
            say(
                "شكرا لاستماعكم، وإلى اللقاء.",
                "شُكْرًا لِاسْتِمَاعِكُمْ، وَإِلَى اللِّقَاءِ.",
                1,
                pauses.section_ms,
            ),
        ),
    )
    sections.append(outro)
    return Script(title=briefing_title(show_title, day, month_style), sections=tuple(sections))


def greeting(
    day: dt.date,
    *,
    show_title: str,
    month_style: str,
    normalize: TextStep,
    diacritize: TextStep | None,
    pauses: Pauses,
) -> Section:
    """The intro's first sentence (the show, then the date in words) as a section alone.

    It depends on the day and the voice only, not on the stories: a briefing renders it
    as a part of its own, which the day's first `speak` can render ahead (voice.briefing).
    """
    show = _vowelled_show(show_title, diacritize)
    voweled = f"مَرْحَبًا بِكُمْ فِي {show}، الْيَوْمُ هُوَ {spoken_date_vowelled(day, month_style)}."
    written = f"مرحبا بكم في {show_title}، اليوم هو {written_date(day, month_style)}."
    said = _said(voweled, normalize, diacritize)
    return Section(INTRO_TITLE, (Segment(written, said, 1, 0, pauses.sentence_ms),))


def _said(voweled: str, normalize: TextStep, diacritize: TextStep | None) -> str:
    """What the voice gets for fixed words written with their harakat."""
    said = normalize(voweled)
    # A voice that takes plain text (gTTS, Piper) gets the fixed words unmarked too.
    return diacritize(said) if diacritize else strip_marks(said)


_DEFAULT_SHOW = {"موجز الأخبار": "مُوجَزِ الْأَخْبَارِ"}


def _vowelled_show(show_title: str, diacritize: TextStep | None) -> str:
    """The show's name with harakat, the same in every sentence that says it."""
    if show_title in _DEFAULT_SHOW:
        return _DEFAULT_SHOW[show_title]
    if diacritize is None:
        return show_title
    said = diacritize(f"فِي {show_title}").split(" ", 1)
    return said[1] if len(said) == 2 else show_title
