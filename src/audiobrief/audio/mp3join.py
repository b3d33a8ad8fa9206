"""Audio stage: one MP3 joined from finished MP3 streams at frame boundaries, not re-encoded.

Every LAME stream's first frame starts with an empty bit reservoir, so streams encoded
with the same rate, bitrate and channels join into one valid stream once each loses its
ID3 tag and its Info frame. Timing stays exact: each stream declares an encoder delay of
ENCODER_DELAY_SAMPLES in its Info frame; the joined file declares the first stream's, so
a player skips it once and every part k is heard from sample P_k = 576 x (frames before
it), its own delay filling the place of the one skipped. A part's padding and the next
part's delay stay in the stream as a few ms of silence at each join.
"""

from __future__ import annotations

import logging
import re
import struct
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import BinaryIO, overload

from audiobrief.audio.chapters import section_chapters
from audiobrief.audio.encode import DEFAULT_QUALITY, ENCODER_DELAY_SAMPLES, Mp3Writer
from audiobrief.audio.lametag import (
    ENCODER_VERSION,
    FrameHeader,
    crc16_combine,
    crc16_update,
    info_frame_for,
    info_size,
    parse_header,
)
from audiobrief.errors import AudioError
from audiobrief.model import Cue, Script, Timeline

logger = logging.getLogger(__name__)

_COPY_BYTES = 1 << 20
_HEAD_BYTES = 1 << 16  # ID3 tags with cover art can be larger: read on when needed
_DELAY_AT = 141  # bytes from "Info" to the LAME tag's delay and padding (3 bytes)
_CRC_AT = 152  # bytes from "Info" to the LAME tag's CRC-16 of the audio frames


class UnusableAudioError(AudioError):
    """An MP3 that cannot join the others as it is; render its part again instead."""


@dataclass(frozen=True)
class Part:
    """A finished MP3 and its Timeline, as one piece of a joined episode."""

    mp3_path: Path
    timeline: Timeline
    section: int
    """The section (chapter) of the joined episode's script that this part belongs to."""
    sentence_offset: int = 0
    """Added to the part's cue sentence numbers (an announcement before an article)."""
    frames: int | None = None
    """Join only the first *frames* frames (None: all). Frames borrow bits only from
    earlier ones, so the start of a stream is a valid stream; cut it in a silence."""


@dataclass(frozen=True)
class Stream:
    """Where the audio frames of an MP3 file lie, and what its Info frame says."""

    start: int
    """Byte offset of the first audio frame, after the ID3 tag and the Info frame."""
    end: int
    """Byte offset just after the last audio frame (an ID3v1 tag may follow)."""
    first: FrameHeader
    frames: int
    delay_samples: int
    padding_samples: int
    crc: int
    """CRC-16 of the audio frames, as the Info frame states it."""

    @property
    def samples(self) -> int:
        """PCM frames heard when the stream plays alone."""
        return (
            self.frames * self.first.samples_per_frame - self.delay_samples - self.padding_samples
        )


def read_stream(path: Path, *, sample_rate_hz: int, channels: int, bitrate_kbps: int) -> Stream:
    """Find the audio of *path* and check that it can join streams of the format given.

    Raises:
        UnusableAudioError: not an MP3 of that format made by our encoder (render again).
    """
    stream = _locate(path)
    mono = stream.first.mode == 3
    found = (stream.first.sample_rate_hz, stream.first.bitrate_kbps, 1 if mono else 2)
    if found != (sample_rate_hz, bitrate_kbps, channels):
        raise UnusableAudioError(
            f"{path} is {found[0]} Hz, {found[1]} kbps, {found[2]} channel(s); the episode "
            f"is {sample_rate_hz} Hz, {bitrate_kbps} kbps, {channels} channel(s)"
        )
    return stream


def join_episode(parts: Sequence[Part], out_path: Path, *, script: Script) -> Timeline:
    """Join *parts* (MP3 files of one format, made by our encoder) into *out_path*.

    Returns the joined Timeline: each part's cues moved to where the part starts and
    given its section; one chapter per section of *script* that parts belong to, each
    starting exactly at the first frame of its first part.

    Raises:
        UnusableAudioError: a part cannot join the first one (read_stream tells first).
    """
    if not parts:
        raise AudioError("there are no parts to join; give at least one.")
    lead = _locate(parts[0].mp3_path)
    rate, spf = lead.first.sample_rate_hz, lead.first.samples_per_frame
    fmt = {
        "sample_rate_hz": rate,
        "channels": 1 if lead.first.mode == 3 else 2,
        "bitrate_kbps": lead.first.bitrate_kbps,
    }
    cues: list[Cue] = []
    section_starts: dict[int, int] = {}
    frames_before, size, crc, padding = 0, 0, 0, 0
    layout: list[tuple[int, int, int, int]] = []  # per part: first frame, frames, byte, bytes
    with out_path.open("wb") as out:
        out.write(bytes(info_size(lead.first)))  # the Info frame's place, written last
        streams: dict[tuple[Path, int | None], Stream] = {}  # a briefing's pauses share a file
        for part in parts:
            stream = streams.get((part.mp3_path, part.frames)) or read_stream(part.mp3_path, **fmt)
            offset = frames_before * spf  # the sample where this part is heard
            section_starts.setdefault(part.section, offset)
            # The part's own times are whole ms, so a cue inside it may land up to 1 ms
            # early; part (and chapter) starts are exact.
            shift_ms = offset * 1000 // rate
            cues += [
                replace(
                    cue,
                    start_ms=shift_ms + cue.start_ms,
                    end_ms=shift_ms + cue.end_ms,
                    section=part.section,
                    sentence=cue.sentence + part.sentence_offset,
                )
                for cue in part.timeline.cues
            ]
            if part.frames is not None and part.frames < stream.frames:
                stream = _prefix(part.mp3_path, stream, part.frames)
            streams[part.mp3_path, part.frames] = stream
            length = stream.end - stream.start
            _copy(part.mp3_path, stream, out)
            # Each part's Info frame has its CRC; the CRC is linear, so they combine.
            crc = crc16_combine(crc, stream.crc, length)
            layout.append((frames_before, stream.frames, size, length))
            frames_before += stream.frames
            size += length
            padding = stream.padding_samples
        samples = frames_before * spf - ENCODER_DELAY_SAMPLES - padding
        out.seek(0)
        out.write(
            info_frame_for(
                lead.first,
                _Offsets(layout),
                size,
                crc,
                samples=samples,
                delay_samples=ENCODER_DELAY_SAMPLES,
                quality=DEFAULT_QUALITY,
            )
        )
    duration_ms = samples * 1000 // rate
    timeline = Timeline(
        cues=tuple(cues),
        chapters=section_chapters(script, section_starts, rate, duration_ms),
        duration_ms=duration_ms,
        sample_rate_hz=rate,
    )
    logger.info("joined %d parts into %d ms", len(parts), duration_ms)
    return timeline


def silence_frames(ms: int, sample_rate_hz: int) -> int | None:
    """How many frames `silence_mp3` makes for *ms*: LAME's delay, the samples, and one
    to flush, in 576-sample frames (None at 32 kHz and over: MPEG-1's 1,152, not known)."""
    if sample_rate_hz >= 32000:
        return None
    samples = max(1, ms * sample_rate_hz // 1000)
    return -(-(samples + ENCODER_DELAY_SAMPLES) // 576) + 1


def silence_mp3(
    path: Path, *, ms: int, sample_rate_hz: int, channels: int, bitrate_kbps: int
) -> Path:
    """An MP3 of *ms* of silence, to join between parts as a pause."""
    frames = max(1, ms * sample_rate_hz // 1000)
    with path.open("wb") as out:
        writer = Mp3Writer(
            out, sample_rate_hz=sample_rate_hz, channels=channels, bitrate_kbps=bitrate_kbps
        )
        writer.write(bytes(2 * channels * frames))
        writer.close()
    return path


def _locate(path: Path) -> Stream:
    """The audio frames of *path*: after its ID3v2 tag and Info frame, as that frame says."""
    try:
        with path.open("rb") as handle:
            head = handle.read(10)
            start = 0
            if head[:3] == b"ID3" and len(head) == 10:
                size = (head[6] & 0x7F) << 21 | (head[7] & 0x7F) << 14
                size |= (head[8] & 0x7F) << 7 | head[9] & 0x7F
                start = 10 + size + (10 if head[5] & 0x10 else 0)  # a footer repeats it
            handle.seek(start)
            info = handle.read(_HEAD_BYTES)
            file_size = path.stat().st_size
    except OSError as exc:
        raise UnusableAudioError(f"cannot read {path} ({exc})") from exc
    try:
        header = parse_header(info, 0)
        at = 4 + header.side_info_bytes
        if info[at : at + 4] != b"Info":
            raise UnusableAudioError(f"{path} has no LAME Info frame (not constant bitrate)")
        first = parse_header(info, header.length_bytes)
        frames_and_info, total = struct.unpack_from(">II", info, at + 8)
        (crc,) = struct.unpack_from(">H", info, at + _CRC_AT)
    except (AudioError, struct.error) as exc:
        raise UnusableAudioError(f"{path} is not an MP3 made by audiobrief ({exc})") from exc
    version = info[at + 120 : at + 129].rstrip(b"\x00")
    code = int.from_bytes(info[at + _DELAY_AT : at + _DELAY_AT + 3], "big")
    stream = Stream(
        start=start + header.length_bytes,
        end=start + total,
        first=first,
        frames=frames_and_info,
        delay_samples=code >> 12,
        padding_samples=code & 0xFFF,
        crc=crc,
    )
    if version != ENCODER_VERSION or stream.delay_samples != ENCODER_DELAY_SAMPLES:
        raise UnusableAudioError(f"{path} was not made by this encoder")
    if stream.end > file_size or stream.end <= stream.start:
        raise UnusableAudioError(f"{path} is cut short")
    # Constant bitrate: every frame is the same size but for one padding byte.
    if (
        not first.length_bytes - first.padding
        <= (stream.end - stream.start) / max(1, stream.frames)
        <= first.length_bytes - first.padding + 1
    ):
        raise UnusableAudioError(f"{path} holds other frames than its Info frame declares")
    return stream


def _prefix(path: Path, stream: Stream, frames: int) -> Stream:
    """*stream* cut to its first *frames* frames (no padding: it ends where it is cut).

    Read in pieces of _COPY_BYTES, so a cut hour costs no more memory than a cut minute.
    """
    first = stream.first
    # A constant-bitrate frame is this long, or one byte longer when its padding bit is
    # set: most frames need their first three bytes compared, not the header parsed.
    size = first.length_bytes - first.padding
    sync, kind, flags = first.word >> 24, first.word >> 16 & 0xFF, first.word >> 8 & 0xFF | 2
    run = _frames_pattern(sync, kind, flags, size)
    end, crc, counted = 0, 0, 0  # end: the stream byte where frame *counted* starts
    kept, base = b"", 0  # kept holds the stream's bytes from *base* on
    try:
        with path.open("rb") as handle:
            handle.seek(stream.start)
            while counted < frames or base < end:  # the last frame may run on
                # No further than the frames still wanted can reach (or the stream's end).
                wanted = end - base + (frames - counted) * (size + 1) + 4 - len(kept)
                left = stream.end - stream.start - base - len(kept)
                piece = handle.read(min(_COPY_BYTES, wanted, left))
                if not piece:
                    raise UnusableAudioError(f"{path} is cut short")
                data = kept + piece
                at, last = end - base, len(data) - 4
                # Whole runs of plain frames in one regex match (the loop below would
                # take them one by one, several times slower); the rest frame by frame.
                while frames - counted >= _RUN and (found := run.match(data, at)):
                    at, counted = found.end(), counted + _RUN
                for _ in range(frames - counted):
                    if at > last:
                        break
                    third = data[at + 2]
                    if data[at] == sync and data[at + 1] == kind and third | 2 == flags:
                        at += size + (third >> 1 & 1)
                    else:  # another header: parse_header sizes it or says what is wrong
                        at += parse_header(data, at).length_bytes
                    counted += 1
                end = base + at
                summed = min(at, len(data))  # bytes of this piece before the next frame
                crc = crc16_update(crc, data[:summed])
                kept, base = data[summed:], base + summed
    except OSError as exc:
        raise UnusableAudioError(f"cannot read {path} ({exc})") from exc
    return replace(stream, end=stream.start + end, frames=frames, padding_samples=0, crc=crc)


_RUN = 64  # frames matched at once by _frames_pattern


def _frames_pattern(sync: int, kind: int, flags: int, size: int) -> re.Pattern[bytes]:
    """_RUN frames in a row, each with the first header's three bytes (its padding bit
    either way) and as long as that says: what the frame loop of `_prefix` accepts."""
    header = re.escape(bytes((sync, kind)))
    plain, padded = re.escape(bytes((flags & ~2,))), re.escape(bytes((flags,)))
    one = b"%s(?:%s.{%d}|%s.{%d})" % (header, plain, size - 3, padded, size - 2)
    return re.compile(b"(?:%s){%d}" % (one, _RUN), re.DOTALL)  # re caches it


class _Offsets(Sequence[int]):
    """Where frame j of the joined audio starts, for the Info frame's seek table.

    Interpolated inside each part (its frames differ in size by one padding byte at
    most): the table has 256 steps over the file, far coarser than that.
    """

    def __init__(self, layout: list[tuple[int, int, int, int]]) -> None:
        self._layout = layout
        self._firsts = [first for first, _, _, _ in layout]

    def __len__(self) -> int:
        first, frames, _, _ = self._layout[-1]
        return first + frames

    @overload
    def __getitem__(self, index: int) -> int: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[int]: ...
    def __getitem__(self, index: int | slice) -> int | Sequence[int]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        first, frames, start, length = self._layout[bisect_right(self._firsts, index) - 1]
        return start + (index - first) * length // frames


def _copy(path: Path, stream: Stream, out: BinaryIO) -> None:
    """Copy the audio frames of *path* to *out* in bounded pieces."""
    try:
        with path.open("rb") as handle:
            handle.seek(stream.start)
            left = stream.end - stream.start
            while left > 0:
                piece = handle.read(min(_COPY_BYTES, left))
                if not piece:
                    raise UnusableAudioError(f"{path} is cut short")
                out.write(piece)
                left -= len(piece)
    except OSError as exc:
        raise UnusableAudioError(f"cannot read {path} ({exc})") from exc
