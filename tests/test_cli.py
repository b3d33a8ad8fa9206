"""The command line: exit codes, one-line errors, help on every command."""

from __future__ import annotations

import shutil
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from audiobrief.cli import cli
from support import DATA

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def voices(tmp_path: Path) -> Path:
    """A copy of the repository's voices folder, so tests find the default profile."""
    target = tmp_path / "voices"
    shutil.copytree(REPO / "voices", target)
    return target


def _commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = []
    for name, command in group.commands.items():
        found.append((*prefix, name))
        if isinstance(command, click.Group):
            found.extend(_commands(command, (*prefix, name)))
    return found


@pytest.mark.parametrize("words", _commands(cli), ids=" ".join)
def test_every_command_has_help(runner: CliRunner, words: tuple[str, ...]) -> None:
    result = runner.invoke(cli, [*words, "--help"])
    assert result.exit_code == 0
    assert "Usage:" in result.output


def _error(runner: CliRunner, args: list[str], stdin: bytes | None = None) -> str:
    result = runner.invoke(cli, args, input=stdin)
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert lines[0].startswith("Error: ")
    return lines[0]


def _write(path: Path, data: bytes) -> str:
    path.write_bytes(data)
    return str(path)


def test_missing_file_exits_1(runner: CliRunner, voices: Path, tmp_path: Path) -> None:
    line = _error(runner, ["speak", "nope.txt", "-o", "out"])
    assert "nope.txt" in line
    assert not list((tmp_path / "out").rglob("*.mp3"))


def test_directory_exits_1(runner: CliRunner, voices: Path, tmp_path: Path) -> None:
    (tmp_path / "folder").mkdir()
    assert "folder" in _error(runner, ["speak", "folder", "-o", "out"])


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("empty.txt", b""),
        ("latin.txt", b"Hello world\n\nThis article has no Arabic letters at all.\n"),
        ("bad.txt", "عنوان\n\nنص".encode() + b"\xff\xfe\x00bad"),
        ("binary.txt", bytes(range(256)) * 4),
        ("empty.html", b"<html><body><nav>menu</nav></body></html>"),
    ],
)
def test_bad_article_exits_1_and_writes_nothing(
    runner: CliRunner, voices: Path, tmp_path: Path, name: str, data: bytes
) -> None:
    path = _write(tmp_path / name, data)
    _error(runner, ["speak", path, "-o", "out"])
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").rglob("*.mp3"))


def test_one_bad_file_in_a_batch_is_reported_and_the_others_publish(
    runner: CliRunner, voices: Path, tmp_path: Path
) -> None:
    (tmp_path / "rain.txt").write_text("مطر في فاس\n\nتهاطلت أمطار غزيرة على المدينة.\n", "utf-8")
    (tmp_path / "broken.txt").write_bytes(b"\x00\x01\x02 binary")
    (tmp_path / "market.txt").write_text("سوق الخضر\n\nانخفضت أسعار الطماطم اليوم.\n", "utf-8")
    result = CliRunner(mix_stderr=False).invoke(
        cli, ["speak", "rain.txt", "broken.txt", "market.txt", "-o", "out"]
    )
    assert result.exit_code == 1
    assert "Traceback" not in result.output + result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1
    assert errors[0].startswith("Error: broken.txt: ")
    assert result.stderr.strip().splitlines()[-1] == "2 spoken, 1 failed"
    assert len(result.output.strip().splitlines()) == 2  # one line per published episode
    spoken = sorted(p.name for p in (tmp_path / "out").rglob("*.mp3"))
    assert spoken == ["market.mp3", "rain.mp3"]
    feed = (tmp_path / "out" / "articles.xml").read_text("utf-8")
    assert feed.count("<item>") == 2


def test_fail_fast_publishes_nothing_when_one_source_fails(
    runner: CliRunner, voices: Path, tmp_path: Path
) -> None:
    # A one-sentence article: the first source speaks and only the second one fails.
    (tmp_path / "rain.txt").write_text("مطر في فاس\n\nتهاطلت أمطار غزيرة على المدينة.\n", "utf-8")
    _error(runner, ["speak", "rain.txt", "nope.txt", "-o", "out", "--fail-fast"])
    assert not (tmp_path / "out").exists()


def test_unknown_voice_exits_1(runner: CliRunner, voices: Path) -> None:
    line = _error(runner, ["speak", str(DATA / "seed_article.txt"), "--voice", "nobody"])
    assert "nobody" in line
    assert "ar-espeak" in line


def test_unknown_setting_exits_1(runner: CliRunner, voices: Path, tmp_path: Path) -> None:
    (tmp_path / "audiobrief.toml").write_text('colour = "blue"\n', encoding="utf-8")
    assert "colour" in _error(runner, ["voices"])


def test_bad_usage_exits_2(runner: CliRunner) -> None:
    assert runner.invoke(cli, ["speak"]).exit_code == 2
    assert runner.invoke(cli, ["brief", "--date", "28/11/2026"]).exit_code == 2
    assert runner.invoke(cli, ["nonsense"]).exit_code == 2


def test_debug_shows_the_traceback(runner: CliRunner, voices: Path) -> None:
    result = runner.invoke(cli, ["--debug", "speak", "nope.txt"])
    assert result.exit_code == 1
    assert result.exception is not None


def test_init_writes_a_starter_config_once(runner: CliRunner, voices: Path, tmp_path: Path) -> None:
    assert runner.invoke(cli, ["init"]).exit_code == 0
    text = (tmp_path / "audiobrief.toml").read_text(encoding="utf-8")
    assert "base_url" in text
    _error(runner, ["init"])
    assert runner.invoke(cli, ["init", "--force"]).exit_code == 0
    # The starter file must load as it is written.
    assert runner.invoke(cli, ["voices"]).exit_code == 0


def test_an_article_over_the_size_limit_is_refused_before_any_work(
    runner: CliRunner, voices: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AUDIOBRIEF_MAX_ARTICLE_WORDS", "12")
    (tmp_path / "long.txt").write_text("خبر طويل\n\n" + "كلمة " * 40 + "\n", encoding="utf-8")
    line = _error(runner, ["speak", "long.txt", "-o", "out"])
    assert "has 42 words, over the limit of 12 (max_article_words)" in line
    assert not (tmp_path / "out").exists()
    assert "max_article_words" in _error(runner, ["brief", "long.txt", "-o", "out"])
