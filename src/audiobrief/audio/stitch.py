"""Audio stage: clips and pauses -> one PCM track and the Timeline that says when each is heard."""

from __future__ import annotations

import io
import logging
import math
from collections.abc import Sequence
from typing import BinaryIO

import numpy as np
from numpy.typing import NDArray
from pydub import AudioSegment

from audiobrief.audio.chapters import section_chapters
from audiobrief.errors import AudioError
from audiobrief.model import Cue, Script, Timeline, Track

logger = logging.getLogger(__name__)

SAMPLE_WIDTH_BYTES = 2
"""Every track is signed 16-bit little-endian PCM."""


def stitch(
    script: Script,
    clips: Sequence[AudioSegment],
    *,
    sample_rate_hz: int,
    channels: int = 1,
    tail_ms: int = 80,  # a short tail: the last caption ends with the speech, as apps expect
) -> tuple[Track, Timeline]:
    """Join the clips of *script*'s segments, each followed by its pause, and time them.

    `clips[i]` is the audio of the i-th segment, counted section by section. The whole
    track in memory: for short audio and tests; render() streams through a Stitcher.

    Raises:
        AudioError: the clips do not match the script, or the settings are impossible.
    """
    count = sum(len(section.segments) for section in script.sections)
    if len(clips) != count:
        raise AudioError(
            f"got {len(clips)} clips for {count} segments of {script.title!r}; "
            "synthesize exactly one clip per segment, in script order."
        )
    out = io.BytesIO()
    stitcher = Stitcher(
        script, out, sample_rate_hz=sample_rate_hz, channels=channels, tail_ms=tail_ms
    )
    for clip in clips:
        stitcher.add(clip)
    timeline = stitcher.finish()
    return Track(pcm=out.getvalue(), sample_rate_hz=sample_rate_hz, channels=channels), timeline


class Stitcher:
    """Clips in, one after another, written to *out* with their pauses; the Timeline out.

    Each clip is converted to the episode's one format (rate, channels, 16-bit); the last
    segment's pause is replaced by *tail_ms*. Every time comes from the running sample
    count, so the Timeline and the audio agree to the sample whatever the length, and
    only one clip is held at a time.
    """

    def __init__(
        self,
        script: Script,
        out: BinaryIO,
        *,
        sample_rate_hz: int,
        channels: int = 1,
        tail_ms: int = 80,
    ) -> None:
        _check_format(sample_rate_hz, channels, tail_ms)
        # Walked, not listed: a long script costs no second copy of its segment list.
        self._segments = (
            (i, seg) for i, section in enumerate(script.sections) for seg in section.segments
        )
        self._count = sum(len(section.segments) for section in script.sections)
        if not self._count:
            raise AudioError(f"{script.title!r} has no segments to speak; give it some text.")
        self._script, self._out = script, out
        self._rate, self._channels, self._tail_ms = sample_rate_hz, channels, tail_ms
        self._silence: dict[int, bytes] = {}  # pauses repeat a few lengths: share their bytes
        self._cues: list[Cue] = []
        self._section_starts: dict[int, int] = {}  # section index -> frame of its first sample
        self.frames = 0

    def add(self, clip: AudioSegment) -> None:
        """The next segment's clip, then its pause."""
        n = len(self._cues)
        if n == self._count:
            raise AudioError(
                f"got more clips than the {n} segments of {self._script.title!r}; "
                "synthesize exactly one clip per segment, in script order."
            )
        section_index, segment = next(self._segments)
        rate, frame_bytes = self._rate, SAMPLE_WIDTH_BYTES * self._channels
        pcm = convert(clip, sample_rate_hz=rate, channels=self._channels)
        self._section_starts.setdefault(section_index, self.frames)
        start = self.frames
        self._out.write(pcm)
        self.frames += len(pcm) // frame_bytes
        self._cues.append(
            Cue(
                start_ms=_ms(start, rate),
                end_ms=_ms(self.frames, rate),
                section=section_index,
                paragraph=segment.paragraph,
                sentence=segment.sentence,
                written=segment.written,
                lang=segment.lang,
            )
        )
        pause_ms = self._tail_ms if n == self._count - 1 else segment.pause_after_ms
        if pause_ms < 0:
            raise AudioError(
                f"segment {n} ({segment.written[:30]!r}) has a negative pause of {pause_ms} ms; "
                "pauses must be 0 ms or more."
            )
        pause_frames = (pause_ms * rate + 500) // 1000
        if pause_frames not in self._silence:
            self._silence[pause_frames] = bytes(pause_frames * frame_bytes)
        self._out.write(self._silence[pause_frames])
        self.frames += pause_frames

    def finish(self) -> Timeline:
        """The Timeline, once every segment's clip has been added."""
        if len(self._cues) != self._count:
            raise AudioError(
                f"got {len(self._cues)} clips for {self._count} segments of "
                f"{self._script.title!r}; synthesize exactly one clip per segment, in order."
            )
        if self.frames == 0:
            raise AudioError(
                f"the clips of {self._script.title!r} hold no audio; check the voice engine."
            )
        duration_ms = _ms(self.frames, self._rate)
        chapters = section_chapters(self._script, self._section_starts, self._rate, duration_ms)
        timeline = Timeline(
            cues=tuple(self._cues),
            chapters=chapters,
            duration_ms=duration_ms,
            sample_rate_hz=self._rate,
        )
        logger.info(
            "stitched %d clips into %d ms (%d chapters)",
            len(self._cues),
            timeline.duration_ms,
            len(chapters),
        )
        return timeline


def convert(clip: AudioSegment, *, sample_rate_hz: int, channels: int) -> bytes:
    """A clip's audio as 16-bit PCM at *sample_rate_hz* with *channels* channels."""
    if clip.channels not in (1, 2):
        raise AudioError(
            f"a clip has {clip.channels} channels; give mono or stereo audio (1 or 2 channels)."
        )
    if clip.sample_width != SAMPLE_WIDTH_BYTES:
        clip = clip.set_sample_width(SAMPLE_WIDTH_BYTES)
    if clip.channels != channels:
        clip = clip.set_channels(channels)
    pcm: bytes = clip.raw_data
    if clip.frame_rate == sample_rate_hz or not pcm:
        return pcm
    return _resample(pcm, clip.frame_rate, sample_rate_hz, channels)


def _resample(pcm: bytes, from_hz: int, to_hz: int, channels: int) -> bytes:
    """Band-limited polyphase resampling (gTTS 24 kHz and eSpeak 22.05 kHz in one episode)."""
    # pydub's set_frame_rate (audioop.ratecv) does not filter, so it would alias.
    # scipy is imported here only: most episodes have one rate and never need it.
    from scipy.signal import resample_poly  # type: ignore[import-untyped]  # no stubs

    g = math.gcd(from_hz, to_hz)
    samples = np.frombuffer(pcm, dtype="<i2").reshape(-1, channels).astype(np.float64)
    resampled: NDArray[np.float64] = resample_poly(samples, to_hz // g, from_hz // g, axis=0)
    clipped = np.clip(np.rint(resampled), -32768, 32767)
    return clipped.astype("<i2").tobytes()


def _ms(frames: int, sample_rate_hz: int) -> int:
    """Whole milliseconds at a frame count; floor, as Track.duration_ms counts them."""
    return frames * 1000 // sample_rate_hz


def _check_format(sample_rate_hz: int, channels: int, tail_ms: int) -> None:
    if channels not in (1, 2):
        raise AudioError(f"channels = {channels} is not supported; set channels to 1 or 2.")
    if sample_rate_hz <= 0:
        raise AudioError(f"sample_rate_hz = {sample_rate_hz}; set a rate such as 22050.")
    if tail_ms < 0:
        raise AudioError(f"tail_ms = {tail_ms}; the silence at the end must be 0 ms or more.")
