"""Sentence and clause splitting: every rule on a short case, the seed article as golden."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from audiobrief.errors import ConfigError
from audiobrief.text.split import split_clauses, split_sentences
from support import CORPUS, needs_corpus

# Letters, tatweel, harakat, hamza above, bidi marks, presentation forms, digits, and
# every character the splitter looks at.
ARABIC_ALPHABET = (
    "ابتثجحخدذرزسشصضطظعغفقكلمنهويءآأؤإئةى"
    "\u0640\u064b\u064c\u064d\u064e\u064f\u0650\u0651\u0652\u0654"
    "\u200e\u200f\u061c\ufefb\ufe8d"
    "0123456789MUSa"
    " \n\t.!?؟…،,؛;:-/@\"'«»()"
)


def _no_space(text: str) -> str:
    return re.sub(r"\s", "", text)


@pytest.mark.parametrize(
    ("paragraph", "expected"),
    [
        (
            "ذهب الولد. عاد الولد! هل عاد؟ نعم? ربما…",
            ["ذهب الولد.", "عاد الولد!", "هل عاد؟", "نعم?", "ربما…"],
        ),
        ("انتظرنا طويلا... ثم وصل القطار.", ["انتظرنا طويلا...", "ثم وصل القطار."]),
        ("هل وصل؟! لا أعرف.", ["هل وصل؟!", "لا أعرف."]),
        ("بلغت النسبة 3.5 في المائة. وقال", ["بلغت النسبة 3.5 في المائة.", "وقال"]),
        ("بلغت 3,5 بالمائة بين 2020-2022 يوم 25/09/2023 على 10:30 صباحا.", None),
        (
            "زوروا https://www.hespress.com/a.html?id=3 اليوم. ثم عودوا",
            ["زوروا https://www.hespress.com/a.html?id=3 اليوم.", "ثم عودوا"],
        ),
        ("راسلوا contact@example.ma للمزيد. شكرا", ["راسلوا contact@example.ma للمزيد.", "شكرا"]),
        ("زوروا www.example.com. ثم عودوا", ["زوروا www.example.com.", "ثم عودوا"]),
        ("قال د. محمد إن م. أحمد حضر.", None),
        ("العنوان ص.ب. 120 الرباط.", None),
        ("بني المعبد سنة 300 ق.م. في مصر، عاصمة ج.م.ع. اليوم.", None),
        ("التقى M. Dupont وفد U.S. في الرباط.", None),
        ("قابل Dr. Smith الوزير.", None),
        ("بـ17 في المائة.وتُفيد مؤشرات الصرف.", ["بـ17 في المائة.", "وتُفيد مؤشرات الصرف."]),
        ('قال: "انتهى الأمر." ثم غادر.', ['قال: "انتهى الأمر."', "ثم غادر."]),
        ("وافق الجميع (بالإجماع.) ثم انصرفوا.", ["وافق الجميع (بالإجماع.)", "ثم انصرفوا."]),
        ("سألته: «هل أنت بخير؟» فأجاب.", ["سألته: «هل أنت بخير؟»", "فأجاب."]),
        ("صادرات المغرب تنخفض .. وتحويلات الجالية تتحدى", None),
        ("النقد الأجنبي للخليج..52% نصيب السعودية", None),
        ("انتهى الاجتماع . وبدأ الغداء", ["انتهى الاجتماع .", "وبدأ الغداء"]),
        ("انتهى الاجتماع. .", ["انتهى الاجتماع. ."]),
        ("انتهى الاجتماع.\u200fوبدأ الغداء", ["انتهى الاجتماع.", "\u200fوبدأ الغداء"]),
        ('قالت: " خيار جيد ! "، وقد سلم الجائزة.', None),
        ("هذه الحكومة لابد أن. . . تشهد النور.", None),
        ("  ", []),
        ("", []),
    ],
)
def test_split_sentences_follows_each_rule(paragraph: str, expected: list[str] | None) -> None:
    # None: the paragraph is one sentence.
    assert split_sentences(paragraph) == (expected if expected is not None else [paragraph])


def test_split_sentences_drops_only_the_whitespace_between_sentences() -> None:
    paragraph = "  الجملة الأولى.\n\nالجملة  الثانية!  "
    assert split_sentences(paragraph) == ["الجملة الأولى.", "الجملة  الثانية!"]


@given(st.text(alphabet=ARABIC_ALPHABET, max_size=80))
def test_split_sentences_loses_no_letters_in_arabic_text(paragraph: str) -> None:
    sentences = split_sentences(paragraph)
    assert _no_space("".join(sentences)) == _no_space(paragraph)
    assert all(s == s.strip() and s for s in sentences)


@given(st.text(max_size=80))
def test_split_sentences_loses_no_letters_in_any_text(paragraph: str) -> None:
    assert _no_space("".join(split_sentences(paragraph))) == _no_space(paragraph)


def _words(count: int, word: str = "كلمة") -> str:
    return " ".join([word] * count)


def test_split_clauses_keeps_a_short_sentence_whole_despite_commas() -> None:
    sentence = "قال الوزير، في ندوة صحفية، إن المشروع انطلق."
    assert split_clauses(sentence) == [sentence]


def test_split_clauses_cuts_at_punctuation_that_stays_on_the_left() -> None:
    first, second = _words(12, "أول"), _words(12, "ثان")
    assert split_clauses(f"{first}؛ {second}.") == [f"{first}؛", f"{second}."]


def test_split_clauses_merges_short_pieces_up_to_the_limit() -> None:
    sentence = "، ".join(_words(4) for _ in range(6)) + "."  # six 4-word pieces: 24 words
    clauses = split_clauses(sentence, max_words=20)
    assert [len(c.split()) for c in clauses] == [12, 12]
    assert all(c.endswith(("،", ".")) for c in clauses)


def test_split_clauses_avoids_a_one_word_clause_when_a_space_cut_fits() -> None:
    sentence = f"وقال، {_words(20)}."
    clauses = split_clauses(sentence, max_words=20)
    assert min(len(c.split()) for c in clauses) > 2
    assert all(len(c.split()) <= 20 for c in clauses)


def test_split_clauses_cuts_unpunctuated_text_into_balanced_pieces() -> None:
    clauses = split_clauses(_words(45), max_words=20)
    assert [len(c.split()) for c in clauses] == [15, 15, 15]


def test_split_clauses_never_separates_a_number_from_its_neighbours() -> None:
    sentence = f"{_words(9)} يوم 25 شتنبر 2023 {_words(9)}"  # 22 words, date in the middle
    clauses = split_clauses(sentence, max_words=20)
    assert len(clauses) == 2
    assert any("يوم 25 شتنبر 2023" in c for c in clauses)


def test_split_clauses_keeps_a_spaced_year_range_whole() -> None:
    sentence = f"{_words(10)} بين 2020 - 2022 {_words(10)}"
    assert any("2020 - 2022" in c for c in split_clauses(sentence, max_words=20))


def test_split_clauses_may_cut_after_a_spaced_ellipsis() -> None:
    first, second = _words(12, "أول"), _words(12, "ثان")
    assert split_clauses(f"{first} .. {second}", max_words=20) == [f"{first} ..", second]


def test_split_clauses_never_cuts_inside_a_word() -> None:
    sentence = _words(15, "الجهوية،الصناعة")  # commas glued inside words
    clauses = split_clauses(sentence, max_words=10)
    assert all(w == "الجهوية،الصناعة" for c in clauses for w in c.split())


def test_split_clauses_does_not_cut_at_a_decimal_comma_or_time() -> None:
    sentence = f"{_words(10)} 3,5 و10:30 {_words(10)}"
    assert "3,5 و10:30" in " | ".join(split_clauses(sentence, max_words=20))


def test_split_clauses_rejects_a_limit_below_one() -> None:
    with pytest.raises(ConfigError, match="max_words"):
        split_clauses("كلمة", max_words=0)


@given(st.text(alphabet=ARABIC_ALPHABET, max_size=120), st.integers(1, 25))
def test_split_clauses_keeps_every_word_within_the_limit(sentence: str, max_words: int) -> None:
    clauses = split_clauses(sentence, max_words)
    assert [w for c in clauses for w in c.split()] == sentence.split()
    assert all(1 <= len(c.split()) <= max_words for c in clauses)


def _split_article(text: str) -> str:
    lines = []
    for paragraph in text.split("\n"):
        for sentence in split_sentences(paragraph):
            lines.append(f"S {sentence}")
            lines += [f"  C {clause}" for clause in split_clauses(sentence)]
    return "\n".join(lines) + "\n"


@needs_corpus
@pytest.mark.parametrize("name", ["seed_article.txt", "p03_hespress.txt"])
def test_split_matches_golden_for_corpus_articles(
    name: str, golden: Callable[[str, str], None]
) -> None:
    text = (CORPUS / name).read_text(encoding="utf-8")
    golden(f"split_{name}", _split_article(text))
