"""Engine: eSpeak NG's offline voices, via the espeakng-loader wheel or an espeak-ng program."""

from __future__ import annotations

import ctypes
import importlib.util
import logging
import math
import re
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pydub import AudioSegment

from audiobrief.engines.espeak_routes import (
    MID_CLAUSE_GAP_MS,
    Chunk,
    LibRoute,
    ProgramRoute,
)
from audiobrief.errors import ConfigError, EngineError, EngineUnavailableError

logger = logging.getLogger(__name__)

NAME = "espeak"
ROUTES = ("auto", "lib", "program")
RATE_RANGE_WPM = (80, 450)  # espeakRATE_MINIMUM / espeakRATE_MAXIMUM
PITCH_RANGE = (0, 100)
NATIVE_RATE_HZ = 22050
MAX_WORDS_PER_CALL = 20  # NOTES pitfall 2: longer unpunctuated runs come out as letter names
_EDGE_KEEP_MS = 30  # silence kept before the first and after the last audible sample
_SILENCE_LEVEL = 64  # |sample| at or below this is silence (about -54 dBFS)
_CLAUSE_END = frozenset(".!?:;,،؛؟…")
_CLOSERS = "\"'»)]}”’"
_VOICE_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_+-]*")
_CORE_DATA = ("phontab", "phondata", "phonindex", "intonations")
_REINSTALL = "run: pip install --force-reinstall espeakng-loader"
_INSTALL = "run: pip install espeakng-loader"
_LOADER = "espeakng_loader"
_CHECK = "check it with 'audiobrief voices'."


class EspeakEngine:
    """eSpeak NG: 16-bit mono clips at its native 22,050 Hz; byte-identical for equal text."""

    name = NAME
    max_concurrency = 1
    """One call at a time: libespeak-ng keeps one global synthesis state per process."""
    keeps_clips = False
    """Its clips stay out of the cache: saying a second of speech takes 0.6 ms, writing
    its WAV there 0.2 ms and reading it back 0.1 ms, and a cold `speak` writes every clip
    (10 MB for a 4-minute article, 48 MB uploaded for five to a shared tier) that only an
    edited sentence's neighbours would read back. The episode cache keeps its MP3s."""

    def __init__(
        self,
        *,
        voice: str = "ar",
        rate_wpm: int = 165,
        pitch: int = 50,
        route: str = "auto",
        data_path: str | None = None,
    ) -> None:
        _check_options(voice, rate_wpm, pitch, route)
        self._voice, self._rate_wpm, self._pitch = voice, rate_wpm, pitch
        self._route = _open_route(route, voice, data_path)

    @classmethod
    def unavailable_reason(cls, **options: Any) -> str | None:
        """None when the engine can run here, else why not and the fix; loads no library."""
        voice, route = options.get("voice", "ar"), options.get("route", "auto")
        try:
            _check_options(voice, options.get("rate_wpm", 165), options.get("pitch", 50), route)
            _pick_route(route, voice, options.get("data_path"))
        except (ConfigError, EngineUnavailableError) as exc:
            return str(exc)
        return None

    def synthesize(self, text: str) -> AudioSegment:
        """Speak *text*, cut into calls of at most MAX_WORDS_PER_CALL words."""
        chunks = _chunks(text)
        if not chunks:
            return _segment(b"", NATIVE_RATE_HZ)
        with _engine_errors():
            pcm, rate_hz = self._route.speak(chunks, self._voice, self._rate_wpm, self._pitch)
        if not any(pcm):
            raise EngineError(NAME, f"eSpeak NG produced no audio for {text[:40]!r}; " + _CHECK)
        gap = bytes(2 * (MID_CLAUSE_GAP_MS * rate_hz // 1000))
        joined = b"".join(
            part + (gap if chunk.gap_after else b"")
            for chunk, part in zip(chunks, pcm, strict=True)
        )
        return _segment(_trim_silence(joined, rate_hz), rate_hz)

    def phonemize(self, text: str) -> str:
        """IPA of *text* as spoken (same cuts as synthesize), clauses joined by spaces."""
        chunks = _chunks(text)
        if not chunks:
            return ""
        with _engine_errors():
            return self._route.phonemes(chunks, self._voice)


@contextmanager
def _engine_errors() -> Iterator[None]:
    """Whatever fails below (library, ctypes, program) leaves as EngineError."""
    try:
        yield
    except (OSError, ctypes.ArgumentError) as exc:
        raise EngineError(NAME, f"eSpeak NG failed ({exc}); " + _CHECK) from exc
    except subprocess.SubprocessError as exc:
        raise EngineError(NAME, f"the espeak-ng program failed ({exc}); " + _CHECK) from exc


def _check_options(voice: str, rate_wpm: int, pitch: int, route: str) -> None:
    if route not in ROUTES:
        raise ConfigError(f"espeak route {route!r} is not valid; use one of: {', '.join(ROUTES)}.")
    if not isinstance(voice, str) or not _VOICE_RE.fullmatch(voice):
        raise ConfigError(f"espeak voice {voice!r} is not an eSpeak NG voice name; use e.g. 'ar'.")
    for label, value, (low, high) in (
        ("rate_wpm", rate_wpm, RATE_RANGE_WPM),
        ("pitch", pitch, PITCH_RANGE),
    ):
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise ConfigError(f"espeak {label} must be a whole number from {low} to {high}.")


def _pick_route(route: str, voice: str, data_path: str | None) -> tuple[str, str, Path | None]:
    """(kind, library or program path, data folder), or EngineUnavailableError with the fix."""
    lib_error: EngineUnavailableError | None = None
    if route in ("auto", "lib"):
        try:
            lib_path, root = _lib_files(voice, data_path)
        except EngineUnavailableError as exc:
            lib_error = exc
        else:
            return "lib", str(lib_path), root
    program = shutil.which("espeak-ng") if route in ("auto", "program") else None
    if program is not None:
        return "program", program, _checked_data(Path(data_path), voice) if data_path else None
    if route == "program":
        raise EngineUnavailableError(
            NAME, f"no espeak-ng program on PATH; install espeak-ng or {_INSTALL}"
        )
    if lib_error is not None and (route == "lib" or importlib.util.find_spec(_LOADER)):
        raise lib_error  # the wheel is there but broken: its own message names the fix
    raise EngineUnavailableError(NAME, f"eSpeak NG is not available; {_INSTALL}")


def _lib_files(voice: str, data_path: str | None) -> tuple[Path, Path]:
    try:  # the wheel only locates its library and data; importing it loads neither
        import espeakng_loader
    except ImportError as exc:
        raise EngineUnavailableError(
            NAME, f"the espeakng-loader package is missing; {_INSTALL}"
        ) from exc
    lib_path = Path(espeakng_loader.get_library_path())
    if not lib_path.is_file():
        raise EngineUnavailableError(NAME, f"libespeak-ng is missing at {lib_path}; {_REINSTALL}")
    # Not get_data_path(): it raises RuntimeError when the folder is gone; we explain instead.
    wheel_data = Path(espeakng_loader.__file__).parent / "espeak-ng-data"
    return lib_path, _checked_data(Path(data_path) if data_path else wheel_data, voice)


def _checked_data(data_path: Path, voice: str) -> Path:
    """The espeak-ng-data folder libespeak-ng would use, checked before it can exit(1)."""
    # Same order as libespeak-ng's check_data_path: PATH/espeak-ng-data, then PATH itself.
    root = data_path / "espeak-ng-data" if (data_path / "espeak-ng-data").is_dir() else data_path
    fix = f"point data_path at an espeak-ng-data folder or {_REINSTALL}"
    missing = [name for name in _CORE_DATA if not (root / name).is_file()]
    if missing:
        raise EngineUnavailableError(
            NAME, f"eSpeak NG data at {root} is unusable (missing {', '.join(missing)}); {fix}"
        )
    language = voice.split("+", 1)[0].lower()
    lang_file = next(
        (p for p in sorted((root / "lang").rglob("*")) if p.name.lower() == language), None
    )
    if lang_file is None or not lang_file.is_file():
        raise EngineUnavailableError(
            NAME,
            f"eSpeak NG has no voice {language!r} in {root}/lang; "
            "set the voice option to an eSpeak NG language such as 'ar'",
        )
    dictionary = _dictionary_name(lang_file)
    if not (root / f"{dictionary}_dict").is_file():
        raise EngineUnavailableError(
            NAME, f"eSpeak NG data at {root} lacks {dictionary}_dict; {fix}"
        )
    return root


def _dictionary_name(lang_file: Path) -> str:
    """`dictionary NAME`, else the first `language` code before '-' (as libespeak-ng does)."""
    language = None
    for line in lang_file.read_text(encoding="utf-8", errors="replace").splitlines():
        words = line.split()
        if len(words) >= 2 and words[0] == "dictionary":
            return words[1]
        if len(words) >= 2 and words[0] == "language" and language is None:
            language = words[1]
    return (language or lang_file.name).split("-", 1)[0].lower()


def _open_route(route: str, voice: str, data_path: str | None) -> LibRoute | ProgramRoute:
    kind, found, root = _pick_route(route, voice, data_path)
    logger.debug("eSpeak NG route %s: %s (data %s)", kind, found, root)
    if kind == "lib" and root is not None:
        return LibRoute(found, root)
    return ProgramRoute(found, root)


def _chunks(text: str, max_words: int = MAX_WORDS_PER_CALL) -> list[Chunk]:
    """Cut at the last clause punctuation within max_words, else into equal runs of words."""
    words = text.split()
    cuts: list[list[str]] = []
    start = 0
    while len(words) - start > max_words:
        window = range(start + max_words - 1, start - 1, -1)
        cut = next((i + 1 for i in window if _ends_clause(words[i])), None)
        if cut is None:
            left = len(words) - start
            cut = start + math.ceil(left / math.ceil(left / max_words))
        cuts.append(words[start:cut])
        start = cut
    if start < len(words):
        cuts.append(words[start:])
    chunks = []
    for i, run in enumerate(cuts):
        inner, clause = i < len(cuts) - 1, _ends_clause(run[-1])
        chunks.append(Chunk(" ".join(run), inner and clause, inner and not clause))
    return chunks


def _ends_clause(word: str) -> bool:
    stripped = word.rstrip(_CLOSERS)
    return bool(stripped) and stripped[-1] in _CLAUSE_END


def _segment(pcm: bytes, rate_hz: int) -> AudioSegment:
    return AudioSegment(data=pcm, sample_width=2, frame_rate=rate_hz, channels=1)


def _trim_silence(pcm: bytes, rate_hz: int) -> bytes:
    """Keep at most _EDGE_KEEP_MS of silence at each end (eSpeak adds ~8 ms at the end)."""
    import numpy as np  # 45 ms: `audiobrief voices` loads this module and never synthesizes

    samples = np.frombuffer(pcm, dtype="<i2")
    loud = (samples > _SILENCE_LEVEL) | (samples < -_SILENCE_LEVEL)
    if not loud.any():
        return b""
    keep = _EDGE_KEEP_MS * rate_hz // 1000
    # argmax finds the first loud sample from either end without listing them all.
    start, end = int(loud.argmax()), samples.size - int(loud[::-1].argmax())
    return samples[max(start - keep, 0) : min(end + keep, samples.size)].tobytes()
