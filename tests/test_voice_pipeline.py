"""Voices through the whole pipeline: the cache, gTTS against a fake Google, the fallback."""

from __future__ import annotations

import base64
import json
import logging
import re
import shutil
import threading
import urllib.parse
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import lameenc
import numpy as np
import pytest
import responses
from click.testing import CliRunner
from mutagen.mp3 import MP3
from pydub import AudioSegment

from audiobrief.cli import cli
from audiobrief.engines.batch import GIVE_UP_AFTER
from audiobrief.engines.espeak_engine import EspeakEngine
from audiobrief.publish import made_by
from support import FakeEngine

REPO = Path(__file__).resolve().parents[1]
GOOGLE = re.compile(r"https://translate\.google\.com/_/TranslateWebserverUi/data/batchexecute")
REFUSED = "وقدمت الحصيلة المرفوضة للمجلس."
ARTICLE = (
    "اجتماع في فاس\n\n"
    f"ترأست السيدة خديجة الحجوبي اجتماعا. {REFUSED}\n\n"
    "وأبرزت أن المجال يظل مفتوحا.\n"
)
MARKS = re.compile("[\u064b-\u065f\u0670]")  # harakat, shadda, sukun, dagger alef


def _mp3(duration_ms: int = 300, rate_hz: int = 24000) -> bytes:
    """A real MP3 of a quiet tone, like the short clips Google sends."""
    t = np.arange(rate_hz * duration_ms // 1000) / rate_hz
    pcm = (3000 * np.sin(2 * np.pi * 220 * t)).astype("<i2").tobytes()
    encoder = lameenc.Encoder()
    encoder.set_bit_rate(32)
    encoder.set_in_sample_rate(rate_hz)
    encoder.set_channels(1)
    encoder.set_quality(7)
    return bytes(encoder.encode(pcm) + encoder.flush())


class FakeGoogle:
    """Google's batchexecute endpoint through `responses`: HTTP 400 for refused texts."""

    def __init__(self, mock: responses.RequestsMock) -> None:
        self.texts: list[str] = []
        self.refuse_all = False
        self.refused_word: str | None = "المرفوضة"
        """Texts holding this word get HTTP 400; None lets every text through."""
        audio = base64.b64encode(_mp3()).decode("ascii")
        self._reply = f')]}}\'\n\n[["wrb.fr","jQ1olc","[\\"{audio}\\"]",null,null,"generic"]]\n'
        self._lock = threading.Lock()
        mock.add_callback(responses.POST, GOOGLE, callback=self._answer)

    def _answer(self, request: Any) -> tuple[int, dict[str, str], str]:
        form = urllib.parse.parse_qs(request.body)
        text: str = json.loads(json.loads(form["f.req"][0])[0][0][1])[0]
        with self._lock:
            self.texts.append(text)
        if self.refuse_all or (self.refused_word and self.refused_word in text):
            return 400, {}, "Bad Request"
        return 200, {}, self._reply


@pytest.fixture
def google() -> Iterator[FakeGoogle]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield FakeGoogle(mock)


@pytest.fixture
def espeak_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The real eSpeak NG voice, with every text it is asked to speak recorded."""
    calls: list[str] = []
    real = EspeakEngine.synthesize

    def counting(self: EspeakEngine, text: str) -> AudioSegment:
        calls.append(text)
        return real(self, text)

    monkeypatch.setattr(EspeakEngine, "synthesize", counting)
    return calls


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """A user folder: the real ar-espeak and ar-gtts profiles, a fake one, an article."""
    voices = tmp_path / "voices"
    voices.mkdir()
    for name in ("ar-espeak", "ar-gtts"):
        shutil.copy(REPO / "voices" / f"{name}.toml", voices)
    (voices / "fake.toml").write_text('engine = "fake"\ndiacritize = false\n', encoding="utf-8")
    (tmp_path / "article.txt").write_text(ARTICLE, encoding="utf-8")
    return tmp_path


def _settings(**values: str) -> None:
    lines = [f'{key} = "{value}"' for key, value in values.items()]
    Path("audiobrief.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")


def _run(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == 0, result.output
    return result.output.strip()


def _speak(voice: str) -> str:
    return _run("speak", "article.txt", "--voice", voice, "-o", "out")


# --- the synthesis cache -----------------------------------------------------------------


def test_second_speak_of_an_unchanged_article_makes_no_engine_call(
    home: Path, fake_engine: FakeEngine
) -> None:
    _settings(cache_dir="clips")
    _speak("fake")
    first = list(fake_engine.calls)
    assert "ترأست السيدة خديجة الحجوبي اجتماعا." in first
    mp3 = next(Path("out").rglob("article.mp3")).read_bytes()
    _speak("fake")
    assert fake_engine.calls == first  # not one new call
    assert next(Path("out").rglob("article.mp3")).read_bytes() == mp3


def test_second_speak_with_the_real_espeak_voice_makes_no_engine_call(
    home: Path, espeak_calls: list[str]
) -> None:
    _speak("ar-espeak")
    assert len(espeak_calls) >= 4  # heading and three sentences
    first = len(espeak_calls)
    _speak("ar-espeak")
    assert len(espeak_calls) == first


def test_briefing_reuses_the_clips_of_the_articles_spoken_that_day(
    home: Path, fake_engine: FakeEngine
) -> None:
    _speak("fake")
    article_texts = set(fake_engine.calls)
    fake_engine.calls.clear()
    _run("brief", "--voice", "fake", "-o", "out")
    assert fake_engine.calls  # the intro, the announcements and the outro are new
    assert not article_texts & set(fake_engine.calls)


def test_cache_info_and_clear_use_cache_dir_from_the_settings_file(
    home: Path, fake_engine: FakeEngine
) -> None:
    _settings(cache_dir="clips")
    _speak("fake")
    clips = len(set(fake_engine.calls))
    info = _run("cache", "info")
    on_disk = sum(p.stat().st_size for p in Path("clips").rglob("*") if p.is_file())
    marks = len(list(Path("clips", "marks").rglob("*.json")))
    templates = len(list(Path("clips", "templates").rglob("*.jinja")))  # compiled by the refresh
    patterns = len(list(Path("clips", "patterns").rglob("*.marshal")))  # kept at exit
    models = len(list(Path("clips", "models").rglob("*.onnx")))  # the fake voice has none
    assert templates > 0
    assert info == (
        f"clips: {clips} clips, 1 episodes, {marks} marks, {templates} templates, "
        f"{patterns} patterns, {models} models; "
        f"{on_disk / 1e6:.1f} MB ({on_disk} bytes) of the limit, 500 MiB\n"
        "shared tier: none (cache_url is not set)"
    )
    assert len(list(Path("clips").rglob("*.wav"))) == clips
    entries = clips + 1 + marks + templates + patterns + models
    assert _run("cache", "clear") == f"removed {entries} entries from the local folder"
    assert _run("cache", "info").startswith(
        "clips: 0 clips, 0 episodes, 0 marks, 0 templates, 0 patterns, 0 models; 0.0 MB (0 bytes) "
        "of the limit, 500 MiB\n"
    )
    assert not [p for p in Path("clips").rglob("*") if p.is_file()]
    _speak("fake")
    assert len(fake_engine.calls) == 2 * clips  # an empty cache: every clip again


def test_cache_dir_from_the_environment_beats_the_file(
    home: Path, fake_engine: FakeEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    _settings(cache_dir="from-file")
    monkeypatch.setenv("AUDIOBRIEF_CACHE_DIR", str(home / "from-env"))
    _speak("fake")
    assert _run("cache", "info").startswith(f"{home / 'from-env'}: {len(fake_engine.calls)} clips")
    assert not Path("from-file").exists()


def test_cache_defaults_to_the_user_cache_folder(home: Path, fake_engine: FakeEngine) -> None:
    _speak("fake")
    assert _run("cache", "info").startswith(f"{home / 'xdg-cache' / 'audiobrief'}: ")


# --- gTTS end to end, against a fake Google ----------------------------------------------


def test_gtts_voice_speaks_an_article_end_to_end(home: Path, google: FakeGoogle) -> None:
    Path("article.txt").write_text(ARTICLE.replace("المرفوضة", "المقبولة"), encoding="utf-8")
    assert _speak("ar-gtts").endswith(" s, 4 sentences)")
    assert "ترأست السيدة خديجة الحجوبي اجتماعا." in google.texts
    assert not MARKS.search(" ".join(google.texts))  # the profile says diacritize = false
    # Each request brought 300 ms of Google's audio; the pauses come on top.
    (mp3,) = Path("out").rglob("article.mp3")
    assert MP3(mp3).info.length > 0.3 * len(google.texts)
    asked = len(google.texts)
    _speak("ar-gtts")
    assert len(google.texts) == asked  # the rerun asked Google nothing


def test_gtts_permanent_failure_fails_the_article_naming_the_sentence(
    home: Path, google: FakeGoogle
) -> None:
    result = CliRunner().invoke(cli, ["speak", "article.txt", "--voice", "ar-gtts", "-o", "out"])
    assert result.exit_code == 1, result.output
    (line,) = result.output.strip().splitlines()
    assert line.startswith(f"Error: article.txt: gtts engine: could not speak «{REFUSED}»: ")
    assert "400 (Bad Request)" in line
    assert 'set on_engine_failure = "fallback"' in line
    written = [p for p in Path("out").rglob("*") if p.name != "catalog.sqlite"]
    assert written == []


def test_gtts_failure_with_fallback_speaks_those_sentences_offline(
    home: Path, google: FakeGoogle, espeak_calls: list[str], caplog: pytest.LogCaptureFixture
) -> None:
    _settings(on_engine_failure="fallback")
    with caplog.at_level(logging.WARNING):
        _speak("ar-gtts")
    (offline,) = espeak_calls  # only the refused sentence, and diacritized for eSpeak NG
    assert MARKS.search(offline)
    assert MARKS.sub("", offline) == REFUSED
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any(f"gtts could not speak «{REFUSED}»; the fallback voice" in w for w in warnings)
    (vtt,) = Path("out").rglob("article.vtt")
    assert REFUSED in vtt.read_text(encoding="utf-8")
    # Its tag names no voice's key: a briefing speaks the story again rather than join it.
    assert str(made_by(vtt.with_suffix(".mp3"))).endswith(":fell back")
    # Neither the fallback clip nor the episode audio holding it is kept: the same article
    # spoken again, once Google answers, asks Google for that sentence (and only that one).
    asked, mp3 = len(google.texts), vtt.with_suffix(".mp3").read_bytes()
    google.refused_word = None
    _speak("ar-gtts")
    assert google.texts[asked:] == [REFUSED]
    (again,) = Path("out").rglob("article*.mp3")  # new audio: a new version of the file
    assert again.read_bytes() != mp3
    assert made_by(again)
    assert not str(made_by(again)).endswith(":fell back")


def test_lasting_gtts_failure_stops_asking_google(
    home: Path, google: FakeGoogle, espeak_calls: list[str]
) -> None:
    _settings(on_engine_failure="fallback")
    google.refuse_all = True
    body = " ".join(f"هذا هو الخبر رقم {n}." for n in range(1, 11))  # ten sentences
    Path("article.txt").write_text(f"عنوان الخبر\n\n{body}\n", encoding="utf-8")
    _speak("ar-gtts")
    assert len(espeak_calls) == 11  # the heading and the ten sentences, all offline
    # At most `concurrency` requests (4 in ar-gtts) were in flight when it gave up.
    assert GIVE_UP_AFTER <= len(google.texts) <= GIVE_UP_AFTER + 3


def test_progress_goes_on_through_loudness_and_encoding(
    home: Path, fake_engine: FakeEngine
) -> None:
    from audiobrief.articles.load import load_article
    from audiobrief.config import settings_from_mapping
    from audiobrief.text.script import build_script
    from audiobrief.voice.factory import open_voice
    from audiobrief.voice.render import render

    settings = settings_from_mapping({"voice": "fake", "cache_dir": "clips"})
    voice = open_voice(settings)
    script = build_script(load_article("article.txt"), **voice.text_options)
    seen: dict[str, list[int]] = {}

    def progress(label: str, total: int) -> Callable[[int], None]:
        seen[label] = [total, 0]
        return lambda n: seen[label].__setitem__(1, seen[label][1] + n)

    render(script, voice, settings, label="a", progress=progress)
    assert seen["a"][0] == seen["a"][1] > 0  # every clip
    total, done = seen["a: loudness, MP3"]  # then the blocks: no bar full and silent
    assert total >= 2
    assert done >= total
