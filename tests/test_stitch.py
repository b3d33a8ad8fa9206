"""Stitching: clips and pauses become one track, and the Timeline says when each is heard."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydub import AudioSegment

from audiobrief.audio.stitch import stitch
from audiobrief.errors import AudioError
from audiobrief.model import Cue, Script, Section, Segment
from support import FakeEngine


def _segment(text: str, pause_ms: int, paragraph: int = 1, sentence: int = 0) -> Segment:
    return Segment(
        written=text, spoken=text, paragraph=paragraph, sentence=sentence, pause_after_ms=pause_ms
    )


def _tone(ms: int, rate_hz: int, freq_hz: float = 440.0, channels: int = 1) -> AudioSegment:
    """A clip that is loud from its first sample to its last."""
    t = np.arange(rate_hz * ms // 1000) / rate_hz
    wave = 8000 + 4000 * np.sin(2 * np.pi * freq_hz * t)  # never near zero
    pcm = np.repeat(wave.astype("<i2")[:, np.newaxis], channels, axis=1).tobytes()
    return AudioSegment(data=pcm, sample_width=2, frame_rate=rate_hz, channels=channels)


def _samples(pcm: bytes, channels: int = 1) -> np.ndarray:
    return np.frombuffer(pcm, dtype="<i2").reshape(-1, channels)


def _onsets_ms(pcm: bytes, rate_hz: int) -> list[int]:
    """Where sound starts after silence, in ms (threshold well above resampling ringing)."""
    loud = np.abs(_samples(pcm)[:, 0].astype(int)) > 2000
    starts = np.flatnonzero(loud & ~np.concatenate(([False], loud[:-1])))
    return [int(i) * 1000 // rate_hz for i in starts]


def test_cues_and_chapters_follow_clips_and_pauses() -> None:
    engine = FakeEngine(sample_rate_hz=16000)  # 10 ms of audio per character
    script = Script(
        title="t",
        sections=(
            Section("intro", (_segment("a" * 10, 250, 0), _segment("b" * 5, 500, 1, 1))),
            Section("empty", ()),
            Section("story", (_segment("c" * 20, 900, 0),), url="https://example.com/s"),
        ),
    )
    clips = [engine.synthesize(s.spoken) for sec in script.sections for s in sec.segments]

    track, timeline = stitch(script, clips, sample_rate_hz=16000, tail_ms=300)

    spans = [(c.start_ms, c.end_ms, c.section, c.paragraph, c.written) for c in timeline.cues]
    assert spans == [
        (0, 100, 0, 0, "a" * 10),
        (350, 400, 0, 1, "b" * 5),
        (900, 1100, 2, 0, "c" * 20),  # its 900 ms pause is replaced by the 300 ms tail
    ]
    chapters = [(c.start_ms, c.end_ms, c.title, c.url) for c in timeline.chapters]
    assert chapters == [(0, 900, "intro", None), (900, 1400, "story", "https://example.com/s")]
    assert timeline.duration_ms == track.duration_ms == 1400
    assert len(track.pcm) == 1400 * 16 * 2
    assert (track.sample_rate_hz, track.channels) == (16000, 1)


def test_times_come_from_the_sample_count_without_drift() -> None:
    rate_hz = 22050  # 250 ms is 5512.5 samples: summed milliseconds would drift
    script = Script(
        title="t",
        sections=tuple(
            Section(f"s{k}", tuple(_segment(f"{k}.{i}", 250) for i in range(50))) for k in range(4)
        ),
    )
    clips = [_tone(123, rate_hz) for _ in range(200)]

    track, timeline = stitch(script, clips, sample_rate_hz=rate_hz)

    heard = _onsets_ms(track.pcm, rate_hz)
    assert heard == [cue.start_ms for cue in timeline.cues]
    assert [c.start_ms for c in timeline.chapters] == [heard[i] for i in (0, 50, 100, 150)]
    assert timeline.duration_ms == len(track.pcm) // 2 * 1000 // rate_hz


def test_mixed_sample_rates_are_resampled_not_reinterpreted() -> None:
    script = Script(
        title="t", sections=(Section("a", (_segment("gtts", 500), _segment("espeak", 500))),)
    )
    clips = [_tone(1000, 24000, freq_hz=1000.0), _tone(1000, 22050, freq_hz=1000.0)]

    track, timeline = stitch(script, clips, sample_rate_hz=22050, tail_ms=0)

    assert track.sample_rate_hz == timeline.sample_rate_hz == 22050
    first, second = timeline.cues
    assert first.end_ms - first.start_ms == second.end_ms - second.start_ms == 1000
    gtts_part = _samples(track.pcm)[:22050, 0].astype(float)
    spectrum = np.abs(np.fft.rfft(gtts_part - gtts_part.mean()))
    assert np.argmax(spectrum) * 22050 / len(gtts_part) == pytest.approx(1000.0, abs=2.0)


def test_stereo_and_8_bit_clips_take_the_episode_format() -> None:
    script = Script(title="t", sections=(Section("a", (_segment("x", 0), _segment("y", 0))),))
    stereo = _tone(200, 22050, channels=2)
    eight_bit = _tone(100, 22050).set_sample_width(1)

    mono, _ = stitch(script, [stereo, eight_bit], sample_rate_hz=22050, tail_ms=0)
    both, _ = stitch(
        script, [_tone(200, 22050), eight_bit], sample_rate_hz=22050, channels=2, tail_ms=300
    )

    assert (mono.channels, mono.duration_ms) == (1, 300)
    assert (both.channels, both.duration_ms) == (2, 600)
    left_right = _samples(both.pcm, 2)
    assert np.array_equal(left_right[:, 0], left_right[:, 1])


def test_cues_carry_each_segment_s_sentence_and_language() -> None:
    segments = (
        Segment("أ", "أ", 1, 0, 0),
        Segment("Renault", "رونو", 1, 1, 0, lang="fr"),
        Segment("ب", "ب", 2, 2, 0),
    )
    script = Script(title="t", sections=(Section("a", segments),))
    _, timeline = stitch(script, [_tone(50, 22050)] * 3, sample_rate_hz=22050)
    assert [(c.paragraph, c.sentence, c.lang) for c in timeline.cues] == [
        (1, 0, "ar"),
        (1, 1, "fr"),
        (2, 2, "ar"),
    ]


def test_resampled_stereo_keeps_its_channels_apart() -> None:
    # Left a 300 Hz tone, right a 900 Hz one, at 44.1 kHz, into a 22.05 kHz stereo episode.
    t = np.arange(44100 // 5) / 44100
    left, right = 8000 * np.sin(2 * np.pi * 300 * t), 8000 * np.sin(2 * np.pi * 900 * t)
    pcm = np.stack([left, right], axis=1).astype("<i2").tobytes()
    clip = AudioSegment(data=pcm, sample_width=2, frame_rate=44100, channels=2)
    script = Script(title="t", sections=(Section("a", (_segment("x", 0),)),))

    track, _ = stitch(script, [clip], sample_rate_hz=22050, channels=2, tail_ms=0)

    out = _samples(track.pcm, 2).astype(float)
    assert out.shape == (22050 // 5, 2)
    for channel, tone_hz in ((0, 300), (1, 900)):
        spectrum = np.abs(np.fft.rfft(out[:, channel]))
        assert np.argmax(spectrum) * 22050 / out.shape[0] == pytest.approx(tone_hz, abs=10)


def test_a_full_scale_clip_resampled_is_clipped_never_wrapped() -> None:
    # A full-scale square wave overshoots when resampled; it must not wrap around to -32768.
    square = np.where((np.arange(4410) // 50) % 2 == 0, 32767, -32768).astype("<i2")
    clip = AudioSegment(data=square.tobytes(), sample_width=2, frame_rate=44100, channels=1)
    script = Script(title="t", sections=(Section("a", (_segment("x", 0),)),))

    track, _ = stitch(script, [clip], sample_rate_hz=22050, tail_ms=0)

    out = _samples(track.pcm)[:, 0].astype(int)
    expected = np.where((np.arange(out.size) // 25) % 2 == 0, 1, -1)
    inside = (np.arange(out.size) % 25 > 3) & (np.arange(out.size) % 25 < 21)  # away from edges
    assert np.all(np.sign(out[inside]) == expected[inside])
    assert out.max() == 32767
    assert out.min() == -32768


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"sample_rate_hz": 0}, "sample_rate_hz = 0; set a rate such as 22050"),
        ({"sample_rate_hz": 22050, "tail_ms": -1}, "tail_ms = -1; the silence at the end"),
    ],
)
def test_impossible_formats_are_refused_with_the_fix(options: dict[str, int], message: str) -> None:
    script = Script(title="t", sections=(Section("a", (_segment("x", 0),)),))
    with pytest.raises(AudioError, match=message):
        stitch(script, [_tone(10, 22050)], **options)


def test_a_negative_pause_is_refused_naming_the_segment() -> None:
    script = Script(title="t", sections=(Section("a", (_segment("أولا", -5), _segment("x", 0))),))
    with pytest.raises(AudioError, match=r"segment 0 \('أولا'\) has a negative pause of -5 ms"):
        stitch(script, [_tone(10, 22050)] * 2, sample_rate_hz=22050)


def test_empty_clips_and_no_pauses_are_an_audio_error_naming_the_script() -> None:
    script = Script(title="موجز", sections=(Section("a", (_segment("x", 0),)),))
    silent = AudioSegment(data=b"", sample_width=2, frame_rate=22050, channels=1)
    with pytest.raises(AudioError, match="the clips of 'موجز' hold no audio; check the voice"):
        stitch(script, [silent], sample_rate_hz=22050, tail_ms=0)


def test_a_section_heard_for_no_time_before_the_last_gets_no_chapter() -> None:
    # Its start would equal the next chapter's: players would show a duplicate.
    empty = AudioSegment(data=b"", sample_width=2, frame_rate=22050, channels=1)
    script = Script(
        title="t",
        sections=(
            Section("first", (_segment("x", 100),)),
            Section("blink", (_segment("y", 0),)),
            Section("last", (_segment("z", 0),)),
        ),
    )
    _, timeline = stitch(
        script, [_tone(100, 22050), empty, _tone(100, 22050)], sample_rate_hz=22050
    )
    assert [(c.title, c.start_ms) for c in timeline.chapters] == [("first", 0), ("last", 200)]


def test_stitch_never_sums_audio_segments(monkeypatch: pytest.MonkeyPatch) -> None:
    """Summing AudioSegments copies the episode once per clip: quadratic in its length."""

    def refuse(*_: object) -> None:
        raise AssertionError("AudioSegment + AudioSegment")

    clips = [_tone(50, 16000) for _ in range(3)]
    monkeypatch.setattr(AudioSegment, "__add__", refuse)
    monkeypatch.setattr(AudioSegment, "append", refuse)
    script = Script(
        title="t", sections=(Section("a", tuple(_segment("x", 100) for _ in range(3))),)
    )

    track, _ = stitch(script, clips, sample_rate_hz=16000, tail_ms=300)

    assert track.duration_ms == 3 * 50 + 2 * 100 + 300


def test_a_clip_count_that_does_not_match_the_script_is_an_audio_error() -> None:
    script = Script(title="t", sections=(Section("a", (_segment("x", 0),)),))
    with pytest.raises(AudioError, match="2 clips for 1 segments"):
        stitch(script, [_tone(10, 22050)] * 2, sample_rate_hz=22050)


def test_a_script_without_segments_is_an_audio_error() -> None:
    with pytest.raises(AudioError, match="no segments"):
        stitch(Script(title="t", sections=(Section("a", ()),)), [], sample_rate_hz=22050)


def test_three_channel_episodes_are_refused_with_the_fix() -> None:
    script = Script(title="t", sections=(Section("a", (_segment("x", 0),)),))
    with pytest.raises(AudioError, match="set channels to 1 or 2"):
        stitch(script, [_tone(10, 22050)], sample_rate_hz=22050, channels=3)


_sections = st.lists(
    st.lists(st.tuples(st.integers(0, 30), st.integers(0, 1500)), max_size=4),
    min_size=1,
    max_size=5,
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    sections=_sections,
    clip_rates=st.lists(st.sampled_from([16000, 22050, 24000]), min_size=1, max_size=3),
    rate_hz=st.sampled_from([8000, 16000, 22050, 24000, 44100]),
    tail_ms=st.integers(0, 500),
)
def test_chapters_are_ordered_disjoint_and_cover_the_track(
    sections: list[list[tuple[int, int]]], clip_rates: list[int], rate_hz: int, tail_ms: int
) -> None:
    script = Script(
        title="t",
        sections=tuple(
            Section(f"s{k}", tuple(_segment("x" * chars, pause) for chars, pause in segs))
            for k, segs in enumerate(sections)
        ),
    )
    engines = [FakeEngine(sample_rate_hz=r) for r in clip_rates]
    texts = [seg.spoken for section in script.sections for seg in section.segments]
    clips = [engines[i % len(engines)].synthesize(text) for i, text in enumerate(texts)]
    pauses = [*[pause for segs in sections for _, pause in segs][:-1], tail_ms]
    if not texts or (not any(c.frame_count() for c in clips) and not any(pauses)):
        with pytest.raises(AudioError):
            stitch(script, clips, sample_rate_hz=rate_hz, tail_ms=tail_ms)
        return

    track, timeline = stitch(script, clips, sample_rate_hz=rate_hz, tail_ms=tail_ms)

    assert timeline.duration_ms == track.duration_ms
    chapters = timeline.chapters
    if timeline.duration_ms > 0:
        assert chapters[0].start_ms == 0
        assert chapters[-1].end_ms == timeline.duration_ms
    assert all(c.start_ms < c.end_ms for c in chapters)
    assert all(a.end_ms == b.start_ms for a, b in itertools.pairwise(chapters))
    titled = {s.title for s in script.sections if s.segments}
    assert {c.title for c in chapters} <= titled
    cues: list[Cue] = list(timeline.cues)
    assert len(cues) == len(texts)
    assert all(c.start_ms <= c.end_ms <= timeline.duration_ms for c in cues)
    assert all(a.end_ms <= b.start_ms for a, b in itertools.pairwise(cues))
    for chapter in chapters:  # each chapter starts with the first sample of its section
        index = int(chapter.title[1:])
        first = next(c for c in cues if c.section == index)
        assert chapter.start_ms == first.start_ms
