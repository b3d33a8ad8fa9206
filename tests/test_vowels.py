"""The front end's own words: written fully vowelled, and kept as written by the diacritizer."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audiobrief.errors import AudiobriefError
from audiobrief.model import Pauses, Script, Section, Segment
from audiobrief.text.briefing import build_briefing
from audiobrief.text.dates import month_name, spoken_date_vowelled
from audiobrief.text.diacritize import Diacritizer, needs_marks, shadda_first, strip_marks
from audiobrief.text.normalize import normalize
from audiobrief.text.numbers import cardinal, digits, ordinal
from audiobrief.text.tables import MONTH_NUMBERS, MONTH_STYLES
from audiobrief.text.vowels import NAMES, VOWELLED, vowel
from support import DATA

_VOWEL = re.compile("[\u064b-\u0650\u0652]")


def _vowel_cases() -> list[pytest.ParameterSet]:
    rows = []
    for line in (DATA / "frontend_vowels.tsv").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            written, spoken, note = line.split("\t")
            rows.append(pytest.param(written, spoken, id=note.replace(" ", "-")))
    return rows


@pytest.mark.parametrize(("written", "spoken"), _vowel_cases())
def test_front_end_writes_the_case_with_these_marks(written: str, spoken: str) -> None:
    # The table is typed by hand, where keyboards put the vowel before the shadda.
    assert normalize(written) == shadda_first(spoken)


def test_every_table_form_spells_the_letters_of_its_word() -> None:
    for table in (VOWELLED, NAMES):
        for bare, said in table.items():
            assert strip_marks(said) == bare, bare
            assert not re.search("[\u064b-\u0650]\u0651", said), said  # shadda first


@pytest.mark.parametrize("gender", ["m", "f"])
def test_every_number_word_is_written_with_vowels(gender: str) -> None:
    numbers = [*range(0, 1200), *range(1200, 10**7, 997), 10**9 + 7, 2 * 10**12 + 11]
    for n in numbers:
        for case in ("obl", "nom"):
            said = vowel(cardinal(n, gender=gender, case=case), case=case)  # type: ignore[arg-type]
            assert not any(needs_marks(word) for word in said.split()), (n, said)
    for n in range(1, 100):
        said = vowel(ordinal(n, gender=gender))  # type: ignore[arg-type]
        assert not any(needs_marks(word) for word in said.split()), (n, said)


def test_month_names_of_every_style_and_spelling_are_vowelled() -> None:
    names = [month_name(m, style) for style in MONTH_STYLES for m in range(1, 13)]
    for name in [*names, *MONTH_NUMBERS]:
        said = vowel(name)
        assert not any(needs_marks(word) for word in said.split()), name


def test_digits_are_read_in_pause() -> None:
    said = vowel(digits("0612"))
    assert said == shadda_first("صِفْر سِتَّة وَاحِد اثْنَيْن")


def test_the_teen_unit_is_built_on_fatha_and_ten_after_it_too() -> None:
    assert vowel(cardinal(18)) == "ثَمَانِيَةَ عَشَرَ"
    assert vowel(cardinal(13, gender="f")) == "ثَلَاثَ عَشْرَةَ"
    assert vowel(ordinal(11)) == "الْحَادِيَ عَشَرَ"
    assert vowel("في عشرة بلدان") == "فِي عَشَرَةِ بلدان"  # ten on its own: not a teen


def test_a_unit_joined_to_tens_takes_tanween_and_a_construct_head_does_not() -> None:
    assert vowel(cardinal(26)) == shadda_first("سِتَّةٍ وَعِشْرِينَ")
    assert vowel("ثلاثة آلاف") == "ثَلَاثَةِ آلَافِ"
    assert vowel("الخامس والعشرين") == "الْخَامِسِ وَالْعِشْرِينَ"  # no tanween with ال


def test_the_briefing_date_is_nominative_then_genitive_after_min() -> None:
    said = spoken_date_vowelled(dt.date(2026, 11, 28), "maghreb")
    expected = "السَّبْتُ الثَّامِنُ وَالْعِشْرُونَ مِنْ نُونَبْر أَلْفَيْنِ وَسِتَّةٍ وَعِشْرِينَ"
    assert said == shadda_first(expected)


_FILLER = ("قال", "الوزير", "إن", "عدد", "المسافرين", "بلغ", "في", "يوم", "نحو", "مدينة")
_NUMBERS = (
    "8",
    "18",
    "0",
    "700",
    "312.000 نسمة",
    "2،7 مليون",
    "11",
    "25 جوان 2024",
    "17 جويلية",
    "3 أوت",
    "%12",
    "2019-2021",
    "24.90 درهم",
    "الساعة 17.30",
    "القرن 21",
    "1998",
)
sentences = st.lists(
    st.one_of(st.sampled_from(_FILLER), st.sampled_from(_NUMBERS)), min_size=3, max_size=14
).map(" ".join)


@pytest.fixture(scope="module")
def diacritizer() -> Diacritizer:
    model = Diacritizer()
    try:
        model("تجربة")
    except AudiobriefError as exc:
        pytest.skip(f"no diacritizer model here: {exc}")
    return model


@settings(max_examples=40, deadline=None)
@given(sentences)
def test_every_word_the_front_end_vowelled_keeps_its_marks_after_diacritization(
    diacritizer: Diacritizer, sentence: str
) -> None:
    spoken = normalize(sentence)
    said = diacritizer(spoken)
    before, after = spoken.split(), said.split()
    assert len(before) == len(after)
    for written, kept in zip(before, after, strict=True):
        if _VOWEL.search(written):
            assert kept == shadda_first(written), (sentence, written, kept)


def _briefing(count: int, diacritize: Callable[[str], str]) -> Script:
    stories = tuple(
        Section(f"عنوان {i}", (Segment("نص", "نص", 1, 0, 100),), None) for i in range(count)
    )
    return build_briefing(
        [Script(title="t", sections=stories)],
        day=dt.date(2026, 6, 14),
        show_title="موجز الأخبار",
        month_style="tunisia-algeria",
        normalize=normalize,
        diacritize=diacritize,
        pauses=Pauses(),
    )


@pytest.mark.parametrize("count", [1, 2, 3, 11, 12])
def test_the_briefing_fixed_phrases_come_back_from_the_diacritizer_as_written(
    diacritizer: Diacritizer, count: int
) -> None:
    briefing = _briefing(count, diacritizer)
    # What the front end wrote, before any model: the identity "diacritizer".
    plain = _briefing(count, lambda text: text)
    written = {s.written: s.spoken for sec in plain.sections for s in sec.segments}
    fixed = [*briefing.sections[0].segments, *briefing.sections[-1].segments]
    fixed += [section.segments[0] for section in briefing.sections[1:-1]]
    for segment in fixed:
        assert not any(needs_marks(word) for word in segment.spoken.split()), segment.spoken
        assert segment.spoken == shadda_first(written[segment.written])
    intro = briefing.sections[0].segments[0].spoken
    assert shadda_first("الْأَحَدُ الرَّابِعَ عَشَرَ مِنْ جُوَان") in intro
