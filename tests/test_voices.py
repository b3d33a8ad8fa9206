"""Voice profiles at the command line: `audiobrief voices`, --voice, one-line profile errors."""

from __future__ import annotations

import gc
import shutil
import weakref
from pathlib import Path

import pytest
from click.testing import CliRunner

from audiobrief.cli import cli
from audiobrief.config import Settings
from audiobrief.text.diacritize import Diacritizer
from audiobrief.voice import factory as voice
from support import FakeEngine

REPO = Path(__file__).resolve().parents[1]
ARTICLE = "اجتماع في فاس\n\nترأست السيدة خديجة الحجوبي اجتماعا. وقدمت الحصيلة.\n"
HARAKAT = frozenset(chr(c) for c in range(0x064B, 0x0653))

# Broken profiles, each as a user would get it wrong.
PROFILES = {
    "ar-plugin": 'engine = "elevenlabs"\ndescription = "A plugin voice"\n',
    "ar-typo": 'engine = "espeak"\nspeed = 150\n',  # belongs under [options], as rate_wpm
    "ar-wrong-type": 'engine = "espeak"\ndiacritize = "yes"\n',
    "ar-slow": 'engine = "espeak"\n\n[options]\nrate_wmp = 120\n',  # rate_wpm misspelled
    "fake": 'engine = "fake"\ndiacritize = false\ndescription = "Test voice"\n',
}


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def voices(tmp_path: Path) -> Path:
    """The real ar-espeak and ar-piper profiles (no Piper model here) and broken ones."""
    folder = tmp_path / "voices"
    folder.mkdir()
    for name in ("ar-espeak", "ar-piper"):
        shutil.copy(REPO / "voices" / f"{name}.toml", folder)
    for name, text in PROFILES.items():
        (folder / f"{name}.toml").write_text(text, encoding="utf-8")
    return folder


@pytest.fixture
def article(tmp_path: Path) -> Path:
    path = tmp_path / "short.txt"
    path.write_text(ARTICLE, encoding="utf-8")
    return path


def _states(output: str) -> dict[str, tuple[str, str]]:
    """`audiobrief voices` output as {name: (heading line, state line)}."""
    lines = output.strip().splitlines()
    pairs = zip(lines[::2], lines[1::2], strict=True)
    return {head.split()[0]: (head, state.strip()) for head, state in pairs}


def _error(runner: CliRunner, args: list[str]) -> str:
    result = runner.invoke(cli, args)
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert lines[0].startswith("Error: ")
    return lines[0]


# --- audiobrief voices --------------------------------------------------------------------


def test_voices_lists_every_profile_and_exits_0(runner: CliRunner, voices: Path) -> None:
    result = runner.invoke(cli, ["voices"])
    assert result.exit_code == 0, result.output
    assert set(_states(result.output)) == {"ar-espeak", "ar-piper", *PROFILES}


def test_default_espeak_voice_is_ready(runner: CliRunner, voices: Path) -> None:
    head, state = _states(runner.invoke(cli, ["voices"]).output)["ar-espeak"]
    assert head == "ar-espeak (default) [espeak] eSpeak NG Arabic (offline, robotic but clear)"
    assert state == "ready"


def test_piper_voice_without_its_model_says_where_to_put_it(
    runner: CliRunner, voices: Path
) -> None:
    head, state = _states(runner.invoke(cli, ["voices"]).output)["ar-piper"]
    assert "[piper]" in head
    assert state.startswith("unavailable: ")
    assert "ar_JO-kareem-medium.onnx is missing" in state
    assert "ar_JO-kareem-medium.onnx.json" in state
    assert "never downloads" in state


def test_profile_with_an_engine_not_installed_says_how_to_fix_it(
    runner: CliRunner, voices: Path
) -> None:
    head, state = _states(runner.invoke(cli, ["voices"]).output)["ar-plugin"]
    assert head == "ar-plugin [elevenlabs] A plugin voice"
    assert state == (
        f"unavailable: {Path('voices/ar-plugin.toml')}: engine 'elevenlabs' is not installed "
        "(installed: espeak, gtts, piper); set engine to one of them, or install the "
        "plugin that provides 'elevenlabs'."
    )


def test_profile_with_an_unknown_key_lists_the_valid_keys(runner: CliRunner, voices: Path) -> None:
    _, state = _states(runner.invoke(cli, ["voices"]).output)["ar-typo"]
    assert state == (
        f"unavailable: {Path('voices/ar-typo.toml')}: unknown key 'speed'; "
        "valid keys: description, diacritize, engine, language, options."
    )


def test_profile_with_a_wrong_type_names_the_key(runner: CliRunner, voices: Path) -> None:
    _, state = _states(runner.invoke(cli, ["voices"]).output)["ar-wrong-type"]
    assert state == f"unavailable: {Path('voices/ar-wrong-type.toml')}: diacritize must be a bool."


def test_profile_with_an_option_typo_is_not_ready(runner: CliRunner, voices: Path) -> None:
    _, state = _states(runner.invoke(cli, ["voices"]).output)["ar-slow"]
    assert state.startswith("unavailable: ")
    assert "rate_wmp" in state


def test_voices_marks_the_configured_default(runner: CliRunner, voices: Path) -> None:
    Path("audiobrief.toml").write_text('voice = "fake"\n', encoding="utf-8")
    states = _states(runner.invoke(cli, ["voices"]).output)
    assert states["fake"][0] == "fake (default) [fake] Test voice"
    assert "(default)" not in states["ar-espeak"][0]


# --- --voice on speak, brief and say -----------------------------------------------------


def test_speak_uses_the_voice_named_by_the_flag(
    runner: CliRunner, voices: Path, article: Path, fake_engine: FakeEngine
) -> None:
    # The file names a broken voice: only the flag can make this run succeed.
    Path("audiobrief.toml").write_text('voice = "ar-typo"\n', encoding="utf-8")
    result = runner.invoke(cli, ["speak", str(article), "--voice", "fake", "-o", "out"])
    assert result.exit_code == 0, result.output
    assert "ترأست السيدة خديجة الحجوبي اجتماعا." in fake_engine.calls
    assert list(Path("out").rglob("short.mp3"))


def test_brief_uses_the_voice_named_by_the_flag(
    runner: CliRunner, voices: Path, article: Path, fake_engine: FakeEngine
) -> None:
    args = ["brief", str(article), "--date", "2026-11-28", "--voice", "fake", "-o", "out"]
    result = runner.invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert "وقدمت الحصيلة." in fake_engine.calls
    assert any(call.startswith("مرحبا بكم في") for call in fake_engine.calls)  # the intro
    assert list(Path("out").rglob("briefing-2026-11-28.mp3"))


def test_say_uses_the_voice_named_by_the_flag(
    runner: CliRunner, voices: Path, fake_engine: FakeEngine
) -> None:
    result = runner.invoke(cli, ["say", "مرحبا بكم", "--voice", "fake", "-o", "hello.mp3"])
    assert result.exit_code == 0, result.output
    assert fake_engine.calls == ["مرحبا بكم"]
    assert Path("hello.mp3").stat().st_size > 0


def test_say_show_gives_each_voice_the_text_form_it_wants(
    runner: CliRunner, voices: Path, fake_engine: FakeEngine
) -> None:
    plain = runner.invoke(cli, ["say", "قرأ الولد الكتاب", "--show", "--voice", "fake"])
    assert plain.exit_code == 0, plain.output
    spoken, received = plain.output.splitlines()
    assert received == spoken  # diacritize = false: the voice gets the spoken form as is
    espeak = runner.invoke(cli, ["say", "قرأ الولد الكتاب", "--show", "--voice", "ar-espeak"])
    assert espeak.exit_code == 0, espeak.output
    spoken, received = espeak.output.splitlines()
    assert HARAKAT & set(received)
    assert not HARAKAT & set(spoken)
    assert fake_engine.calls == []  # --show speaks nothing


# --- bad voices through the CLI: one line, exit 1, the fix, nothing written ---------------

COMMANDS = {
    "speak": lambda article: ["speak", article, "-o", "out"],
    "brief": lambda article: ["brief", article, "--date", "2026-11-28", "-o", "out"],
    "say": lambda article: ["say", "مرحبا بكم", "-o", "out/say.mp3"],
}
BAD_VOICES = {
    "nobody": (
        "Error: Unknown voice 'nobody' (available: ar-espeak, ar-piper, ar-plugin, ar-slow, "
        "ar-typo, ar-wrong-type, fake); run 'audiobrief voices' or add voices/NAME.toml."
    ),
    "ar-typo": (
        f"Error: {Path('voices/ar-typo.toml')}: unknown key 'speed'; "
        "valid keys: description, diacritize, engine, language, options."
    ),
    "ar-wrong-type": f"Error: {Path('voices/ar-wrong-type.toml')}: diacritize must be a bool.",
    "ar-slow": (
        f"Error: {Path('voices/ar-slow.toml')}: the espeak engine has no option 'rate_wmp'; "
        "valid options: data_path, pitch, rate_wpm, route, voice."
    ),
    "ar-plugin": (
        f"Error: {Path('voices/ar-plugin.toml')}: engine 'elevenlabs' is not installed "
        "(installed: espeak, gtts, piper); set engine to one of them, or install the plugin "
        "that provides 'elevenlabs'."
    ),
}


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("voice", BAD_VOICES)
def test_bad_voice_is_one_error_line_and_nothing_is_written(
    runner: CliRunner, voices: Path, article: Path, tmp_path: Path, command: str, voice: str
) -> None:
    line = _error(runner, [*COMMANDS[command](str(article)), "--voice", voice])
    assert line == BAD_VOICES[voice]
    assert not (tmp_path / "out").exists()


def test_bad_voice_in_the_settings_file_is_reported_the_same_way(
    runner: CliRunner, voices: Path, article: Path
) -> None:
    Path("audiobrief.toml").write_text('voice = "ar-slow"\n', encoding="utf-8")
    assert _error(runner, ["speak", str(article), "-o", "out"]) == BAD_VOICES["ar-slow"]


def test_voice_without_its_piper_model_says_where_to_put_it(
    runner: CliRunner, voices: Path, article: Path, tmp_path: Path
) -> None:
    line = _error(runner, ["speak", str(article), "--voice", "ar-piper", "-o", "out"])
    assert line.startswith("Error: piper engine: ")
    assert "ar_JO-kareem-medium.onnx is missing" in line
    assert not (tmp_path / "out").exists()


def test_missing_fallback_voice_is_one_error_line(
    runner: CliRunner, voices: Path, article: Path, fake_engine: FakeEngine
) -> None:
    Path("audiobrief.toml").write_text(
        'on_engine_failure = "fallback"\nfallback_voice = "ar-offline"\n', encoding="utf-8"
    )
    line = _error(runner, ["speak", str(article), "--voice", "fake", "-o", "out"])
    assert line.startswith("Error: fallback_voice 'ar-offline' has no profile in voices ")
    assert line.endswith('set fallback_voice to an offline voice, or on_engine_failure = "fail".')
    assert fake_engine.calls == []


def test_gtts_profile_says_no_network_when_google_cannot_be_reached(
    runner: CliRunner, voices: Path
) -> None:
    shutil.copy(REPO / "voices" / "ar-gtts.toml", voices)
    # The test network is blocked, as on an offline machine.
    _, state = _states(runner.invoke(cli, ["voices"]).output)["ar-gtts"]
    assert state.startswith("unavailable: no network: cannot reach translate.google.com")
    assert "ar-espeak" in state


def test_gtts_profile_is_ready_when_google_answers(
    runner: CliRunner, voices: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Connection:
        def close(self) -> None:
            pass

    shutil.copy(REPO / "voices" / "ar-gtts.toml", voices)
    monkeypatch.setattr("socket.create_connection", lambda *_a, **_k: Connection())
    _, state = _states(runner.invoke(cli, ["voices"]).output)["ar-gtts"]
    assert state == "ready"


def test_built_in_profiles_are_used_when_the_voices_folder_lacks_them(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A plain `pip install` ships voices/ inside the package; the CLI finds it there."""
    from audiobrief.voice import profiles

    packaged = tmp_path / "site" / "builtin_voices"
    packaged.mkdir(parents=True)
    shutil.copy(REPO / "voices" / "ar-espeak.toml", packaged)
    monkeypatch.setattr(profiles, "BUILTIN_VOICES", packaged)
    result = runner.invoke(cli, ["voices"])  # no voices/ folder in the working folder
    assert result.exit_code == 0, result.output
    assert result.output.startswith("ar-espeak (default) [espeak]")
    assert "ready" in result.output


def test_voices_opened_one_after_another_keep_no_diacritizer_alive(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Each voice builds its own diacritizer; nothing may hold on to the old ones (a
    # functools.cache keyed on a fresh object never hit and kept every model in memory).
    built: list[weakref.ref[Diacritizer]] = []
    real = voice._diacritizer

    def tracked(settings: Settings) -> Diacritizer:
        diacritizer = real(settings)
        built.append(weakref.ref(diacritizer))
        return diacritizer

    monkeypatch.setattr(voice, "_diacritizer", tracked)
    settings = Settings(voices_dir=REPO / "voices", cache_dir=tmp_path / "cache")
    for _ in range(3):
        voice.open_voice(settings)
    gc.collect()
    assert len(built) == 3
    assert [ref() for ref in built] == [None, None, None]


def test_the_cache_for_kept_code_is_named_by_its_absolute_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Kept patterns are written at exit: a relative folder would then be the wrong one.
    monkeypatch.chdir(tmp_path)
    cache = voice._local_cache(Settings(cache_dir=Path("relative")))

    assert cache is not None
    assert cache.folder == tmp_path / "relative"
    assert cache.shared is None
