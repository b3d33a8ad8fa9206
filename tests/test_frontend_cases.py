"""Golden cases of the Arabic front end: tests/data/frontend_cases.tsv, one test per row."""

from __future__ import annotations

import datetime as dt

import pytest

from audiobrief.errors import ConfigError
from audiobrief.text.dates import month_name, spoken_date
from audiobrief.text.diacritize import strip_marks
from audiobrief.text.normalize import make_steps, normalize
from audiobrief.text.numbers import cardinal, ordinal
from support import DATA

STYLES = ("mashriq", "levant", "tunisia-algeria")


def _cases() -> list[pytest.ParameterSet]:
    rows = []
    for line in (DATA / "frontend_cases.tsv").read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        written, spoken, note = line.split("\t")
        rows.append(pytest.param(written, spoken, note, id=note.replace(" ", "-")))
    return rows


CASES = _cases()


def test_the_golden_table_has_at_least_200_unique_cases() -> None:
    notes = [case.values[2] for case in CASES]
    assert len(notes) >= 200
    assert len(set(notes)) == len(notes)


@pytest.mark.parametrize(("written", "spoken", "note"), CASES)
def test_front_end_reads_the_case_as_expected(written: str, spoken: str, note: str) -> None:
    style = note.split()[0] if note.split()[0] in STYLES else "maghreb"
    # This table pins the words; which marks they carry is pinned by frontend_vowels.tsv.
    assert strip_marks(normalize(written, make_steps(style))) == strip_marks(spoken)


def test_spoken_date_names_weekday_ordinal_month_and_year() -> None:
    day = dt.date(2026, 11, 28)
    assert spoken_date(day, "maghreb") == "السبت الثامن والعشرون من نونبر ألفين وستة وعشرين"
    assert spoken_date(day, "mashriq") == "السبت الثامن والعشرون من نوفمبر ألفين وستة وعشرين"
    assert spoken_date(dt.date(2027, 1, 1), "levant") == (
        "الجمعة الأول من كانون الثاني ألفين وسبعة وعشرين"
    )


def test_spoken_date_survives_normalize_unchanged() -> None:
    said = spoken_date(dt.date(2026, 9, 25), "maghreb")
    assert normalize(said) == said


def test_month_name_follows_the_style() -> None:
    assert [month_name(9, s) for s in ("maghreb", "mashriq", "levant")] == [
        "شتنبر",
        "سبتمبر",
        "أيلول",
    ]


def test_unknown_month_style_is_a_config_error_listing_valid_ones() -> None:
    with pytest.raises(ConfigError, match="maghreb, mashriq, levant"):
        make_steps("gulf")
    with pytest.raises(ConfigError, match="maghreb, mashriq, levant"):
        month_name(1, "gulf")


def test_cardinal_offers_nominative_and_feminine_forms() -> None:
    assert cardinal(2000, case="nom") == "ألفان"
    assert cardinal(2_000_000, case="nom") == "مليونان"
    assert cardinal(22, case="nom") == "اثنان وعشرون"
    assert cardinal(12, gender="f", case="nom") == "اثنتا عشرة"
    assert cardinal(18, gender="f") == "ثماني عشرة"
    assert cardinal(2000, construct=True) == "ألفي"


def test_ordinal_agrees_in_gender_and_case() -> None:
    assert ordinal(1, gender="f") == "الأولى"
    assert ordinal(25, case="nom") == "الخامس والعشرون"
    assert ordinal(11, gender="f") == "الحادية عشرة"
