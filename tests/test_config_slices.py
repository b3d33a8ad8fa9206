"""Settings slices: every setting in exactly one, built from checked values, audio keyed whole."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from audiobrief.config import VALID_CHOICES, VALID_RANGES, Settings, settings_from_mapping
from audiobrief.config_slices import SLICES, AudioSettings
from audiobrief.errors import ConfigError
from audiobrief.model import Article, ArticleMeta
from audiobrief.text import build_script
from audiobrief.voice import cached_encoded, open_voice, render
from support import FakeEngine

SETTING_NAMES = [f.name for f in dataclasses.fields(Settings)]


def _other_value(name: str, value: Any) -> Any:
    """A valid value of setting *name* that differs from *value*."""
    if isinstance(value, bool):
        return not value
    if name in VALID_CHOICES:
        return next(c for c in VALID_CHOICES[name] if c != value)
    if name in VALID_RANGES:
        low, high = VALID_RANGES[name]
        return type(value)(high if value != high else low)
    raise AssertionError(f"give _other_value a changed value for the new setting {name!r}")


def test_every_setting_belongs_to_exactly_one_slice() -> None:
    owners: dict[str, list[str]] = {name: [] for name in SETTING_NAMES}
    for attr, kind in SLICES.items():
        for field in dataclasses.fields(kind):
            assert field.name in owners, f"{kind.__name__}.{field.name} is not a setting"
            owners[field.name].append(attr)
    assert {name: found for name, found in owners.items() if len(found) != 1} == {}


def test_each_slice_holds_the_settings_values() -> None:
    settings = settings_from_mapping(
        {"base_url": "https://news.example.org/audio", "bitrate_kbps": "96", "voice": "x"}
    )
    for attr, kind in SLICES.items():
        part = getattr(settings, attr)
        assert type(part) is kind
        for field in dataclasses.fields(kind):
            assert getattr(part, field.name) == getattr(settings, field.name)
    assert settings.site.base_url == "https://news.example.org/audio/"
    assert settings.audio.bitrate_kbps == 96
    assert settings.voices.voice == "x"
    assert settings.site is settings.site  # built once


def test_replacing_a_setting_rebuilds_its_slice() -> None:
    settings = Settings()
    assert settings.audio.channels == 1
    stereo = dataclasses.replace(settings, channels=2)
    assert stereo.audio.channels == 2
    assert settings.audio.channels == 1


def test_the_site_zone_is_the_checked_time_zone() -> None:
    assert Settings(timezone=" Asia/Tokyo ").site.zone.key == "Asia/Tokyo"


# --- checked once, in config: every Settings is valid however it was built -----------------


@pytest.mark.parametrize("url", ["news.example.org/audio/", "ftp://x.example/", "/audio/"])
def test_a_settings_built_directly_refuses_a_relative_base_url(url: str) -> None:
    with pytest.raises(ConfigError, match=r"^settings: base_url = .* absolute http\(s\) URL"):
        Settings(base_url=url)


def test_a_settings_built_directly_refuses_a_time_zone_that_names_a_folder() -> None:
    with pytest.raises(ConfigError, match="timezone = 'Africa' is not an IANA time zone"):
        Settings(timezone="Africa")


def test_a_replaced_value_is_checked_too() -> None:
    with pytest.raises(ConfigError, match="bitrate_kbps = 8 is out of range"):
        dataclasses.replace(Settings(), bitrate_kbps=8)


def test_base_url_is_normalized_once_for_every_reader() -> None:
    settings = Settings(base_url="  https://news.example.org/audio  ")
    assert settings.base_url == "https://news.example.org/audio/"
    assert settings.site.base_url == settings.base_url


def test_a_loaded_bad_value_still_names_where_it_came_from() -> None:
    with pytest.raises(ConfigError) as caught:
        settings_from_mapping(
            {"timezone": "Mars/Base"}, origins={"timezone": "AUDIOBRIEF_TIMEZONE"}
        )
    assert str(caught.value).startswith("AUDIOBRIEF_TIMEZONE: timezone = 'Mars/Base' is not")


# --- the episode-cache key holds the audio slice whole -------------------------------------


@pytest.fixture
def fake_settings(tmp_path: Path, fake_engine: FakeEngine) -> Settings:
    voices = tmp_path / "voices"
    voices.mkdir()
    (voices / "fake.toml").write_text('engine = "fake"\ndiacritize = false\n', encoding="utf-8")
    return Settings(voices_dir=voices, voice="fake", cache_dir=tmp_path / "cache")


@pytest.mark.parametrize("name", [f.name for f in dataclasses.fields(AudioSettings)])
def test_changing_any_audio_setting_misses_the_episode_cache(
    fake_settings: Settings, name: str
) -> None:
    voice = open_voice(fake_settings)
    article = Article(
        title="خبر", paragraphs=("قال الوزير إن العمل بدأ.",), meta=ArticleMeta(source="test")
    )
    script = build_script(article, **voice.text_options)
    render(script, voice, fake_settings, label="test")
    assert cached_encoded(script, voice, fake_settings) is not None  # the same settings hit

    changed = {name: _other_value(name, getattr(fake_settings, name))}
    assert cached_encoded(script, voice, dataclasses.replace(fake_settings, **changed)) is None
