"""`audiobrief say`: the publisher's pronunciation check."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from mutagen.mp3 import MP3

from audiobrief.cli import cli

REPO = Path(__file__).resolve().parents[1]
HARAKAT = re.compile("[\u064b-\u0652]")


@pytest.fixture(autouse=True)
def _voices(tmp_path: Path) -> None:
    shutil.copytree(REPO / "voices", tmp_path / "voices")


def test_show_prints_the_spoken_then_the_diacritized_form() -> None:
    result = CliRunner().invoke(cli, ["say", "يوم 25 شتنبر 2023", "--show"])
    assert result.exit_code == 0, result.output
    spoken, received = result.output.splitlines()
    # The front end writes its own words vowelled; the diacritizer adds the rest.
    assert spoken == "يوم الْخَامِسِ وَالْعِشْرِينَ مِنْ شُتَنْبَر أَلْفَيْنِ وَثَلَاثَةٍ وَعِشْرِينَ"
    assert HARAKAT.sub("", received) == HARAKAT.sub("", spoken)
    assert received != spoken
    assert "25" not in received
    assert not Path("say.mp3").exists()


def test_show_uses_the_lexicon_of_the_voices_folder() -> None:
    Path("voices/lexicon.tsv").write_text("بنسودة\tبنسودة\tبَنْسُودَة\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["say", "في بنسودة", "--show"])
    assert result.exit_code == 0, result.output
    assert "بَنْسُودَة" in result.output.splitlines()[1]


def test_say_writes_an_mp3() -> None:
    result = CliRunner().invoke(cli, ["say", "مرحبا بكم", "-o", "check.mp3"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("check.mp3 (")
    assert MP3("check.mp3").info.length > 0.3


def test_say_with_nothing_to_say_exits_1() -> None:
    result = CliRunner().invoke(cli, ["say", "...", "-o", "x.mp3"])
    assert result.exit_code == 1
    assert result.output.startswith("Error: ")
    assert not Path("x.mp3").exists()


def test_show_with_nothing_to_say_exits_1() -> None:
    result = CliRunner().invoke(cli, ["say", "***", "--show"])
    assert result.exit_code == 1
    assert result.output.startswith("Error: there is nothing to say")


def test_a_negative_number_is_said_after_a_double_dash() -> None:
    result = CliRunner().invoke(cli, ["say", "--show", "--", "-5 درجات"])
    assert result.exit_code == 0, result.output
    said = HARAKAT.sub("", result.output)
    assert "ناقص" in said or "سالب" in said
