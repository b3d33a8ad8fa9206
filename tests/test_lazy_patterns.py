"""Patterns compiled on first use, and the digit/Latin checks that skip them, change nothing."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from audiobrief.text import dates, latin, money, numerals, patterns
from audiobrief.text.lazy import LazyPattern, has_digit, has_latin, lazy, tolerant
from audiobrief.text.normalize import make_steps, normalize
from audiobrief.text.tables import INNER_MARKS, LETTERS, MARKS, MONTH_LOCALES, MONTH_STYLES, months
from test_normalize_properties import any_text, arabic_text


def test_a_lazy_pattern_compiles_on_first_use_and_then_keeps_it() -> None:
    pattern = lazy(r"(\d+) درهم", re.IGNORECASE)
    assert not pattern.is_compiled
    assert pattern.sub(r"<\1>", "دفع 20 درهم") == "دفع <20>"
    compiled = pattern.compiled
    assert pattern.is_compiled
    assert pattern.compiled is compiled
    assert compiled.flags & re.IGNORECASE


@pytest.mark.parametrize(
    ("method", "args"),
    [
        ("search", ("ثمن 12 و 30",)),
        ("match", ("12 و 30",)),
        ("fullmatch", ("12",)),
        ("findall", ("ثمن 12 و 30",)),
        ("split", ("ثمن 12 و 30",)),
        ("subn", ("#", "ثمن 12 و 30")),
    ],
)
def test_a_lazy_pattern_answers_as_the_compiled_one(method: str, args: tuple[str, ...]) -> None:
    source = r"(\d)\d*"
    expected = getattr(re.compile(source), method)(*args)
    actual = getattr(LazyPattern(source), method)(*args)
    if isinstance(expected, re.Match):
        assert isinstance(actual, re.Match)
        assert actual.span() == expected.span()
    else:
        assert actual == expected
    assert [m.span() for m in lazy(source).finditer(args[-1])] == [
        m.span() for m in re.finditer(source, args[-1])
    ]


@pytest.mark.parametrize(
    ("text", "digit", "latin_letter"),
    [
        ("قال الوزير", False, False),
        ("سنة ٢٠٢٣", True, False),  # Arabic-Indic digits are \d as well
        ("شركة OCP", False, True),
        ("مدينة Fès", False, True),
        ("V30S", True, True),
        ("العدد²", False, False),  # a superscript is not a decimal digit to the patterns
    ],
)
def test_the_checks_see_digits_and_latin_letters(
    text: str, digit: bool, latin_letter: bool
) -> None:
    assert has_digit(text) is digit
    assert has_latin(text) is latin_letter


STEPS = {
    "maghreb": make_steps("maghreb"),
    "mashriq": make_steps("mashriq"),
}


@settings(max_examples=300, deadline=None)
@given(any_text | arabic_text)
@example("القرن XIX")  # a Roman rank brings its digits: the number steps must still run
@example("فيفو (VIVO) حقق (+5%) الساعة 17.30 GMT")
@example("نسبة في المئة من 3 مليون درهم")
def test_skipping_patterns_never_changes_the_spoken_text(text: str) -> None:
    checked = {style: normalize(text, steps) for style, steps in STEPS.items()}
    with pytest.MonkeyPatch.context() as patch:
        for module in (dates, latin, money, numerals, patterns):  # every check answers yes
            if hasattr(module, "has_digit"):
                patch.setattr(module, "has_digit", lambda _text: True)
            if hasattr(module, "has_latin"):
                patch.setattr(module, "has_latin", lambda _text: True)
        unchecked = {style: normalize(text, steps) for style, steps in STEPS.items()}
    assert checked == unchecked


def _plain_alternation(words: list[str]) -> str:
    """tolerant() as it was before the trie: every word in full, longest first."""
    ordered = sorted(words, key=len, reverse=True)
    return "|".join(f"[{INNER_MARKS}]*".join(map(re.escape, word)) for word in ordered)


_WORD = st.text(alphabet="ابتمنلهة ", min_size=1, max_size=6)
_SENTENCE = st.text(alphabet="ابتمنلهة \u064e\u0650\u0651\u0652", max_size=30)


@settings(max_examples=300, deadline=None)
@given(st.lists(_WORD, min_size=1, max_size=12), _SENTENCE)
@example(["ab", "abc", "abd"], "abc")
def test_the_trie_matches_what_the_plain_alternation_matches(words: list[str], text: str) -> None:
    # A lookahead after the words, as the callers put one: the order of tries shows there.
    tail = f"(?![{LETTERS}{MARKS}])"
    trie = re.compile(f"({tolerant(*words)}){tail}")
    plain = re.compile(f"({_plain_alternation(words)}){tail}")
    assert [m.span(1) for m in trie.finditer(text)] == [m.span(1) for m in plain.finditer(text)]
    assert len(tolerant(*words)) <= len(_plain_alternation(words)) + 4 * len(words)


def test_a_tries_marks_compile_as_ranges_not_a_table(capsys: pytest.CaptureFixture[str]) -> None:
    # re.DEBUG prints the compiled code: a 64 K-entry table is a BIGCHARSET (50 µs each).
    re.compile(tolerant("دولار", "دينار", "درهم"), re.DEBUG)
    code = capsys.readouterr().out

    assert "RANGE" in code
    assert "BIGCHARSET" not in code


def test_a_known_word_is_found_with_harakat_between_its_letters() -> None:
    words = re.compile(f"({tolerant('دولار', 'دينار')})")
    found = words.search("دَفَعَ مِئَةَ دُولَارٍ")

    assert found is not None
    assert found.group(1) == "دُولَار"


@pytest.mark.parametrize("style", MONTH_STYLES)
def test_the_written_out_month_names_are_cldrs(style: str) -> None:
    babel = pytest.importorskip("babel")  # installed with trafilatura
    names = babel.Locale.parse(MONTH_LOCALES[style]).months["format"]["wide"]
    assert months(style) == tuple(str(names[month]) for month in range(1, 13))


def test_importing_text_warm_compiles_every_pattern_of_the_front_end() -> None:
    # In a child: this process has compiled some already, and the import runs once.
    code = (
        "from audiobrief.text import lazy; import audiobrief.pipeline; "
        "before = sum(p.is_compiled for p in lazy._MADE); import audiobrief.text.warm; "
        "print(before, sum(p.is_compiled for p in lazy._MADE), len(lazy._MADE))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    before, after, made = map(int, out.stdout.split())
    assert before < made // 4  # the pipeline's import leaves nearly all of them for later
    assert after == made > 50


def test_a_quranic_pause_sign_between_letters_is_not_taken_as_a_mark() -> None:
    # INNER_MARKS leaves out U+06D6-U+06ED: they follow a word in Quranic text, never sit
    # between the letters of a currency, month or counted noun in the news.
    words = re.compile(f"({tolerant('دولار')})")

    assert words.search("دُولَارٍ") is not None
    assert words.search("دو\u06e1لار") is None
