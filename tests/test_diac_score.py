"""The diacritization scorer of bench/: DER and WER on tiny hand-made pairs."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
from diac_score import Score, case_ending_index, letters_with_marks, score_line


def test_identical_text_scores_zero_errors() -> None:
    score = score_line("ذَهَبَ الْوَلَدُ إِلَى الْمَدْرَسَةِ.", "ذَهَبَ الْوَلَدُ إِلَى الْمَدْرَسَةِ.")
    assert (score.words, score.letter_errors, score.der, score.wer) == (4, 0, 0.0, 0.0)


def test_sukun_counts_as_no_mark() -> None:
    assert score_line("الْكِتَابُ", "الكِتَابُ").letter_errors == 0


def test_shadda_and_vowel_order_does_not_matter() -> None:
    assert score_line("السَّيِّدُ", "السَّيِّدُ").letter_errors == 0
    assert score_line("\u0633\u0651\u064e", "\u0633\u064e\u0651").letter_errors == 0


def test_a_wrong_case_ending_counts_only_with_case_endings() -> None:
    score = score_line("الْكِتَابُ", "الْكِتَابَ")
    assert (score.letters, score.letter_errors, score.letter_errors_noce) == (6, 1, 0)
    assert (score.word_errors, score.word_errors_noce) == (1, 0)
    assert score.der == pytest.approx(100 / 6)
    assert score.der_noce == 0.0


def test_the_case_ending_of_tanween_fath_sits_before_the_final_alef() -> None:
    letters = letters_with_marks("عَدَدًا")
    assert letters[case_ending_index(letters)] == ("د", frozenset("\u064b"))
    score = score_line("عَدَدًا", "عَدَدَا")
    assert (score.letter_errors, score.letter_errors_noce) == (1, 0)


def test_a_missing_mark_inside_the_word_counts_without_case_endings() -> None:
    score = score_line("كَتَبَ", "كتَبَ")
    assert (score.letter_errors, score.letter_errors_noce, score.word_errors_noce) == (1, 1, 1)


def test_a_rewritten_hamza_is_an_error_and_a_changed_word() -> None:
    score = score_line("تَرَأَّسَتْ", "تَرَاسَتْ")
    assert (score.letters, score.letter_errors, score.changed_words) == (5, 1, 1)


def test_a_word_with_other_letters_is_wrong_in_every_letter() -> None:
    score = score_line("وَالِي", "وَلِي")
    assert (score.letters, score.letter_errors, score.changed_words) == (4, 4, 1)


def test_digits_latin_and_punctuation_are_not_scored() -> None:
    score = score_line('فِي 2013 " Devcamp " لَنْدَنْ.', 'في 2013 " Devcamp " لندن.')
    assert (score.words, score.letters) == (2, 6)


def test_a_dropped_token_costs_only_its_own_letters() -> None:
    score = score_line("ذَهَبَ © الْوَلَدُ", "ذَهَبَ الْوَلَدُ")
    assert (score.words, score.word_errors, score.letter_errors) == (2, 0, 0)
    score = score_line("ذَهَبَ الْوَلَدُ سَرِيعًا", "ذَهَبَ سَرِيعًا")
    assert (score.words, score.word_errors, score.letter_errors) == (3, 1, 5)


def test_scores_add_up_over_lines() -> None:
    total = score_line("كَتَبَ", "كَتَبَ") + score_line("كَتَبَ", "كَتَبُ")
    assert (total.words, total.letters, total.letter_errors) == (2, 6, 1)
    assert total.wer == 50.0
    assert Score().der == 0.0
