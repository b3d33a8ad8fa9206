"""Gender of counted nouns: the exceptions table, the Arramooz dictionary, the ة rule."""

from __future__ import annotations

import pytest

from audiobrief.text import gender as gender_module
from audiobrief.text.gender import counts_noun, gender_of, is_noun

needs_arramooz = pytest.mark.skipif(
    gender_module._connection() is None, reason="arramooz-pysqlite is not installed"
)


@needs_arramooz
@pytest.mark.parametrize(
    ("plural", "expected"),
    [
        ("صفقات", "f"),  # صفقة
        ("لاعبات", "f"),  # لاعب takes ة: the women players
        ("اتفاقيات", "f"),
        ("مطارات", "m"),  # مطار takes no ة
        ("حسابات", "m"),
        ("مقاعد", "m"),  # broken plural of مقعد
        ("مدن", "f"),  # broken plural of مدينة
        ("نواب", "m"),  # broken plural of نائب
        ("جرحى", "m"),
    ],
)
def test_a_real_plural_takes_the_gender_of_its_singular(plural: str, expected: str) -> None:
    assert gender_of(plural) == expected


@needs_arramooz
def test_a_noun_counts_and_a_verb_does_not() -> None:
    assert is_noun("مسافر")
    assert not is_noun("شهد")  # عام 2000 شهد: a verb after a year
    assert is_noun("شهد", verbs_too=True)
    assert counts_noun("حاج", after_scale=True)
    assert not counts_noun("المسافرين")  # definite: not counted
    assert not counts_noun("في")


def test_without_the_dictionary_the_ta_marbuta_rule_answers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(gender_module, "_connection", lambda: None)
    gender_module._dictionary_gender.cache_clear()
    try:
        assert gender_of("طاولة") == "f"
        assert gender_of("كاميرات") == "f"
        assert gender_of("قلم") == "m"
        assert gender_of("خليفة") == "m"  # the exceptions table
        assert not is_noun("مسافر")
    finally:
        gender_module._dictionary_gender.cache_clear()
