"""Cover art: square RGB PNG or JPEG of 1400-3000 px, checked from the header alone."""

from __future__ import annotations

from pathlib import Path

import pytest

from audiobrief.errors import ConfigError
from audiobrief.publish.images import check_cover, publish_cover
from publish_fixtures import jpeg_header, png_cover


def test_default_cover_ships_with_the_package_and_passes() -> None:
    data, mime = check_cover(None)
    assert (mime, data[:8]) == ("image/png", b"\x89PNG\r\n\x1a\n")


@pytest.mark.parametrize("size_px", [1400, 3000])
def test_square_rgb_png_at_the_limits_passes(tmp_path: Path, size_px: int) -> None:
    path = png_cover(tmp_path / "c.png", size_px=size_px)
    assert check_cover(path) == (path.read_bytes(), "image/png")


def test_square_rgb_jpeg_passes(tmp_path: Path) -> None:
    path = jpeg_header(tmp_path / "c.jpg", 2000, 2000)
    assert check_cover(path)[1] == "image/jpeg"


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: png_cover(p, size_px=1399), "1399x1399 px"),
        (lambda p: png_cover(p, size_px=3001), "3001x3001 px"),
        (lambda p: png_cover(p, size_px=1400, height_px=1500), "not square"),
        (lambda p: png_cover(p, colour_type=6), "not plain RGB"),
        (lambda p: png_cover(p, colour_type=0), "not plain RGB"),
        (lambda p: jpeg_header(p, 1400, 1400, components=4), "not plain RGB"),
        (lambda p: jpeg_header(p, 1400, 1000), "not square"),
        (lambda p: p.write_bytes(b"GIF89a....") and p, "neither PNG nor JPEG"),
        (lambda p: p.write_bytes(b"\xff\xd8\xff\xd9") and p, "damaged JPEG"),
    ],
)
def test_bad_cover_is_a_config_error_that_says_the_fix(
    tmp_path: Path, make: object, message: str
) -> None:
    path = tmp_path / "cover.img"
    make(path)  # type: ignore[operator]
    with pytest.raises(ConfigError, match=message) as raised:
        check_cover(path)
    assert "1400 to 3000 px" in str(raised.value)


def test_missing_cover_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read it"):
        check_cover(tmp_path / "nope.png")


def test_published_cover_url_changes_with_the_picture(tmp_path: Path) -> None:
    first = publish_cover(png_cover(tmp_path / "a.png", size_px=1400), tmp_path / "out")
    second = publish_cover(png_cover(tmp_path / "b.png", size_px=1500), tmp_path / "out")
    assert first.startswith("cover.png?v=")
    assert second.startswith("cover.png?v=")
    assert first != second
    assert (tmp_path / "out" / "cover.png").read_bytes() == (tmp_path / "b.png").read_bytes()
