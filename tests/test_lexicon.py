"""The user's pronunciation lexicon: parsing, errors with line numbers, whole-word matching."""

from __future__ import annotations

from pathlib import Path

import pytest

from audiobrief.errors import ConfigError
from audiobrief.text.diacritize import shadda_first
from audiobrief.text.lexicon import load_lexicon, parse_lexicon
from audiobrief.text.normalize import make_steps, normalize

STARTER = Path(__file__).resolve().parents[1] / "voices" / "lexicon.tsv"


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "lexicon.tsv"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_starter_lexicon_loads_and_diacritizes_corpus_names() -> None:
    lexicon = load_lexicon(STARTER)
    assert len(lexicon) >= 30
    said = "خَدِيجَة الْحَجُّوبِي في فَاس مِكْنَاس"
    assert lexicon("خديجة الحجوبي في فاس مكناس") == shadda_first(said)
    assert lexicon("بنسودة") == "بَنْسُودَة"


def test_third_column_wins_over_the_spoken_form(tmp_path: Path) -> None:
    lexicon = load_lexicon(_write(tmp_path, "فاس\tفاس\tفَاس\nOCP\tالمكتب الشريف للفوسفاط\n"))
    assert lexicon("فاس") == "فَاس"
    assert lexicon("OCP") == "المكتب الشريف للفوسفاط"


def test_comments_and_blank_lines_are_skipped(tmp_path: Path) -> None:
    lexicon = load_lexicon(_write(tmp_path, "# names\n\n   \nفاس\tفَاس\n# end\n"))
    assert len(lexicon) == 1


@pytest.mark.parametrize(
    ("written", "spoken"),
    [
        ("وفاس", "وَفَاس"),
        ("بفاس", "بِفَاس"),
        ("لفاس", "لِفَاس"),
        ("كفاس", "كَفَاس"),
        ("فبفاس", "فَبِفَاس"),
        ("للحجوبي", "لِلْحَجُّوبِي"),
        ("والحجوبي", "وَالْحَجُّوبِي"),
        ("بالحجوبي", "بِالْحَجُّوبِي"),
        ("فَاسٍ", "فَاس"),
    ],
)
def test_words_match_with_proclitics_and_harakat(written: str, spoken: str) -> None:
    lexicon = parse_lexicon("فاس\tفَاس\nالحجوبي\tالْحَجُّوبِي\n")
    assert lexicon(written) == shadda_first(spoken)  # shadda first, as eSpeak needs


def test_only_whole_words_are_replaced() -> None:
    lexicon = parse_lexicon("فاس\tفَاس\n")
    assert lexicon("فاسدة أفاس الفاسي") == "فاسدة أفاس الفاسي"


def test_phrases_match_across_spaces_and_latin_ignores_case() -> None:
    lexicon = parse_lexicon("الدار البيضاء\tالدَّار الْبَيْضَاء\nocp\tأُو سِي بِي\n")
    assert lexicon("في الدار  البيضاء") == shadda_first("في الدَّار الْبَيْضَاء")
    assert lexicon("OCP و Ocp") == "أُو سِي بِي و أُو سِي بِي"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("فاس\n", r"lexicon.tsv:1: expected 2 or 3 tab-separated columns"),
        ("# c\nفاس\tفَاس\na\tb\tc\td\n", r"lexicon.tsv:3: expected 2 or 3"),
        ("فاس\t\n", r"lexicon.tsv:1: the written and the spoken form must not be empty"),
        ("OCP\tOCP\n", r"lexicon.tsv:1: the spoken form 'OCP' must hold only Arabic letters"),
        ("رقم\tرقم 3\n", r"lexicon.tsv:1: .*no digits"),
        ("فاس\tفَاس\n\nفاس\tفاس\n", r"lexicon.tsv:3: 'فاس' is already defined on line 1"),
        ("أ\tب\nب\tج\n", r"lexicon.tsv:1: .*another entry replaces again"),
        ("فاس\tمدينة فاس\n", r"lexicon.tsv:1: .*another entry replaces again"),
    ],
)
def test_bad_rows_raise_config_error_with_the_line(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_lexicon(_write(tmp_path, text))


def test_unreadable_file_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "lexicon.tsv"
    path.write_bytes(b"\xff\xfe\xfa")
    with pytest.raises(ConfigError, match="Cannot read the lexicon"):
        load_lexicon(path)


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="Cannot read the lexicon"):
        load_lexicon(tmp_path / "absent.tsv")


def test_lexicon_runs_first_and_last_in_normalize() -> None:
    steps = make_steps(lexicon=load_lexicon(STARTER))
    # First: the written month takes the user's harakat and is still read as a date.
    assert normalize("يوم 25 شتنبر بفاس", steps) == ("يوم الْخَامِسِ وَالْعِشْرِينَ مِنْ شُتَنْبَر بِفَاس")
    # Last: a place the Latin step writes in Arabic gets the lexicon's form too.
    assert normalize("Fès et Rabat", steps) == shadda_first("فَاس إِي الرِّبَاط")
    # Numeric dates produce month names the lexicon then marks.
    assert normalize("25/09/2023", steps).startswith("الْخَامِسِ وَالْعِشْرِينَ مِنْ شُتَنْبَر")


def test_user_entry_wins_over_the_acronym_rule() -> None:
    steps = make_steps(lexicon=parse_lexicon("OCP\tالمكتب الشريف للفوسفاط\n"))
    assert normalize("أعلن OCP", steps) == "أعلن المكتب الشريف للفوسفاط"
