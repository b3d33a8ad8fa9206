"""Audio stage: the LAME "Info" frame that tells players an MP3's exact length and delay."""

from __future__ import annotations

import functools
import struct
from array import array
from collections.abc import Sequence
from dataclasses import dataclass

from audiobrief.errors import AudioError

ENCODER_VERSION = b"LAME4.0"
"""What lameenc's bundled LAME calls itself (it writes this into its frames' padding)."""

_MPEG1, _MPEG2, _MPEG25 = 3, 2, 0  # header version bits
_BITRATES_KBPS = {
    _MPEG1: (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),
    _MPEG2: (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
}
_RATES_HZ = {
    _MPEG1: (44100, 48000, 32000),
    _MPEG2: (22050, 24000, 16000),
    _MPEG25: (11025, 12000, 8000),
}
_FLAGS = 0x0F  # frames, bytes, TOC and quality fields present, as LAME writes them
_CBR = 1  # LAME tag revision 0, VBR method 1: constant bitrate
_CRC_PIECE_BYTES = 1 << 20  # FrameScanner sums the CRC over pieces this large


@dataclass(frozen=True)
class FrameHeader:
    """The fields of an MPEG audio Layer III frame header that size and describe it."""

    word: int
    version: int
    bitrate_kbps: int
    sample_rate_hz: int
    padding: int
    mode: int
    """0 stereo, 1 joint stereo, 2 dual channel, 3 mono."""

    @property
    def samples_per_frame(self) -> int:
        return 1152 if self.version == _MPEG1 else 576

    @property
    def length_bytes(self) -> int:
        slots = self.samples_per_frame // 8 * self.bitrate_kbps * 1000 // self.sample_rate_hz
        return slots + self.padding

    @property
    def side_info_bytes(self) -> int:
        if self.version == _MPEG1:
            return 17 if self.mode == 3 else 32
        return 9 if self.mode == 3 else 17


def bitrates_kbps(sample_rate_hz: int) -> tuple[int, ...]:
    """The bitrates MPEG Layer III allows at *sample_rate_hz* (empty: not an MPEG rate)."""
    for version, rates in _RATES_HZ.items():
        if sample_rate_hz in rates:
            return _BITRATES_KBPS[_MPEG1 if version == _MPEG1 else _MPEG2][1:]
    return ()


def parse_header(data: bytes, offset: int) -> FrameHeader:
    """Read the Layer III frame header at *offset*; AudioError if there is none."""
    if offset + 4 > len(data):
        raise AudioError(f"MP3 data ends inside a frame header at byte {offset}; re-encode.")
    (word,) = struct.unpack_from(">I", data, offset)
    header = _header(word)
    if header is None:
        raise AudioError(f"no MP3 Layer III frame at byte {offset}; re-encode the audio.")
    return header


@functools.lru_cache(maxsize=64)
def _header(word: int) -> FrameHeader | None:
    """The header a 32-bit word holds, or None. A stream repeats two words (padding or
    not), so each is decoded once: scanning an hour's 140,000 frames stays cheap."""
    version, layer = (word >> 19) & 3, (word >> 17) & 3
    bitrate_index, rate_index = (word >> 12) & 15, (word >> 10) & 3
    if (
        word >> 21 != 0x7FF
        or version == 1
        or layer != 1
        or bitrate_index in (0, 15)
        or rate_index == 3
    ):
        return None
    table = _BITRATES_KBPS[_MPEG1 if version == _MPEG1 else _MPEG2]
    return FrameHeader(
        word=word,
        version=version,
        bitrate_kbps=table[bitrate_index],
        sample_rate_hz=_RATES_HZ[version][rate_index],
        padding=(word >> 9) & 1,
        mode=(word >> 6) & 3,
    )


def frame_offsets(audio: bytes) -> list[int]:
    """Where each frame of a headerless MP3 stream starts."""
    offsets, offset = [], 0
    while offset < len(audio):
        offsets.append(offset)
        offset += parse_header(audio, offset).length_bytes
    if offset != len(audio):
        raise AudioError("the MP3 stream ends inside a frame; re-encode the audio.")
    return offsets


def info_frame(audio: bytes, *, samples: int, delay_samples: int, quality: int) -> bytes:
    """A LAME "Info" frame for the CBR stream *audio* that encodes *samples* PCM frames.

    It goes first in the file. Players that read it (ffmpeg, browsers, ExoPlayer, Apple)
    skip it and the encoder's delay and padding, so what they play starts and ends where
    the PCM did; mutagen reads the exact length from it.
    """
    offsets = frame_offsets(audio)
    if not offsets:
        raise AudioError("the encoder produced no MP3 frames; check the track has audio.")
    return info_frame_for(
        parse_header(audio, 0),
        offsets,
        len(audio),
        crc16(audio),
        samples=samples,
        delay_samples=delay_samples,
        quality=quality,
    )


def info_frame_for(
    first: FrameHeader,
    offsets: Sequence[int],
    audio_bytes: int,
    audio_crc: int,
    *,
    samples: int,
    delay_samples: int,
    quality: int,
) -> bytes:
    """The Info frame from a stream's summary: its first header, frame offsets, size, CRC.

    What a streaming writer keeps instead of the stream itself.
    """
    padding_samples = len(offsets) * first.samples_per_frame - samples - delay_samples
    if not 0 <= padding_samples < 4096 or not 0 <= delay_samples < 4096:
        raise AudioError(
            f"MP3 holds {len(offsets)} frames for {samples} samples (delay {delay_samples}); "
            "the encoder's delay changed: update ENCODER_DELAY_SAMPLES."
        )
    header = _info_header(first)
    size = header.length_bytes
    total = size + audio_bytes
    toc = bytes(
        min(255, (size + offsets[i * len(offsets) // 100]) * 256 // total) for i in range(100)
    )
    body = bytearray(struct.pack(">I", header.word) + bytes(header.side_info_bytes))
    body += b"Info" + struct.pack(">III", _FLAGS, len(offsets), total) + toc
    body += struct.pack(">I", 100 - quality)  # LAME's scale: 100 - 10 * VBR level - quality
    body += ENCODER_VERSION.ljust(9, b"\x00")
    body += bytes([_CBR, 0]) + bytes(8)  # lowpass unknown; no ReplayGain peak or gains
    body += bytes([0, min(255, first.bitrate_kbps)])  # no encoding flags; bitrate
    body += (delay_samples << 12 | padding_samples).to_bytes(3, "big")
    body += bytes([_misc_byte(first), 0]) + bytes(2)  # no MP3Gain, no preset
    body += struct.pack(">IH", total, audio_crc)
    body += struct.pack(">H", crc16(bytes(body)))
    return bytes(body).ljust(size, b"\x00")


def info_size(first: FrameHeader) -> int:
    """Bytes of the Info frame that info_frame_for makes for a stream led by *first*."""
    return _info_header(first).length_bytes


class FrameScanner:
    """Frame offsets, size and CRC of a headerless stream fed in pieces of any size."""

    def __init__(self) -> None:
        self.offsets = array("Q")
        self.first: FrameHeader | None = None
        self.size_bytes = 0
        self._crc = 0
        self._unsummed = bytearray()  # the CRC runs on big pieces: per byte, Python is slow
        self._next = 0  # stream byte where the next frame header starts
        self._carry = b""  # the start of a header cut off by the end of the last piece
        self._lengths: dict[bytes, int] = {}  # frame length by header bytes

    def feed(self, data: bytes) -> None:
        if not data:
            return
        self._unsummed += data
        if len(self._unsummed) >= _CRC_PIECE_BYTES:
            self._crc = crc16_update(self._crc, self._unsummed)
            self._unsummed.clear()
        buffer, base = self._carry + data, self.size_bytes - len(self._carry)
        self.size_bytes += len(data)
        pos, lengths, offsets = self._next - base, self._lengths, self.offsets
        while pos + 4 <= len(buffer):
            # A stream repeats two header words (padding or not): each is parsed once.
            length = lengths.get(buffer[pos : pos + 4])
            if length is None:
                header = parse_header(buffer, pos)
                if self.first is None:
                    self.first = header
                length = lengths[buffer[pos : pos + 4]] = header.length_bytes
            offsets.append(base + pos)
            pos += length
        self._next = base + pos
        self._carry = buffer[pos:] if pos < len(buffer) else b""

    @property
    def crc(self) -> int:
        """CRC-16 of everything fed so far."""
        if self._unsummed:
            self._crc = crc16_update(self._crc, self._unsummed)
            self._unsummed.clear()
        return self._crc

    def check_complete(self) -> None:
        """AudioError unless the stream ended on a frame boundary."""
        if self._next != self.size_bytes or self.first is None:
            raise AudioError("the MP3 stream ends inside a frame; re-encode the audio.")


def _info_header(first: FrameHeader) -> FrameHeader:
    """The first frame's header at the lowest bitrate whose frame holds the tag."""
    needed = 4 + first.side_info_bytes + 120 + 36
    table = _BITRATES_KBPS[_MPEG1 if first.version == _MPEG1 else _MPEG2]
    for index, kbps in enumerate(table):
        if kbps < first.bitrate_kbps:
            continue
        # Same version, rate and mode; no CRC (protection bit set), no padding slot.
        word = (first.word & ~0xF200) | 0x10000 | index << 12
        header = FrameHeader(word, first.version, kbps, first.sample_rate_hz, 0, first.mode)
        if header.length_bytes >= needed:
            return header
    raise AudioError("no MP3 frame size can hold the LAME tag; raise bitrate_kbps.")


def _misc_byte(first: FrameHeader) -> int:
    rate_code = {44100: 1, 48000: 2}.get(first.sample_rate_hz, 0)
    stereo_code = {0: 1, 1: 3, 2: 2, 3: 0}[first.mode]  # LAME tag codes for header modes
    return rate_code << 6 | stereo_code << 2


# CRC-16/ARC, as LAME and ffmpeg use for the tag: polynomial P = x^16 + x^15 + x^2 + 1,
# each byte read from its lowest bit, no start value or final xor. Done as polynomial
# arithmetic on Python integers (C code under the hood): no per-byte Python loop, no numpy.
# P = (x + 1)(x^15 + x + 1), and x^15 + x + 1 is irreducible, so x^32767 = 1 mod P: bits
# 32,767 places apart weigh the same, and a stream folds to one period by xor before the
# remainder is taken (a test checks the identity).
_Q = 1 << 15 | 0b11  # x^15 + x + 1
_PERIOD_BITS = 32767
_PERIOD_BYTES = _PERIOD_BITS  # 8 periods: byte-aligned pieces fold onto each other too
_BIT_REVERSED = bytes(int(f"{byte:08b}"[::-1], 2) for byte in range(256))


def crc16(data: bytes | bytearray) -> int:
    """CRC-16/ARC of *data*: about 0.25 ms for 350 kB (a minute of audio)."""
    view = memoryview(data)
    size = len(view)
    # The last byte holds x^0..x^7: fold whole periods counted from the end.
    first = size % _PERIOD_BYTES
    folded = int.from_bytes(view[:first], "big")
    for start in range(first, size, _PERIOD_BYTES):
        folded ^= int.from_bytes(view[start : start + _PERIOD_BYTES], "big")
    # Xor commutes with reversing each byte's bits, so the reversal runs on one period.
    width = min(size, _PERIOD_BYTES)
    message = int.from_bytes(folded.to_bytes(width, "big").translate(_BIT_REVERSED), "big")
    return _reflect(_mod_p(message << 16))


def crc16_update(crc: int, data: bytes | bytearray) -> int:
    """CRC-16/ARC of the bytes behind *crc* followed by *data*."""
    return crc16_combine(crc, crc16(data), len(data))


def crc16_combine(crc_a: int, crc_b: int, length_b: int) -> int:
    """CRC-16/ARC of A followed by B, from CRC(A), CRC(B) and the length of B."""
    # Linear: CRC(A + B) = CRC(A) x^(8 len B) + CRC(B), mod P.
    shifted = _reflect(crc_a) << 8 * length_b % _PERIOD_BITS
    return _reflect(_mod_p(shifted)) ^ crc_b


def _mod_p(value: int) -> int:
    """The polynomial *value* (bit k: the coefficient of x^k) mod P."""
    # Chinese remainders: mod (x + 1) is the parity of the coefficients; of the two
    # polynomials under x^16 with the remainder mod Q, r and r + Q, Q's odd parity
    # makes exactly one match it.
    low = _mod_q(value)
    return low if low.bit_count() & 1 == value.bit_count() & 1 else low ^ _Q


def _mod_q(value: int) -> int:
    """*value* mod Q, by halves: x^(15 s) = (x + 1)^s = x^s + 1 mod Q for s a power of 2."""
    while (length := value.bit_length()) > 15:
        step = 1 << max(0, (length // 29).bit_length() - 1)  # leaves about 3/4 of the bits
        high = value >> 15 * step
        value = (high << step) ^ high ^ (value & ((1 << 15 * step) - 1))
    return value


def _reflect(crc: int) -> int:
    """The 16 bits of *crc* in reverse order: the CRC as a polynomial and back."""
    return int(f"{crc:016b}"[::-1], 2)
