"""MP3 encoding: a valid 64 kbps file whose length and chapter times match the Timeline."""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np
import pytest
from mutagen.mp3 import MP3
from mutagen.mp3._util import XingHeader  # no public face for the Xing/Info fields
from pydub import AudioSegment

from audiobrief.audio.encode import AUDIO_MIME, Mp3Writer, encode_mp3
from audiobrief.audio.lametag import crc16, frame_offsets
from audiobrief.audio.stitch import stitch
from audiobrief.errors import AudioError
from audiobrief.model import Script, Section, Segment, Track
from support import bitwise_crc16


def _tone_track(seconds: float, rate_hz: int = 22050, channels: int = 1) -> Track:
    t = np.arange(int(seconds * rate_hz)) / rate_hz
    wave = (6000 * np.sin(2 * np.pi * 330 * t)).astype("<i2")
    pcm = np.repeat(wave[:, np.newaxis], channels, axis=1)
    return Track(pcm=pcm.tobytes(), sample_rate_hz=rate_hz, channels=channels)


def _read(mp3: bytes, tmp_path: Path) -> MP3:
    path = tmp_path / "episode.mp3"
    path.write_bytes(mp3)
    return MP3(path)


@pytest.mark.parametrize(("rate_hz", "channels"), [(22050, 1), (24000, 1), (44100, 2)])
def test_mp3_is_64_kbps_cbr_with_the_track_length(
    rate_hz: int, channels: int, tmp_path: Path
) -> None:
    track = _tone_track(2.345, rate_hz, channels)

    info = _read(encode_mp3(track), tmp_path).info

    assert (round(info.bitrate / 1000), info.sample_rate, info.channels) == (64, rate_hz, channels)
    assert abs(info.length * 1000 - len(track.pcm) / (2 * channels) * 1000 / rate_hz) < 1
    assert info.encoder_info.startswith("LAME")
    assert AUDIO_MIME == "audio/mpeg"


def test_the_info_frame_declares_the_encoder_delay_and_padding(tmp_path: Path) -> None:
    track = _tone_track(1.0)
    mp3 = encode_mp3(track)

    lame = _read(mp3, tmp_path).info
    frames = len(frame_offsets(mp3)) - 1  # the Info frame holds no audio
    assert mp3[13:17] == b"Info"  # after the 4-byte header and 9 bytes of MPEG-2 side info
    delay_padding = frames * 576 - 22050
    assert delay_padding >= 576 + 529  # what decoders that ignore the tag would play first
    assert lame.length == pytest.approx(1.0, abs=1e-6)


def test_the_lame_tag_crc_checks_out() -> None:
    mp3 = encode_mp3(_tone_track(0.5))
    tag_end = 13 + 120 + 34  # header, side info, Xing fields, LAME fields before the CRC
    assert int.from_bytes(mp3[tag_end : tag_end + 2], "big") == bitwise_crc16(mp3[:tag_end])
    music_crc = int.from_bytes(mp3[tag_end - 2 : tag_end], "big")
    audio_start = frame_offsets(mp3)[1]
    assert music_crc == crc16(mp3[audio_start:])


@pytest.mark.parametrize(("seconds", "rate_hz", "channels"), [(60.0, 22050, 1), (7.3, 44100, 2)])
def test_the_seek_table_sends_players_to_the_right_percent_of_the_audio(
    seconds: float, rate_hz: int, channels: int
) -> None:
    # Players without an index seek to p% by jumping to byte toc[p] / 256 of the file.
    mp3 = encode_mp3(_tone_track(seconds, rate_hz, channels))
    tag = mp3.index(b"Info")
    xing = XingHeader(io.BytesIO(mp3[tag:]))  # mutagen's parser, not ours
    starts = frame_offsets(mp3)[1:]  # the audio frames, after the Info frame
    assert (xing.frames, xing.bytes) == (len(starts), len(mp3))
    assert len(xing.toc) == 100
    assert xing.toc == sorted(xing.toc)
    assert xing.toc[0] * len(mp3) // 256 <= starts[0]
    for percent, entry in enumerate(xing.toc):
        landing = entry * len(mp3) / 256
        reached = sum(start < landing for start in starts) / len(starts)
        assert reached == pytest.approx(percent / 100, abs=1 / 256 + 2 / len(starts)), percent


def test_crc16_matches_the_standard_check_value_and_a_bitwise_crc() -> None:
    assert crc16(b"123456789") == 0xBB3D  # CRC-16/ARC check value
    data = os.urandom(200_003)  # long enough for the block-parallel path
    assert crc16(data) == bitwise_crc16(data)


@pytest.mark.parametrize("size", [255, 256, 257, 1000, 3 * 256 + 1, 4097, 65_537])
def test_crc16_of_any_length_matches_a_bitwise_crc(size: int) -> None:
    # Blocks side by side, an odd count of them at some fold, data not a whole block.
    data = os.urandom(size)
    assert crc16(data) == bitwise_crc16(data)


def test_encoding_is_deterministic() -> None:
    track = _tone_track(1.5)
    assert encode_mp3(track) == encode_mp3(track)


def test_decoded_audio_starts_where_the_track_does() -> None:
    miniaudio = pytest.importorskip("miniaudio")
    rate_hz = 22050
    pcm = np.zeros(rate_hz * 2, dtype="<i2")
    pcm[12345:12349] = [20000, -20000, 20000, -20000]  # a click at 559.9 ms
    track = Track(pcm=pcm.tobytes(), sample_rate_hz=rate_hz, channels=1)

    decoded = miniaudio.decode(encode_mp3(track), nchannels=1, sample_rate=rate_hz)

    heard = np.frombuffer(decoded.samples, dtype="<i2")
    assert len(heard) == len(pcm)  # delay and padding are trimmed: gapless
    assert abs(int(np.argmax(np.abs(heard))) - 12346) <= 4


def test_chapter_starts_are_heard_where_the_timeline_says(tmp_path: Path) -> None:
    miniaudio = pytest.importorskip("miniaudio")
    rate_hz = 22050

    def burst(ms: int) -> AudioSegment:
        t = np.arange(rate_hz * ms // 1000) / rate_hz
        pcm = (9000 * np.sin(2 * np.pi * 500 * t)).astype("<i2").tobytes()
        return AudioSegment(data=pcm, sample_width=2, frame_rate=rate_hz, channels=1)

    def segment(pause_ms: int) -> Segment:
        return Segment(written="w", spoken="s", paragraph=1, sentence=0, pause_after_ms=pause_ms)

    script = Script(
        title="t",
        sections=tuple(Section(f"c{k}", (segment(700), segment(1500))) for k in range(3)),
    )
    track, timeline = stitch(
        script, [burst(400 + 37 * i) for i in range(6)], sample_rate_hz=rate_hz
    )

    mp3 = encode_mp3(track)
    decoded = miniaudio.decode(mp3, nchannels=1, sample_rate=rate_hz)

    heard = np.abs(np.frombuffer(decoded.samples, dtype="<i2").astype(int)) > 3000
    onsets = np.flatnonzero(heard & ~np.concatenate(([False], heard[:-1])))
    # A 500 Hz tone crosses zero every millisecond: keep onsets after 100 ms of quiet.
    gaps = np.diff(np.concatenate(([-rate_hz], onsets)))
    starts_ms = [int(i) * 1000 // rate_hz for i in onsets[gaps > rate_hz // 10]]
    assert len(starts_ms) == len(timeline.cues)
    for chapter in timeline.chapters:
        assert min(abs(chapter.start_ms - s) for s in starts_ms) <= 20
    assert abs(_read(mp3, tmp_path).info.length * 1000 - timeline.duration_ms) <= 50


@pytest.mark.parametrize(
    ("rate_hz", "kbps", "message"),
    [
        (22000, 64, "set sample_rate_hz to one of"),
        (22050, 192, "set bitrate_kbps to one of 8, 16"),
        (44100, 66, "set bitrate_kbps to one of 32, 40"),
    ],
)
def test_impossible_mp3_settings_are_audio_errors_with_the_fix(
    rate_hz: int, kbps: int, message: str
) -> None:
    with pytest.raises(AudioError, match=message):
        encode_mp3(_tone_track(0.1, rate_hz), bitrate_kbps=kbps)


def test_an_empty_track_is_an_audio_error() -> None:
    with pytest.raises(AudioError, match="nothing to encode"):
        encode_mp3(Track(pcm=b"", sample_rate_hz=22050, channels=1))


def test_a_low_bitrate_still_gets_a_readable_info_frame(tmp_path: Path) -> None:
    # At 32 kbps a 22.05 kHz frame (104 bytes) is too small for the tag: a larger one holds it.
    info = _read(encode_mp3(_tone_track(1.0), bitrate_kbps=32), tmp_path).info
    assert info.length == pytest.approx(1.0, abs=1e-6)
    assert round(info.bitrate / 1000) == 32


def test_a_stream_written_in_pieces_is_the_one_encoded_whole() -> None:
    rng = np.random.default_rng(5)
    pcm = rng.normal(0, 3000, 22050 * 7).astype("<i2").tobytes()
    out = io.BytesIO()
    writer = Mp3Writer(out, sample_rate_hz=22050, channels=1, bitrate_kbps=64)
    for start in range(0, len(pcm), 2 * 1234):
        writer.write(pcm[start : start + 2 * 1234])

    assert writer.close() == len(out.getvalue())
    assert out.getvalue() == encode_mp3(Track(pcm, 22050, 1))
