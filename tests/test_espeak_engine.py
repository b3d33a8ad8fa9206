"""The eSpeak NG engine: real synthesis through the wheel, routes, chunking and failures."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from audiobrief.engines import espeak_engine, espeak_routes
from audiobrief.engines.espeak_engine import EspeakEngine, _chunks
from audiobrief.errors import ConfigError, EngineError, EngineUnavailableError

needs_wheel = pytest.mark.skipif(
    EspeakEngine.unavailable_reason(route="lib") is not None,
    reason="the espeakng-loader wheel is not usable here",
)
needs_program = pytest.mark.skipif(
    shutil.which("espeak-ng") is None, reason="no espeak-ng program on PATH"
)

GREETING = "مَرْحَبًا بِكُمْ فِي نَشْرَةِ الْأَخْبَارِ."
OTHER = "السَّلَامُ عَلَيْكُمْ"
# 45 diacritized words and no punctuation: the case eSpeak reads as letter names unless cut.
LONG = " ".join(["ذَهَبَ الْوَلَدُ الصَّغِيرُ إِلَى الْمَدْرَسَةِ الْجَدِيدَةِ فِي الصَّبَاحِ الْبَاكِرِ"] * 5)
VOWELS = set("aiuɑɐəeoæ")


def _words_without_vowel(ipa: str) -> list[str]:
    return [word for word in ipa.split() if not VOWELS & set(word)]


@needs_wheel
def test_short_sentence_gives_mono_16_bit_audio_at_22050_hz() -> None:
    clip = EspeakEngine(route="lib").synthesize(GREETING)

    assert (clip.frame_rate, clip.channels, clip.sample_width) == (22050, 1, 2)
    assert 5 * 150 < len(clip) < 5 * 800  # five words: 150-800 ms each is speech
    assert clip.max > 3000  # audible, not silence


@needs_wheel
def test_same_text_gives_identical_bytes_even_after_other_text() -> None:
    engine = EspeakEngine(route="lib")

    first = engine.synthesize(GREETING).raw_data
    engine.synthesize(OTHER)
    again = engine.synthesize(GREETING).raw_data

    assert first == again


@needs_wheel
def test_output_is_identical_in_a_fresh_process() -> None:
    script = "from audiobrief.engines.espeak_engine import EspeakEngine; import sys; "
    script += (
        f"sys.stdout.buffer.write(EspeakEngine(route='lib').synthesize({GREETING!r}).raw_data)"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, check=True)

    assert done.stdout == EspeakEngine(route="lib").synthesize(GREETING).raw_data


@needs_wheel
def test_threads_get_the_same_clips_as_one_caller() -> None:
    engine = EspeakEngine(route="lib")
    expected = {text: engine.synthesize(text).raw_data for text in (GREETING, OTHER)}
    results: list[bool] = []

    def speak(text: str) -> None:
        results.extend(engine.synthesize(text).raw_data == expected[text] for _ in range(3))

    threads = [threading.Thread(target=speak, args=(t,)) for t in (GREETING, OTHER) * 2]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert results == [True] * 12


@needs_wheel
@pytest.mark.parametrize(("voice", "file"), [("ar", "sem/ar"), ("ar+m3", "sem/ar+m3")])
def test_a_voice_is_loaded_by_its_file_with_the_same_samples(
    voice: str, file: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Named by its file, eSpeak skips reading every voice file at each load (3 ms a clip).
    assert espeak_routes.voice_file(_wheel_data(), voice) == file
    by_file = EspeakEngine(route="lib", voice=voice).synthesize(GREETING).raw_data
    monkeypatch.setattr(espeak_routes, "voice_file", lambda _root, name: name)
    by_name = EspeakEngine(route="lib", voice=voice).synthesize(GREETING).raw_data

    assert by_file == by_name


@pytest.mark.parametrize("voice", ["Arabic", "zz", "ar+", "sem/ar", "en-us"])
def test_a_voice_that_is_no_single_file_is_passed_on_as_named(voice: str, tmp_path: Path) -> None:
    for file in ("lang/sem/ar", "lang/gmw/en-US", "lang/zz/a/zz", "lang/zz/b/zz"):
        (tmp_path / file).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / file).write_text("name x\n")

    assert espeak_routes.voice_file(tmp_path, voice) == voice


@needs_wheel
def test_faster_rate_gives_shorter_audio_and_pitch_changes_the_sound() -> None:
    slow = EspeakEngine(route="lib", rate_wpm=120).synthesize(GREETING)
    fast = EspeakEngine(route="lib", rate_wpm=300).synthesize(GREETING)
    high = EspeakEngine(route="lib", rate_wpm=120, pitch=90).synthesize(GREETING)

    assert len(fast) < 0.6 * len(slow)
    assert high.raw_data != slow.raw_data


@needs_wheel
@pytest.mark.parametrize("text", [GREETING, OTHER, "قَالَ الْوَزِيرُ، ثُمَّ ذَهَبَ"])
def test_clips_keep_at_most_30_ms_of_silence_at_each_end(text: str) -> None:
    # eSpeak NG starts some clips with 50-60 ms of silence; pauses are the stitcher's job.
    clip = EspeakEngine(route="lib").synthesize(text)
    samples = np.array(clip.get_array_of_samples(), dtype=np.int32)
    audible = np.flatnonzero(np.abs(samples) > 64)
    keep = 30 * clip.frame_rate // 1000
    assert audible[0] <= keep
    assert samples.size - 1 - audible[-1] <= keep


@needs_wheel
def test_long_text_is_spoken_in_calls_of_at_most_20_words(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[list[str]] = []
    real_speak = espeak_routes.LibRoute.speak

    def spy(self: object, chunks: list[espeak_routes.Chunk], *args: object) -> object:
        calls.append([chunk.text for chunk in chunks])
        return real_speak(self, chunks, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(espeak_routes.LibRoute, "speak", spy)
    engine = EspeakEngine(route="lib")

    clip = engine.synthesize(LONG)

    assert [len(text.split()) for text in calls[0]] == [15, 15, 15]
    assert " ".join(calls[0]) == LONG
    assert len(clip) > 45 * 150
    assert _words_without_vowel(engine.phonemize(LONG)) == []


def test_chunks_cut_at_the_last_clause_punctuation_within_20_words() -> None:
    words = [f"w{i}" for i in range(30)]
    words[11] += "،"
    words[16] += "»."  # punctuation inside a closing quote still ends the clause

    chunks = _chunks(" ".join(words))

    assert [len(c.text.split()) for c in chunks] == [17, 13]
    assert [(c.pause_after, c.gap_after) for c in chunks] == [(True, False), (False, False)]


def test_chunks_without_punctuation_are_even_and_marked_for_a_gap() -> None:
    chunks = _chunks(" ".join(["كلمة"] * 41))

    assert [len(c.text.split()) for c in chunks] == [14, 14, 13]
    assert [c.gap_after for c in chunks] == [True, True, False]


_WORD = st.sampled_from(["كلمة", "قال", "الوزير", "w"]) | st.text("بتثج", min_size=1, max_size=4)
_PUNCT = st.sampled_from(["", "", "", "،", ".", "؛", "»."])


@given(st.lists(st.tuples(_WORD, _PUNCT), max_size=90))
def test_no_chunk_is_longer_than_20_words_and_no_word_is_lost(
    words: list[tuple[str, str]],
) -> None:
    text = " ".join(word + punct for word, punct in words)
    chunks = _chunks(text)
    assert all(len(c.text.split()) <= espeak_engine.MAX_WORDS_PER_CALL == 20 for c in chunks)
    assert " ".join(c.text for c in chunks) == " ".join(text.split())


@pytest.mark.parametrize(
    ("punctuated", "sizes"),
    [
        (None, [11, 10]),  # 21 words without punctuation: two even calls
        (20, [20, 1]),  # a clause ending on word 20 is cut there
        (21, [11, 10]),  # on word 21 it is out of reach: even calls again
    ],
)
def test_21_words_never_go_in_one_call(punctuated: int | None, sizes: list[int]) -> None:
    words = [f"w{i}" for i in range(1, 22)]
    if punctuated is not None:
        words[punctuated - 1] += "،"
    assert [len(c.text.split()) for c in _chunks(" ".join(words))] == sizes


def test_short_or_blank_text_is_one_call_or_none() -> None:
    assert _chunks("  قال  الوزير\n") == [espeak_routes.Chunk("قال الوزير", False, False)]
    assert _chunks(" \n ") == []


@needs_wheel
def test_phonemize_gives_ipa_with_vowels_for_diacritized_input() -> None:
    ipa = EspeakEngine(route="lib").phonemize(GREETING)

    assert ipa.startswith("mˈarħabˌan")
    assert "ʔ" in ipa
    assert _words_without_vowel(ipa) == []


@needs_wheel
def test_blank_text_gives_an_empty_clip_without_error() -> None:
    engine = EspeakEngine(route="lib")

    assert len(engine.synthesize("  ")) == 0
    assert engine.phonemize("") == ""


def test_wrong_data_path_raises_unavailable_naming_the_path_and_fix(tmp_path: Path) -> None:
    with pytest.raises(EngineUnavailableError) as caught:
        EspeakEngine(route="lib", data_path=str(tmp_path))

    assert str(tmp_path) in str(caught.value)
    assert "pip install --force-reinstall espeakng-loader" in str(caught.value)


@needs_wheel
def test_wrong_data_path_leaves_the_process_alive(tmp_path: Path) -> None:
    # Unchecked, libespeak-ng would call exit(1) here: run it where that cannot end pytest.
    script = textwrap.dedent(f"""
        from audiobrief.engines.espeak_engine import EspeakEngine
        from audiobrief.errors import EngineUnavailableError
        try:
            EspeakEngine(route="lib", data_path={str(tmp_path)!r})
        except EngineUnavailableError as exc:
            print("caught:", exc)
        print("still alive:", len(EspeakEngine(route="lib").synthesize({OTHER!r})) > 0)
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)

    assert done.returncode == 0, done.stderr
    assert "caught: espeak engine: eSpeak NG data at" in done.stdout
    assert "still alive: True" in done.stdout


@needs_wheel
def test_data_without_the_voice_dictionary_is_unavailable(tmp_path: Path) -> None:
    real = _wheel_data()
    for name in ("phontab", "phondata", "phonindex", "intonations", "lang"):
        (tmp_path / name).symlink_to(real / name)

    with pytest.raises(EngineUnavailableError, match="lacks ar_dict"):
        EspeakEngine(route="lib", data_path=str(tmp_path))
    (tmp_path / "ar_dict").symlink_to(real / "ar_dict")
    assert EspeakEngine(route="lib", data_path=str(tmp_path)).synthesize(OTHER).max > 0


@needs_wheel
def test_unknown_voice_is_unavailable_with_a_hint() -> None:
    reason = EspeakEngine.unavailable_reason(voice="zz", route="lib")

    assert reason is not None
    assert "'zz'" in reason
    assert "such as 'ar'" in reason


def _wheel_data() -> Path:
    import espeakng_loader

    return Path(espeakng_loader.get_data_path())


@needs_wheel
def test_unavailable_reason_checks_files_without_loading_the_library() -> None:
    script = (
        "from audiobrief.engines.espeak_engine import EspeakEngine\n"
        "print(EspeakEngine.unavailable_reason())\n"
        "print('libespeak-ng' in open('/proc/self/maps').read())\n"
    )
    if not Path("/proc/self/maps").exists():
        pytest.skip("needs /proc to list the loaded libraries")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)

    assert done.stdout.split() == ["None", "False"], done.stderr


def test_missing_wheel_and_program_say_how_to_install(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setitem(sys.modules, "espeakng_loader", None)  # import fails as if absent
    monkeypatch.setenv("PATH", str(tmp_path))

    reason = EspeakEngine.unavailable_reason()

    assert reason == "espeak engine: eSpeak NG is not available; run: pip install espeakng-loader"
    with pytest.raises(EngineUnavailableError, match="no espeak-ng program on PATH"):
        EspeakEngine(route="program")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"route": "cloud"}, "route 'cloud' is not valid"),
        ({"rate_wpm": 20}, "rate_wpm must be a whole number from 80 to 450"),
        ({"pitch": 101}, "pitch must be a whole number from 0 to 100"),
        ({"voice": "ar; rm"}, "not an eSpeak NG voice name"),
    ],
)
def test_bad_options_are_config_errors(options: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        EspeakEngine(**options)  # type: ignore[arg-type]


@needs_wheel
def test_library_that_cannot_load_becomes_engine_error(monkeypatch: pytest.MonkeyPatch) -> None:
    engine = EspeakEngine(route="lib")

    def broken(*_: object, **__: object) -> object:
        raise OSError("libespeak-ng.so: cannot open shared object file")

    monkeypatch.setattr(espeak_engine.ctypes, "CDLL", broken)

    with pytest.raises(EngineError, match=r"cannot open shared object.*audiobrief voices"):
        engine.synthesize(GREETING)


class _FakeLib:
    """Stands in for the loaded library: every call succeeds, synthesis returns *status*."""

    _handle = 0

    def __init__(self, synth_status: int) -> None:
        for name in ("Initialize", "SetSynthCallback", "SetVoiceByName", "SetParameter"):
            setattr(self, f"espeak_{name}", _function(22050 if name == "Initialize" else 0))
        for name in ("Synchronize", "TextToPhonemes", "Terminate"):
            setattr(self, f"espeak_{name}", _function(0))
        self.espeak_Synth = _function(synth_status)


def _function(result: int) -> object:
    def call(*_: object) -> int:
        return result

    return call


@needs_wheel
@pytest.mark.parametrize(
    ("synth_status", "message"), [(-1, "espeak_Synth returned error -1"), (0, "no audio")]
)
def test_library_call_failures_become_engine_errors(
    monkeypatch: pytest.MonkeyPatch, synth_status: int, message: str
) -> None:
    engine = EspeakEngine(route="lib")
    monkeypatch.setattr(espeak_engine.ctypes, "CDLL", lambda *_: _FakeLib(synth_status))
    monkeypatch.setattr(espeak_routes, "_unload", lambda *_: None)  # nothing was loaded

    with pytest.raises(EngineError, match=message):
        engine.synthesize(GREETING)


FAKE_PROGRAM = """#!{python}
import sys
open({log!r}, "a", encoding="utf-8").write(" ".join(sys.argv[1:]) + "\\n")
text = sys.stdin.buffer.read().decode("utf-8")
if "--ipa" in sys.argv:
    print("mˈarħabˌan")
    sys.exit(0)
if "fail" in text:
    sys.stderr.write("Error: voice data broken\\n")
    sys.exit(1)
# espeak-ng on a pipe cannot rewrite its header: the sizes stay placeholders.
header = b"RIFF" + (0x7FFFF024).to_bytes(4, "little") + b"WAVEfmt " + bytes.fromhex(
    "10000000010001002256000044ac00000200100064617461") + (0x7FFFF000).to_bytes(4, "little")
sys.stdout.buffer.write(header + (b"\\x00\\x20" * 2205))
"""


@pytest.fixture
def fake_program(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A stand-in espeak-ng on PATH; returns the file its argument lists are logged to."""
    log = tmp_path / "args.log"
    program = tmp_path / "bin" / "espeak-ng"
    program.parent.mkdir()
    program.write_text(FAKE_PROGRAM.format(python=sys.executable, log=str(log)), encoding="utf-8")
    program.chmod(0o755)
    monkeypatch.setenv("PATH", str(program.parent) + os.pathsep + os.environ.get("PATH", ""))
    return log


def test_program_route_reads_a_streamed_wav_and_passes_the_settings(fake_program: Path) -> None:
    clip = EspeakEngine(route="program", rate_wpm=140, pitch=40).synthesize("نص، قصير")

    assert (clip.frame_rate, clip.channels, clip.sample_width) == (22050, 1, 2)
    assert len(clip) == 100
    args = fake_program.read_text(encoding="utf-8").split()
    assert args == ["-b", "1", "--stdin", "-v", "ar", "-s", "140", "-p", "40", "--stdout", "-z"]


def test_program_failure_becomes_engine_error_with_its_message(fake_program: Path) -> None:
    with pytest.raises(EngineError, match="exit status 1: Error: voice data broken"):
        EspeakEngine(route="program").synthesize("fail")


def test_program_timeout_becomes_engine_error(
    fake_program: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def hang(*_: object, **__: object) -> object:
        raise subprocess.TimeoutExpired("espeak-ng", espeak_routes.PROGRAM_TIMEOUT_S)

    engine = EspeakEngine(route="program")
    monkeypatch.setattr(espeak_engine.subprocess, "run", hang)

    with pytest.raises(EngineError, match=r"espeak-ng program failed.*timed out"):
        engine.synthesize(GREETING)


def test_program_route_phonemizes_with_ipa(fake_program: Path) -> None:
    assert EspeakEngine(route="program").phonemize(GREETING) == "mˈarħabˌan"
    assert "-q --ipa -v ar" in fake_program.read_text(encoding="utf-8")


@needs_program
def test_real_espeak_ng_program_speaks_and_phonemizes() -> None:
    engine = EspeakEngine(route="program")

    clip = engine.synthesize(GREETING)

    assert (clip.frame_rate, clip.channels, clip.sample_width) == (22050, 1, 2)
    assert 5 * 150 < len(clip) < 5 * 800
    assert engine.synthesize(GREETING).raw_data == clip.raw_data
    assert _words_without_vowel(engine.phonemize(GREETING)) == []
