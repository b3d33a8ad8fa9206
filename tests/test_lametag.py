"""The LAME tag's CRC-16/ARC: polynomial arithmetic checked against a bit-by-bit CRC."""

from __future__ import annotations

import random

import pytest

from audiobrief.audio import lametag
from audiobrief.audio.lametag import crc16, crc16_combine, crc16_update
from support import bitwise_crc16


def _bytes(size: int, seed: int) -> bytes:
    return random.Random(seed).randbytes(size)


def test_bits_one_period_apart_weigh_the_same() -> None:
    # The folding rests on x^32767 = 1 mod P (32767 = 7 x 31 x 151: no shorter period).
    assert lametag._mod_p(1 << lametag._PERIOD_BITS) == 1
    for factor in (7, 31, 151):
        assert lametag._mod_p(1 << lametag._PERIOD_BITS // factor) != 1


@pytest.mark.parametrize(
    "size", [0, 1, 2, 9, 255, 32_766, 32_767, 32_768, 65_534, 65_535, 98_302, 100_003]
)
def test_crc16_matches_a_bitwise_crc_around_whole_periods(size: int) -> None:
    data = _bytes(size, size)
    assert crc16(data) == bitwise_crc16(data)


def test_crc16_of_the_standard_check_string() -> None:
    assert crc16(b"123456789") == 0xBB3D  # the CRC-16/ARC catalogue's check value


@pytest.mark.parametrize(
    ("first", "second"), [(0, 5), (5, 0), (1, 1), (300, 32_767), (40_000, 70_001), (7, 131_070)]
)
def test_crcs_combine_into_the_crc_of_the_joined_bytes(first: int, second: int) -> None:
    a, b = _bytes(first, 1), _bytes(second, 2)
    assert crc16_combine(bitwise_crc16(a), bitwise_crc16(b), len(b)) == bitwise_crc16(a + b)
    assert crc16_update(bitwise_crc16(a), b) == bitwise_crc16(a + b)


def test_crc16_takes_a_bytearray_and_every_byte_value() -> None:
    data = bytearray(range(256)) * 3
    assert crc16(data) == bitwise_crc16(bytes(data))
