"""Publish stage: check the show's cover art against podcast directory rules, copy it out."""

from __future__ import annotations

import hashlib
import struct
from importlib import resources
from pathlib import Path

from audiobrief.errors import ConfigError
from audiobrief.publish.storage import LocalFolder, Storage

MIN_COVER_PX = 1400
MAX_COVER_PX = 3000
"""Apple Podcasts: square artwork of 1400 to 3000 px, JPEG or PNG, RGB."""

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PNG_RGB = 2
# Start-of-frame markers (baseline, progressive, lossless...); C4, C8 and CC are not frames.
_JPEG_SOF = frozenset(
    {*range(0xC0, 0xC4), *range(0xC5, 0xC8), *range(0xC9, 0xCC), *range(0xCD, 0xD0)}
)
_JPEG_STANDALONE = frozenset({0x01, *range(0xD0, 0xD8)})
_MIME = {"png": "image/png", "jpg": "image/jpeg"}
_FIX = (
    "podcast apps need a square RGB JPEG or PNG of 1400 to 3000 px; "
    "export one (e.g. 3000x3000 px, RGB, no transparency) and set cover in audiobrief.toml"
)


def check_cover(path: Path | None) -> tuple[bytes, str]:
    """Read and check cover art; return its bytes and MIME type (image/png or image/jpeg).

    *path* None means the cover shipped with the package. Only the image header is
    parsed (no image library): dimensions and colour type.

    Raises:
        ConfigError: the file is missing, not PNG/JPEG, not square, not 1400-3000 px
            or not RGB; the message says how to fix it.
    """
    name = str(path) if path is not None else "the default cover (audiobrief/assets/cover.png)"
    try:
        if path is None:
            data = resources.files("audiobrief").joinpath("assets/cover.png").read_bytes()
        else:
            data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cover {name}: cannot read it ({exc.strerror}); {_FIX}.") from exc
    kind, width_px, height_px, rgb = _inspect(data, name)
    if width_px != height_px:
        raise ConfigError(f"cover {name} is {width_px}x{height_px} px, not square; {_FIX}.")
    if not MIN_COVER_PX <= width_px <= MAX_COVER_PX:
        raise ConfigError(f"cover {name} is {width_px}x{height_px} px; {_FIX}.")
    if not rgb:
        raise ConfigError(
            f"cover {name} is not plain RGB (grayscale, palette, transparency or CMYK); {_FIX}."
        )
    return data, _MIME[kind]


def cover_extension(mime: str) -> str:
    """The file extension that matches a cover's MIME type: png or jpg."""
    return "png" if mime == "image/png" else "jpg"


def publish_cover(cover: Path | None, output: Path | Storage) -> str:
    """Copy the checked cover to `cover.png` (or .jpg) of *output*; return its relative URL.

    The URL carries a short content hash (`cover.png?v=1a2b3c4d`) because podcast
    apps cache artwork by URL and only fetch a new picture under a new address.
    """
    data, mime = check_cover(cover)
    name = f"cover.{cover_extension(mime)}"
    storage = LocalFolder(output) if isinstance(output, Path) else output
    storage.put_if_changed(name, data)
    return f"{name}?v={hashlib.sha256(data).hexdigest()[:8]}"


def _inspect(data: bytes, name: str) -> tuple[str, int, int, bool]:
    """(kind, width_px, height_px, is_rgb) from a PNG or JPEG header."""
    if data.startswith(_PNG_SIGNATURE):
        if len(data) < 26 or data[12:16] != b"IHDR":
            raise ConfigError(f"cover {name} is a damaged PNG (no IHDR header); {_FIX}.")
        width_px, height_px, _depth, colour = struct.unpack(">IIBB", data[16:26])
        return "png", width_px, height_px, colour == _PNG_RGB
    if data.startswith(b"\xff\xd8"):
        width_px, height_px, components = _jpeg_frame(data, name)
        return "jpg", width_px, height_px, components == 3
    raise ConfigError(f"cover {name} is neither PNG nor JPEG; {_FIX}.")


def _jpeg_frame(data: bytes, name: str) -> tuple[int, int, int]:
    """Walk JPEG marker segments to the first start-of-frame: (width, height, components)."""
    offset = 2
    while offset + 4 <= len(data):
        if data[offset] != 0xFF:
            break
        marker = data[offset + 1]
        if marker == 0xFF:  # fill byte before a marker
            offset += 1
            continue
        if marker in _JPEG_STANDALONE:
            offset += 2
            continue
        (length,) = struct.unpack(">H", data[offset + 2 : offset + 4])
        if marker in _JPEG_SOF and offset + 10 <= len(data):
            height_px, width_px, components = struct.unpack(">HHB", data[offset + 5 : offset + 10])
            return width_px, height_px, components
        if marker == 0xDA or length < 2:  # scan data starts: no frame header was found
            break
        offset += 2 + length
    raise ConfigError(f"cover {name} is a damaged JPEG (no frame header); {_FIX}.")
