"""Settings: flag > AUDIOBRIEF_* > audiobrief.toml > default, the starter file, bad values."""

from __future__ import annotations

import dataclasses
import re
import shutil
import tomllib
import typing
import xml.etree.ElementTree as ET
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from audiobrief.cli import cli
from audiobrief.config import VALID_RANGES, Settings, load_settings, settings_from_mapping
from audiobrief.errors import ConfigError

REPO = Path(__file__).resolve().parents[1]
ATOM = "{http://www.w3.org/2005/Atom}link"
ALL_SETTINGS = sorted(f.name for f in dataclasses.fields(Settings))
# Keys the starter file shows with an example value rather than the default.
EXAMPLES = {"cover", "base_url", "music", "cache_dir", "log_file"}
_SETTING_LINE = re.compile(r"#\s*([a-z0-9_]+)\s*=")


# --- precedence: flag > AUDIOBRIEF_* > file > default ------------------------------------

# name, as written in the file (TOML), as an environment string, as a flag, and the three
# values each layer should give.
LAYERS: list[tuple[str, str, str, Any, tuple[Any, Any, Any]]] = [
    (
        "base_url",
        '"https://file.example/audio"',
        "https://env.example/audio",
        "https://flag.example/audio/",
        (
            "https://file.example/audio/",
            "https://env.example/audio/",
            "https://flag.example/audio/",
        ),
    ),
    ("feed_keep", "3", "4", 5, (3, 4, 5)),
    ("voice", '"from-file"', "from-env", "from-flag", ("from-file", "from-env", "from-flag")),
    (
        "output_dir",
        '"file-out"',
        "env-out",
        Path("flag-out"),
        (Path("file-out"), Path("env-out"), Path("flag-out")),
    ),
    ("explicit", "true", "no", True, (True, False, True)),
    ("timezone", '"UTC"', "Europe/Paris", "Asia/Tokyo", ("UTC", "Europe/Paris", "Asia/Tokyo")),
    ("music_gain_db", "-20", "-12.5", -6.0, (-20.0, -12.5, -6.0)),
]


@pytest.mark.parametrize(
    ("name", "toml", "env", "flag", "expected"), LAYERS, ids=[r[0] for r in LAYERS]
)
def test_each_layer_overrides_the_one_below(
    tmp_path: Path, name: str, toml: str, env: str, flag: Any, expected: tuple[Any, Any, Any]
) -> None:
    path = tmp_path / "audiobrief.toml"
    variable = {f"AUDIOBRIEF_{name.upper()}": env}
    assert getattr(load_settings(path), name) == getattr(Settings(), name)  # no file yet
    path.write_text(f"{name} = {toml}\n", encoding="utf-8")
    assert getattr(load_settings(path), name) == expected[0]
    assert getattr(load_settings(path, environ=variable), name) == expected[1]
    assert getattr(load_settings(path, {name: flag}, variable), name) == expected[2]


def test_unset_flag_and_empty_variable_do_not_override(tmp_path: Path) -> None:
    path = tmp_path / "audiobrief.toml"
    path.write_text('base_url = "https://file.example/"\n', encoding="utf-8")
    chosen = load_settings(path, {"base_url": None}, {"AUDIOBRIEF_BASE_URL": ""})
    assert chosen.base_url == "https://file.example/"


def _feed_self_link(folder: Path) -> str:
    link = ET.parse(folder / "feed.xml").getroot().find(f"channel/{ATOM}")
    assert link is not None
    return link.attrib["href"]


def test_base_url_comes_from_flag_then_variable_then_file_through_the_cli(
    tmp_path: Path,
) -> None:
    (tmp_path / "audiobrief.toml").write_text(
        'base_url = "https://file.example/a"\nowner_email = "desk@file.example"\nauthor = "Desk"\n',
        encoding="utf-8",
    )
    runner = CliRunner()
    env = {"AUDIOBRIEF_BASE_URL": "https://env.example/b/"}
    steps = [
        ([], {}, "https://file.example/a/feed.xml"),
        ([], env, "https://env.example/b/feed.xml"),
        (["--base-url", "https://flag.example/c"], env, "https://flag.example/c/feed.xml"),
    ]
    for number, (flags, variables, expected) in enumerate(steps):
        out = f"out{number}"  # a site keeps its first address (see test_site_state)
        result = runner.invoke(cli, ["feed", "-o", out, *flags], env=variables)
        assert result.exit_code == 0, result.output
        assert _feed_self_link(tmp_path / out) == expected


def test_output_folder_and_config_path_come_from_the_environment(tmp_path: Path) -> None:
    (tmp_path / "other.toml").write_text('output_dir = "from-file"\n', encoding="utf-8")
    runner = CliRunner()
    env = {"AUDIOBRIEF_CONFIG": "other.toml"}
    assert runner.invoke(cli, ["feed"], env=env).exit_code == 0
    assert (tmp_path / "from-file" / "feed.xml").is_file()
    env["AUDIOBRIEF_OUTPUT_DIR"] = "from-env"
    assert runner.invoke(cli, ["feed"], env=env).exit_code == 0
    assert (tmp_path / "from-env" / "feed.xml").is_file()
    assert runner.invoke(cli, ["feed", "-o", "from-flag"], env=env).exit_code == 0
    assert (tmp_path / "from-flag" / "feed.xml").is_file()
    assert not (tmp_path / "output").exists()


def test_default_voice_follows_the_same_precedence(tmp_path: Path) -> None:
    shutil.copytree(REPO / "voices", tmp_path / "voices")
    (tmp_path / "audiobrief.toml").write_text('voice = "ar-gtts"\n', encoding="utf-8")
    runner = CliRunner()
    assert "ar-gtts (default)" in runner.invoke(cli, ["voices"]).output
    env = {"AUDIOBRIEF_VOICE": "ar-piper"}
    assert "ar-piper (default)" in runner.invoke(cli, ["voices"], env=env).output


# --- audiobrief init ----------------------------------------------------------------------


def _starter() -> str:
    return files("audiobrief.assets").joinpath("audiobrief.toml").read_text("utf-8")


def _commented_settings(text: str) -> dict[str, Any]:
    """Every `# key = value  # note` line of the starter file, uncommented and parsed."""
    found: dict[str, Any] = {}
    for line in text.splitlines():
        if _SETTING_LINE.match(line):
            parsed = tomllib.loads(line.lstrip("#").strip())
            assert len(parsed) == 1, line
            assert not set(parsed) & set(found), f"{line}: the key appears twice"
            found.update(parsed)
    return found


def test_init_writes_the_starter_file_that_loads_as_is(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["init"])
    assert result.exit_code == 0, result.output
    written = (tmp_path / "audiobrief.toml").read_text(encoding="utf-8")
    assert written == _starter()
    assert load_settings(tmp_path / "audiobrief.toml") == Settings()


def test_every_commented_key_of_the_starter_is_a_setting_and_loads_uncommented() -> None:
    commented = _commented_settings(_starter())
    assert sorted(commented) == ALL_SETTINGS  # no typo, and every setting is documented
    settings_from_mapping(commented, origin="starter")


def test_starter_shows_the_default_of_each_setting() -> None:
    commented = _commented_settings(_starter())
    loaded = settings_from_mapping(commented, origin="starter")
    for name in sorted(set(commented) - EXAMPLES):
        assert getattr(loaded, name) == getattr(Settings(), name), name


def test_init_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    (tmp_path / "audiobrief.toml").write_text("# mine\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["init"])
    assert result.exit_code == 1
    assert "--force" in result.output
    assert (tmp_path / "audiobrief.toml").read_text(encoding="utf-8") == "# mine\n"


# --- bad keys and values ------------------------------------------------------------------


def test_unknown_key_lists_every_valid_setting_and_the_closest_one() -> None:
    with pytest.raises(ConfigError) as raised:
        settings_from_mapping({"base_ur": "https://x.example/"}, origin="audiobrief.toml")
    message = str(raised.value)
    assert message.startswith(
        "audiobrief.toml: unknown setting 'base_ur'; did you mean 'base_url'?"
    )
    assert message.endswith("valid settings: " + ", ".join(ALL_SETTINGS) + ".")


def test_a_toml_section_is_explained() -> None:
    with pytest.raises(ConfigError, match=r"no \[sections\]: put every key at the top level"):
        settings_from_mapping({"feed": {"keep": 1}})


@pytest.mark.parametrize(
    ("name", "value", "valid"),
    [
        ("bitrate_kbps", "fast", "use a whole number from 32 to 320"),
        ("bitrate_kbps", 64.5, "use a whole number from 32 to 320"),
        ("channels", True, "use a whole number from 1 to 2"),
        ("clause_pause_ms", "short", "use a whole number from 0 to 10000"),
        ("language", 5, "use one of: ar, ar-ma"),
        ("month_style", ["maghreb"], "use one of: maghreb, mashriq, levant, tunisia-algeria"),
        ("explicit", "maybe", "use true or false"),
        ("music_gain_db", "loud", "use a decimal number, e.g. -18.0"),
        ("cover", 5, 'write it in quotes, e.g. "folder/file.png"'),
        ("show_title", 7, 'write it in quotes, e.g. "text"'),
    ],
)
def test_wrong_type_names_the_key_the_value_and_what_is_valid(
    name: str, value: object, valid: str
) -> None:
    with pytest.raises(ConfigError) as raised:
        settings_from_mapping({name: value}, origin="audiobrief.toml")
    assert str(raised.value).startswith(f"audiobrief.toml: {name} = {value!r} is ")
    assert str(raised.value).endswith(f"; {valid}.")


@pytest.mark.parametrize(
    ("name", "value", "fix"),
    [
        ("base_url", "news.example.org/audio/", "e.g. https://news.example.org/audio/"),
        ("base_url", "ftp://news.example.org/audio/", "e.g. https://news.example.org/audio/"),
        ("base_url", "/audio/", "e.g. https://news.example.org/audio/"),
        ("base_url", "https://", "e.g. https://news.example.org/audio/"),
        ("base_url", "http://host:port/", "e.g. https://news.example.org/audio/"),
        ("base_url", "https://news.example.org/a b/", "percent-encode it as %20"),
        ("base_url", "https://me:secret@news.example.org/", "remove them: the feeds are public"),
        ("base_url", "https://news.example.org/?page=2", "give the folder's URL alone"),
        ("owner_email", "podcast", "e.g. podcast@example.com"),
        ("owner_email", "podcast@localhost", "e.g. podcast@example.com"),
        ("owner_email", "Me <me@example.com>", "e.g. podcast@example.com"),
        ("timezone", "Mars/Olympus", "use a name such as Africa/Casablanca or UTC"),
        ("timezone", "africa/casablanca", "did you mean 'Africa/Casablanca'?"),
        ("timezone", "Africa", "use a name such as Africa/Casablanca or UTC"),
        ("timezone", "../../etc/passwd", "use a name such as Africa/Casablanca or UTC"),
        ("language", "en", "use one of: ar, ar-ma"),
        ("feed_keep", -1, "use a whole number from 0 to 100000"),
        ("show_title", "  ", "give the show's name"),
    ],
)
def test_bad_value_is_one_line_naming_key_value_and_fix(name: str, value: object, fix: str) -> None:
    with pytest.raises(ConfigError) as raised:
        settings_from_mapping({name: value}, origin="audiobrief.toml")
    message = str(raised.value)
    assert "\n" not in message
    assert message.startswith(f"audiobrief.toml: {name} = {value!r} ")
    assert fix in message


@pytest.mark.parametrize(
    ("given", "normalized"),
    [
        ("https://news.example.org/audio", "https://news.example.org/audio/"),
        ("  http://127.0.0.1:8000  ", "http://127.0.0.1:8000/"),
        ("https://news.example.org/audio//", "https://news.example.org/audio/"),
    ],
)
def test_base_url_is_normalized_to_end_with_one_slash(given: str, normalized: str) -> None:
    assert settings_from_mapping({"base_url": given}).base_url == normalized


def test_language_and_email_are_normalized() -> None:
    chosen = settings_from_mapping({"language": "ar-MA", "owner_email": " me@example.com "})
    assert (chosen.language, chosen.owner_email) == ("ar-ma", "me@example.com")


def test_error_names_where_the_bad_value_came_from(tmp_path: Path) -> None:
    path = tmp_path / "audiobrief.toml"
    path.write_text('timezone = "Nowhere"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=rf"^{re.escape(str(path))}: timezone = 'Nowhere'"):
        load_settings(path)
    with pytest.raises(ConfigError, match=r"^AUDIOBRIEF_TIMEZONE: timezone = 'Elsewhere'"):
        load_settings(path, environ={"AUDIOBRIEF_TIMEZONE": "Elsewhere"})
    with pytest.raises(ConfigError, match=r"^command line: timezone = 'Here'"):
        load_settings(path, {"timezone": "Here"}, {"AUDIOBRIEF_TIMEZONE": "Elsewhere"})


def test_broken_toml_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "audiobrief.toml"
    path.write_text('base_url = "https://x.example/\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(path)


@pytest.mark.parametrize(
    ("args", "env", "file", "expected"),
    [
        (
            ["--base-url", "example.org/audio"],
            {},
            "",
            "command line: base_url = 'example.org/audio'",
        ),
        ([], {"AUDIOBRIEF_BASE_URL": "ftp://x.example/"}, "", "AUDIOBRIEF_BASE_URL: base_url"),
        ([], {}, 'base_url = "/audio/"', "audiobrief.toml: base_url = '/audio/'"),
        ([], {}, 'owner_email = "nobody"', "owner_email = 'nobody' is not an e-mail address"),
        ([], {"AUDIOBRIEF_TIMEZONE": "Casablanca"}, "", "timezone = 'Casablanca'"),
        ([], {}, 'language = "fr"', "language = 'fr' is not valid; use one of: ar, ar-ma."),
        ([], {}, "feed_keep = 1.5", "feed_keep = 1.5 is not a whole number"),
    ],
)
def test_bad_setting_stops_the_cli_before_anything_is_written(
    tmp_path: Path, args: list[str], env: dict[str, str], file: str, expected: str
) -> None:
    (tmp_path / "audiobrief.toml").write_text(file + "\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["feed", "-o", "out", *args], env=env)
    assert result.exit_code == 1
    (line,) = result.output.strip().splitlines()
    assert line.startswith("Error: ")
    assert expected in line
    assert not (tmp_path / "out").exists()


# --- limits: no value can make a run exhaust memory or time ------------------------------


def test_every_numeric_setting_has_a_range() -> None:
    hints = typing.get_type_hints(Settings)
    numeric = {f.name for f in dataclasses.fields(Settings) if hints[f.name] in (int, float)}
    assert numeric == set(VALID_RANGES)


@pytest.mark.parametrize(
    ("name", "value", "allowed"),
    [
        ("music_gain_db", 1e308, "use a number from -60 to 0"),
        ("music_gain_db", "1e308", "use a number from -60 to 0"),
        pytest.param("music_gain_db", 10**400, "use a number from -60 to 0", id="401-digit-int"),
        ("clause_pause_ms", 10**12, "use a whole number from 0 to 10000"),
        ("sentence_pause_ms", "1000000000000", "use a whole number from 0 to 10000"),
        ("paragraph_pause_ms", -1, "use a whole number from 0 to 10000"),
        ("section_pause_ms", "9" * 5000, "use a whole number from 0 to 10000"),
        ("sample_rate_hz", 10**9, "use a whole number from 8000 to 48000"),
        ("cache_max_mb", 0, "use a whole number from 1 to 1000000"),
    ],
)
def test_out_of_range_number_is_one_line_naming_the_setting_and_the_range(
    name: str, value: object, allowed: str
) -> None:
    with pytest.raises(ConfigError) as raised:
        settings_from_mapping({name: value}, origin="audiobrief.toml")
    message = str(raised.value)
    assert message.startswith(f"audiobrief.toml: {name} = ")
    assert message.endswith(f" is out of range; {allowed}.")
    assert len(message) < 200  # a 5,000-digit value is not echoed whole


def test_edges_of_a_range_are_allowed() -> None:
    chosen = settings_from_mapping({"clause_pause_ms": "0", "music_gain_db": -60})
    assert (chosen.clause_pause_ms, chosen.music_gain_db) == (0, -60.0)
    assert settings_from_mapping({"section_pause_ms": "+0010000"}).section_pause_ms == 10_000


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "is a binary file, not a settings file"),
        ('show_title = "موجز"\n'.encode("cp1256"), "is not UTF-8 text (byte 0xE3 at offset 14)"),
        (b"feed_keep = " + b"9" * 5000 + b"\n", "not valid TOML (a number is too long)"),
    ],
)
def test_unreadable_settings_file_is_one_error_line(
    tmp_path: Path, content: bytes, expected: str
) -> None:
    (tmp_path / "audiobrief.toml").write_bytes(content)
    result = CliRunner().invoke(cli, ["feed", "-o", "out"])
    assert result.exit_code == 1
    (line,) = result.output.strip().splitlines()
    assert line.startswith("Error: audiobrief.toml: ")
    assert expected in line
    assert "Traceback" not in result.output


def test_huge_pause_in_the_file_stops_the_cli_with_the_range(tmp_path: Path) -> None:
    (tmp_path / "audiobrief.toml").write_text("clause_pause_ms = 1e12\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["feed", "-o", "out"])
    assert result.exit_code == 1
    assert result.output == (
        "Error: audiobrief.toml: clause_pause_ms = 1000000000000.0 is not a whole number; "
        "use a whole number from 0 to 10000.\n"
    )


@pytest.mark.parametrize(
    ("output_url", "cache_url"),
    [("s3://b/site", "s3://b/site"), ("s3://b/site", "s3://b/site/cache"), ("s3://b/x", "s3://b")],
)
def test_a_shared_cache_inside_the_published_site_is_refused(
    output_url: str, cache_url: str
) -> None:
    with pytest.raises(
        ConfigError, match=r"cache_url = .* overlaps output_url .*prefix of its own"
    ):
        Settings(output_url=output_url, cache_url=cache_url)


def test_a_shared_cache_beside_the_published_site_is_taken() -> None:
    settings = Settings(output_url="s3://b/site", cache_url="s3://b/site-cache")
    assert settings.cache_url == "s3://b/site-cache"
