"""Properties of the front end on generated text: idempotent, no lost letters, speakable.

The letter property guaranteed (and tested) is: with the built-in steps and no lexicon or
the starter lexicon, the Arabic letters (U+0621-U+064A) of ``respell(fold_unicode(text))``
appear, in order, among the Arabic letters of ``normalize(text)``, compared on their
skeleton: hamza seats as alef, ى as ي, ة as ه, and و/ي as one class (the case ending of
ذو -> ذي after من). Every replaced token (abbreviation, unit, currency sign, era letter)
spells its written letters in order, so it is covered too; fold_unicode (presentation
forms, Persian letters) and respell (مائة -> مئة) are the only steps that rewrite letters.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

from hypothesis import example, given, settings
from hypothesis import strategies as st

from audiobrief.text.abbreviations import ABBREVIATIONS, BRACKETED, TITLES
from audiobrief.text.lexicon import load_lexicon
from audiobrief.text.normalize import fold_unicode, make_steps, normalize, respell
from audiobrief.text.tables import CURRENCIES, UNITS

STARTER = Path(__file__).resolve().parents[1] / "voices" / "lexicon.tsv"
WITH_LEXICON = make_steps(lexicon=load_lexicon(STARTER))

_LETTERS = [chr(c) for c in range(0x0621, 0x063B)] + [chr(c) for c in range(0x0641, 0x064B)]
_MARKS = [chr(c) for c in range(0x064B, 0x0653)] + ["\u0653", "\u0654", "\u0655", "\u0670"]
_BIDI = ["\u200e", "\u200f", "\u061c", "\u202a", "\u202b", "\u202c", "\u2066", "\u2069", "\u200c"]
_FORMS = [chr(c) for c in range(0xFE70, 0xFEFD) if unicodedata.name(chr(c), "")]
_DIGITS = [*"0123456789", *map(chr, range(0x0660, 0x066A)), *map(chr, range(0x06F0, 0x06FA))]
_OTHER = [*"abcxyzABCOPQ éàç", *" .,:;!?-/%٪،؛؟()«»\"'“”…&#_*+=$€£°²", "\u0640", "\u066b", "\u066c"]
_TOKENS = [
    " 25 ",
    "2023",
    "1,500,000",
    "3.5",
    "-",
    " شتنبر ",
    " ذو الحجة ",
    " سنة ",
    " الساعة ",
    "10:30",
    "10h",
    " DH ",
    " MAD ",
    " في المائة ",
    "مائة",
    " ق.م ",
    "هـ",
    " م ",
    " كلم ",
    " د. ",
    " (ص) ",
    " إلخ ",
    " الفصل ",
    " القانون ",
    " رقم ",
    "0612345678",
    " OCP ",
    "Fès",
    " بـ",
    " الـ",
    " و ",
    "/",
    "2020-2022",
    " من ",
    " بين ",
    " فاس ",
    " الحجوبي ",
    "ﷺ",
    "﷼",
]
arabic_text = st.lists(
    st.one_of(
        st.sampled_from(_LETTERS),
        st.sampled_from(_MARKS),
        st.sampled_from(_BIDI),
        st.sampled_from(_FORMS),
        st.sampled_from(_DIGITS),
        st.sampled_from(_OTHER),
        st.sampled_from(_TOKENS),
    ),
    max_size=40,
).map("".join)
any_text = st.one_of(arabic_text, st.text(max_size=60))

# ة folds to ت: a counted noun's dual writes it open (سنة -> سنتين).
_SKELETON = str.maketrans("أإآٱىةؤئو", "اااايتويي")


def _skeleton(text: str) -> str:
    return "".join(c for c in text if "\u0621" <= c <= "\u064a").translate(_SKELETON)


def _is_subsequence(needle: str, haystack: str) -> bool:
    found = iter(haystack)
    return all(char in found for char in needle)


@settings(max_examples=300, deadline=None)
@given(any_text)
def test_normalize_is_idempotent(text: str) -> None:
    once = normalize(text)
    assert normalize(once) == once


@settings(max_examples=150, deadline=None)
@given(arabic_text)
def test_normalize_with_the_starter_lexicon_is_idempotent(text: str) -> None:
    once = normalize(text, WITH_LEXICON)
    assert normalize(once, WITH_LEXICON) == once


@settings(max_examples=300, deadline=None)
@given(any_text)
def test_fold_unicode_is_idempotent(text: str) -> None:
    assert fold_unicode(fold_unicode(text)) == fold_unicode(text)


@settings(max_examples=300, deadline=None)
@given(any_text)
def test_spoken_output_has_no_digit_and_no_latin_letter(text: str) -> None:
    for char in normalize(text) + normalize(text, WITH_LEXICON):
        assert not char.isdigit(), (text, char)
        assert not (char.isalpha() and "LATIN" in unicodedata.name(char, "")), (text, char)


@settings(max_examples=300, deadline=None)
@given(any_text)
@example("2 سنة ")  # a dual opens the taa marbuta: سنتين
@example("لـ OCP و 3 أيام")
def test_no_step_drops_arabic_letters(text: str) -> None:
    written = _skeleton(respell(fold_unicode(text)))
    assert _is_subsequence(written, _skeleton(normalize(text)))
    assert _is_subsequence(written, _skeleton(normalize(text, WITH_LEXICON)))


def test_every_replacement_table_spells_its_written_letters_in_order() -> None:
    pairs = [*ABBREVIATIONS.items(), *BRACKETED.items(), *TITLES.items()]
    for table in (CURRENCIES, UNITS):
        for written, noun in table.items():
            forms = [noun.singular, noun.plural, noun.accusative, noun.dual or noun.singular]
            pairs += [(written, form) for form in forms]
    for written, spoken in pairs:
        assert _is_subsequence(_skeleton(fold_unicode(written)), _skeleton(spoken)), written


@settings(max_examples=300, deadline=None)
@given(any_text)
def test_no_plus_or_percent_sign_reaches_the_voice(text: str) -> None:
    for said in (normalize(text), normalize(text, WITH_LEXICON)):
        assert not set("+%٪\u066b\u066c") & set(said), (text, said)


def test_a_5000_digit_run_is_read_in_bounded_groups() -> None:
    run = "".join(str(i * 7 % 10) for i in range(5000))
    said = normalize(f"الرمز {run} انتهى")
    assert not any(char.isdigit() for char in said)
    groups = said.removeprefix("الرمز ").removesuffix(" انتهى").split("، ")
    assert len(groups) == 1250
    assert all(len(group.split()) == 4 for group in groups)
