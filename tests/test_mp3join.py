"""MP3 joining: article audio reused in a briefing, frame-exact, valid, at the loudness promised."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import miniaudio
import numpy as np
import pyloudnorm
import pytest
from mutagen.id3 import ID3, TIT2
from mutagen.mp3 import MP3
from numpy.typing import NDArray
from scipy.signal import resample

from audiobrief import engines
from audiobrief.audio import mp3join
from audiobrief.audio.encode import encode_mp3
from audiobrief.audio.lametag import crc16, frame_offsets
from audiobrief.audio.mp3join import Part, UnusableAudioError, join_episode, read_stream
from audiobrief.config import Settings
from audiobrief.errors import AudioError
from audiobrief.model import Pauses, Script, Section, Segment, Timeline, Track
from audiobrief.text.briefing import build_briefing
from audiobrief.voice.briefing import render_briefing
from audiobrief.voice.factory import Voice, open_voice
from audiobrief.voice.render import Encoded, Rendered, render
from tone_engine import ToneEngine

RATE_HZ = 22050
FRAME = 576  # samples per MPEG-2 Layer III frame


def _decode(path: Path) -> NDArray[np.int16]:
    decoded = miniaudio.decode_file(
        str(path), output_format=miniaudio.SampleFormat.SIGNED16, nchannels=1, sample_rate=RATE_HZ
    )
    return np.frombuffer(bytes(decoded.samples.tobytes()), dtype="<i2")


def _tone(seconds: float, pitch_hz: float, level: float = 0.3) -> bytes:
    t = np.arange(int(seconds * RATE_HZ)) / RATE_HZ
    wave = level * np.sin(2 * np.pi * pitch_hz * t) * (0.6 + 0.4 * np.sin(2 * np.pi * 3 * t))
    return (wave * 32767).astype("<i2").tobytes()


def _part_file(path: Path, pcm: bytes, *, rate_hz: int = RATE_HZ, kbps: int = 64) -> Path:
    path.write_bytes(encode_mp3(Track(pcm, rate_hz, 1), bitrate_kbps=kbps))
    return path


def _empty(ms: int) -> Timeline:
    return Timeline(cues=(), chapters=(), duration_ms=ms, sample_rate_hz=RATE_HZ)


def _script(count: int) -> Script:
    sections = tuple(Section(f"s{k}", (Segment(f"w{k}", f"w{k}", 0, 0, 0),)) for k in range(count))
    return Script("joined", sections)


def test_joined_parts_are_heard_each_from_its_first_frame_to_the_sample(tmp_path: Path) -> None:
    pcms = [_tone(1.3, 330), _tone(0.71, 550), _tone(2.02, 440)]
    paths = [_part_file(tmp_path / f"p{k}.mp3", pcm) for k, pcm in enumerate(pcms)]
    parts = [Part(p, _empty(1000), k) for k, p in enumerate(paths)]

    timeline = join_episode(parts, tmp_path / "joined.mp3", script=_script(3))

    joined = _decode(tmp_path / "joined.mp3")
    frames = [
        read_stream(p, sample_rate_hz=RATE_HZ, channels=1, bitrate_kbps=64).frames for p in paths
    ]
    starts = [0, frames[0] * FRAME, (frames[0] + frames[1]) * FRAME]
    for start, path, pcm in zip(starts, paths, pcms, strict=True):
        alone = _decode(path)
        assert len(alone) == len(pcm) // 2  # the Info frame trims delay and padding exactly
        # Past the first granule (where the previous part's tail overlaps), the joined
        # stream holds the part's own decoded samples at exactly its start.
        here = joined[start + FRAME : start + len(alone)].astype(int)
        assert np.max(np.abs(here - alone[FRAME:].astype(int))) <= 2
        shifted = joined[start + FRAME + 1 : start + len(alone)].astype(int)
        assert np.max(np.abs(shifted - alone[FRAME:-1].astype(int))) > 100  # one off is not
    assert len(joined) == starts[-1] + len(pcms[-1]) // 2
    assert [c.start_ms for c in timeline.chapters] == [s * 1000 // RATE_HZ for s in starts]
    assert timeline.duration_ms == len(joined) * 1000 // RATE_HZ
    info = MP3(tmp_path / "joined.mp3").info
    assert info.length == pytest.approx(len(joined) / RATE_HZ, abs=1e-6)
    # The Info frame's CRC, combined from the parts' own, is the CRC of the joined audio.
    stream = read_stream(
        tmp_path / "joined.mp3", sample_rate_hz=RATE_HZ, channels=1, bitrate_kbps=64
    )
    audio = (tmp_path / "joined.mp3").read_bytes()[stream.start : stream.end]
    assert stream.crc == crc16(audio)
    assert stream.frames == sum(frames) == len(frame_offsets(audio))


def test_tags_are_stripped_and_the_cues_move_with_their_part(tmp_path: Path) -> None:
    first = _part_file(tmp_path / "a.mp3", _tone(1.0, 300))
    plain = _part_file(tmp_path / "b.mp3", _tone(1.5, 600))
    tagged = tmp_path / "b-tagged.mp3"
    shutil.copy(plain, tagged)
    tags = ID3()
    tags.add(TIT2(encoding=3, text="عنوان"))
    tags.save(tagged, v2_version=3)
    cue_timeline = Timeline(
        cues=(Segment_cue := _cue(100, 900, sentence=2),),
        chapters=(),
        duration_ms=1500,
        sample_rate_hz=RATE_HZ,
    )
    del Segment_cue

    def join(second: Path, name: str) -> Timeline:
        parts = [Part(first, _empty(1000), 0), Part(second, cue_timeline, 1, sentence_offset=1)]
        return join_episode(parts, tmp_path / name, script=_script(2))

    with_tag, without = join(tagged, "t.mp3"), join(plain, "p.mp3")

    assert (tmp_path / "t.mp3").read_bytes() == (tmp_path / "p.mp3").read_bytes()
    assert with_tag == without
    [cue] = with_tag.cues
    start = with_tag.chapters[1].start_ms
    assert (cue.start_ms, cue.end_ms) == (start + 100, start + 900)
    assert (cue.section, cue.sentence) == (1, 3)


def _cue(start_ms: int, end_ms: int, *, sentence: int):  # type: ignore[no-untyped-def]
    from audiobrief.model import Cue

    return Cue(start_ms, end_ms, section=0, paragraph=1, sentence=sentence, written="x")


@pytest.mark.parametrize(
    ("rate_hz", "kbps", "why"), [(24000, 64, "24000 Hz"), (22050, 32, "32 kbps")]
)
def test_audio_of_another_format_is_unusable(
    tmp_path: Path, rate_hz: int, kbps: int, why: str
) -> None:
    pcm = (np.zeros(rate_hz, dtype="<i2") + 100).tobytes()
    other = _part_file(tmp_path / "other.mp3", pcm, rate_hz=rate_hz, kbps=kbps)

    with pytest.raises(UnusableAudioError, match=why):
        read_stream(other, sample_rate_hz=RATE_HZ, channels=1, bitrate_kbps=64)


def test_audio_without_an_info_frame_is_unusable(tmp_path: Path) -> None:
    ours = _part_file(tmp_path / "ours.mp3", _tone(1.0, 400))
    audio_start = read_stream(ours, sample_rate_hz=RATE_HZ, channels=1, bitrate_kbps=64).start
    bare = tmp_path / "bare.mp3"
    bare.write_bytes(ours.read_bytes()[audio_start:])

    with pytest.raises(UnusableAudioError, match="Info frame"):
        read_stream(bare, sample_rate_hz=RATE_HZ, channels=1, bitrate_kbps=64)


# --- a briefing joined from rendered article episodes, with a speech-like engine


def _tone_settings(root: Path) -> Settings:
    voices = root / "voices"
    voices.mkdir()
    (voices / "tone.toml").write_text('engine = "tone"\ndiacritize = false\n', encoding="utf-8")
    return Settings(voices_dir=voices, voice="tone", cache_dir=root / "cache")


@pytest.fixture
def tone_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    engine = ToneEngine(ms_per_char=40)
    monkeypatch.setitem(engines._extra, "tone", lambda **_: engine)
    return _tone_settings(tmp_path)


@pytest.fixture(scope="module")
def joined(tmp_path_factory: pytest.TempPathFactory) -> tuple[Rendered, list[Rendered]]:
    """A briefing joined from three articles, built once from cold caches for the checks
    that only read it; the rebuild test builds it a second time and compares."""
    with pytest.MonkeyPatch.context() as patch:
        engine = ToneEngine(ms_per_char=40)
        patch.setitem(engines._extra, "tone", lambda **_: engine)
        return _brief(_tone_settings(tmp_path_factory.mktemp("joined")))


def _article(k: int, sentences: int) -> Script:
    segments = tuple(
        Segment(
            f"جملة {k} رقم {n} في الخبر",
            f"جملة {k} رقم {n} في الخبر" + " طويلة" * (n % 3),
            0 if n == 0 else 1,
            n,
            Pauses().section_ms if n == sentences - 1 else Pauses().sentence_ms,
        )
        for n in range(sentences)
    )
    return Script(f"خبر {k}", (Section(f"خبر {k}", segments, f"https://example.org/{k}"),))


def _briefing(voice: Voice, articles: list[Script]) -> Script:
    return build_briefing(
        articles,
        day=dt.date(2026, 11, 28),
        show_title="موجز",
        month_style="maghreb",
        normalize=lambda text: text,
        diacritize=None,
        pauses=voice.pauses,
    )


def _brief(settings: Settings, *, reuse_all: bool = True) -> tuple[Rendered, list[Rendered]]:
    voice = open_voice(settings)
    articles = [_article(k, 4 + k) for k in range(3)]
    spoken = [render(a, voice, settings, label=a.title) for a in articles]
    reuse = [Encoded(r.mp3_path, r.timeline) if reuse_all else None for r in spoken]
    script = _briefing(voice, articles)
    return render_briefing(script, voice, settings, reuse=reuse, label="b"), spoken


def _true_peak_dbtp(samples: NDArray[np.float64]) -> float:
    up = resample(samples, samples.shape[0] * 4)  # FFT resampling: not the method under test
    return float(20 * np.log10(np.max(np.abs(up))))


def test_a_joined_briefing_decodes_and_meets_loudness_and_peak(
    joined: tuple[Rendered, list[Rendered]],
) -> None:
    briefing, spoken = joined

    decoded = _decode(briefing.mp3_path) / 32768.0
    assert MP3(briefing.mp3_path).info.length == pytest.approx(decoded.size / RATE_HZ, abs=1e-6)
    assert briefing.timeline.duration_ms == decoded.size * 1000 // RATE_HZ
    lufs = pyloudnorm.Meter(RATE_HZ).integrated_loudness(decoded)
    assert lufs == pytest.approx(-19.0, abs=1.0)
    assert _true_peak_dbtp(decoded) <= -1.0
    titles = [c.title for c in briefing.timeline.chapters]
    assert titles == ["مقدمة", "خبر 0", "خبر 1", "خبر 2", "خاتمة"]
    # Each article is heard in the briefing as in its own episode, from a frame boundary.
    for chapter, article in zip(briefing.timeline.chapters[1:4], spoken, strict=True):
        body = _decode(article.mp3_path) / 32768.0
        first_cue = next(
            c for c in briefing.timeline.cues if c.written == article.timeline.cues[0].written
        )
        start = (
            first_cue.start_ms * RATE_HZ // 1000
            - article.timeline.cues[0].start_ms * RATE_HZ // 1000
        )
        window = decoded[start - 40 : start + 40 + body.size]
        best = max(range(81), key=lambda lag: float(np.dot(window[lag : lag + 4000], body[:4000])))
        exact = start - 40 + best
        assert exact % FRAME == 0
        assert chapter.start_ms * RATE_HZ // 1000 <= exact
        assert np.max(np.abs(decoded[exact + FRAME : exact + body.size] - body[FRAME:])) < 1e-3


def test_a_briefing_rebuilds_byte_identical_from_cold_caches(
    joined: tuple[Rendered, list[Rendered]], tone_settings: Settings
) -> None:
    first, _ = joined
    again, _ = _brief(tone_settings)  # another folder, its own empty caches

    assert first.mp3 == again.mp3
    assert first.timeline == again.timeline


def test_without_article_audio_every_article_is_rendered_again(
    tone_settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level("INFO", logger="audiobrief.voice.briefing"):
        briefing, _ = _brief(tone_settings, reuse_all=False)
        joined, _ = _brief(tone_settings)

    assert "joined the audio of 0 articles, rendered 3 again" in caplog.text
    assert "joined the audio of 3 articles, rendered 0 again" in caplog.text
    # The same captions either way, but for the encoder's delay and padding (under 80 ms)
    # at each join: the intro, then an announcement, the article and a pause per article.
    for ours, theirs in zip(briefing.timeline.cues, joined.timeline.cues, strict=True):
        assert (ours.written, ours.section) == (theirs.written, theirs.section)
        assert abs(ours.start_ms - theirs.start_ms) <= 80 * 3 * ours.section


def _lede_only(briefing: Script, keep: int) -> Script:
    """Each article section cut to its first *keep* segments, then a pointer sentence."""
    sections = list(briefing.sections)
    for k in range(1, len(sections) - 1):
        head, *body = sections[k].segments
        lede = [*body[:keep]]
        lede[-1] = replace(lede[-1], pause_after_ms=Pauses().paragraph_ms)
        pointer = Segment("الخبر كاملا في الموقع.", "الخبر كاملا في الموقع.", 9, 99, 1500)
        sections[k] = replace(sections[k], segments=(head, *lede, pointer))
    return replace(briefing, sections=tuple(sections))


def test_a_lede_briefing_joins_the_first_frames_of_each_article(
    tone_settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    voice = open_voice(tone_settings)
    articles = [_article(k, 5) for k in range(2)]
    spoken = [render(a, voice, tone_settings, label=a.title) for a in articles]
    script = _lede_only(_briefing(voice, articles), keep=2)
    reuse = [Encoded(r.mp3_path, r.timeline) for r in spoken]

    with caplog.at_level("INFO", logger="audiobrief.voice.briefing"):
        briefing = render_briefing(script, voice, tone_settings, reuse=reuse, label="b")

    assert "joined the audio of 2 articles, rendered 0 again" in caplog.text
    decoded = _decode(briefing.mp3_path) / 32768.0
    assert briefing.timeline.duration_ms == decoded.size * 1000 // RATE_HZ
    assert pyloudnorm.Meter(RATE_HZ).integrated_loudness(decoded) == pytest.approx(-19, abs=1)
    assert _true_peak_dbtp(decoded) <= -1.0
    said = [c.written for c in briefing.timeline.cues]
    expected = [s.written for section in script.sections for s in section.segments]
    assert said == expected
    for article, section in zip(spoken, script.sections[1:3], strict=True):
        cues = [c for c in briefing.timeline.cues if c.section == script.sections.index(section)]
        lede_end, pointer = cues[2], cues[3]  # announcement, headline, first sentence, pointer
        assert pointer.start_ms - lede_end.end_ms >= Pauses().paragraph_ms - 40
        # The lede is the article's own audio, to the sample, from a frame boundary on.
        body = _decode(article.mp3_path)[: article.timeline.cues[1].end_ms * RATE_HZ // 1000]
        start = (
            cues[1].start_ms * RATE_HZ // 1000 - article.timeline.cues[0].start_ms * RATE_HZ // 1000
        )
        exact = (
            start - start % FRAME if start % FRAME < FRAME // 2 else start + FRAME - start % FRAME
        )
        here = decoded[exact + FRAME : exact + body.size] * 32768.0
        assert np.max(np.abs(here - body[FRAME:])) <= 2


def test_article_audio_that_cannot_be_joined_is_rendered_again_with_a_warning(
    tone_settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    voice = open_voice(tone_settings)
    articles = [_article(k, 4 + k) for k in range(2)]
    spoken = [render(a, voice, tone_settings, label=a.title) for a in articles]
    # The first article's audio is the second's: its words differ from what it says.
    reuse = [Encoded(spoken[1].mp3_path, spoken[1].timeline), None]
    with caplog.at_level("WARNING", logger="audiobrief.voice.briefing"):
        render_briefing(_briefing(voice, articles), voice, tone_settings, reuse=reuse, label="b")
    warned = [r for r in caplog.records if r.name == "audiobrief.voice.briefing"]
    assert len(warned) == 1
    assert warned[0].levelname == "WARNING"
    assert "rendering it again" in warned[0].getMessage()


@pytest.mark.parametrize("piece_bytes", [2, 5, 208, 209, 1000])
def test_a_cut_part_read_in_pieces_of_any_size_joins_the_same_frames(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, piece_bytes: int
) -> None:
    path = _part_file(tmp_path / "p.mp3", _tone(2.5, 440))
    stream = read_stream(path, sample_rate_hz=RATE_HZ, channels=1, bitrate_kbps=64)
    audio = path.read_bytes()[stream.start : stream.end]
    parts = [Part(path, _empty(500), 0, frames=37), Part(path, _empty(500), 1, frames=50)]
    whole = join_episode(parts, tmp_path / "whole.mp3", script=_script(2))
    monkeypatch.setattr(mp3join, "_COPY_BYTES", piece_bytes)

    pieces = join_episode(parts, tmp_path / "pieces.mp3", script=_script(2))

    assert (tmp_path / "pieces.mp3").read_bytes() == (tmp_path / "whole.mp3").read_bytes()
    assert pieces == whole
    joined = read_stream(
        tmp_path / "pieces.mp3", sample_rate_hz=RATE_HZ, channels=1, bitrate_kbps=64
    )
    offsets = frame_offsets(audio)
    expected = audio[: offsets[37]] + audio[: offsets[50]]  # frames cut where a parser cuts
    assert (tmp_path / "pieces.mp3").read_bytes()[joined.start : joined.end] == expected
    assert joined.crc == crc16(expected)
    assert joined.frames == 87


def test_a_frame_header_that_differs_is_parsed_whole(tmp_path: Path) -> None:
    path = _part_file(tmp_path / "p.mp3", _tone(1.0, 440))
    stream = read_stream(path, sample_rate_hz=RATE_HZ, channels=1, bitrate_kbps=64)
    data = bytearray(path.read_bytes())
    at = stream.start + frame_offsets(data[stream.start : stream.end])[3]
    data[at + 2] ^= 1  # the private bit: another header, the same frame length
    path.write_bytes(bytes(data))
    joined = tmp_path / "a.mp3"
    join_episode([Part(path, _empty(500), 0, frames=10)], joined, script=_script(1))
    out = read_stream(joined, sample_rate_hz=RATE_HZ, channels=1, bitrate_kbps=64)
    assert out.frames == 10
    tenth = frame_offsets(data[stream.start : stream.end])[10]  # where frame 11 begins
    assert joined.read_bytes()[out.start : out.end] == data[stream.start : stream.start + tenth]
    data[at] = 0  # no frame there at all
    path.write_bytes(bytes(data))

    with pytest.raises(AudioError, match="no MP3 Layer III frame"):
        join_episode([Part(path, _empty(500), 0, frames=10)], tmp_path / "b.mp3", script=_script(1))


def test_joining_loads_neither_numpy_nor_pydub() -> None:
    # A briefing whose parts are all encoded already pays for no audio library import.
    code = (
        "import sys, audiobrief.audio.mp3join; print(sorted({'numpy', 'pydub'} & set(sys.modules)))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
