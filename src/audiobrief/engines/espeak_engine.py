"""Engine: eSpeak NG's offline voices, via the espeakng-loader wheel or an espeak-ng program."""

from __future__ import annotations

import _ctypes
import ctypes
import importlib.util
import io
import logging
import math
import os
import re
import shutil
import subprocess
import threading
import wave
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
from pydub import AudioSegment

from audiobrief.errors import ConfigError, EngineError, EngineUnavailableError

logger = logging.getLogger(__name__)

NAME = "espeak"
ROUTES = ("auto", "lib", "program")
RATE_RANGE_WPM = (80, 450)  # espeakRATE_MINIMUM / espeakRATE_MAXIMUM
PITCH_RANGE = (0, 100)
NATIVE_RATE_HZ = 22050
MAX_WORDS_PER_CALL = 20  # NOTES pitfall 2: longer unpunctuated runs come out as letter names
PROGRAM_TIMEOUT_S = 30.0
_MID_CLAUSE_GAP_MS = 60  # eSpeak makes no pause between words; a short one masks the pitch reset
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

# speak_lib.h constants
_AUDIO_OUTPUT_SYNCHRONOUS = 2
_INITIALIZE_DONT_EXIT = 0x8000  # return an error rather than exit(1) on unusable data
_POS_CHARACTER = 1
_CHARS_UTF8 = 1
_ENDPAUSE = 0x1000  # end with the pause of the final punctuation, as inside a sentence
_PARAM_RATE, _PARAM_PITCH = 1, 3
_PHONEMES_IPA = 0x02


class _Chunk(NamedTuple):
    text: str
    pause_after: bool
    """Not last and ends a clause: eSpeak ends it with its own pause for that punctuation."""
    gap_after: bool
    """Not last and cut mid-clause: _MID_CLAUSE_GAP_MS of silence follows."""


class EspeakEngine:
    """eSpeak NG: 16-bit mono clips at its native 22,050 Hz; byte-identical for equal text."""

    name = NAME

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
        gap = bytes(2 * (_MID_CLAUSE_GAP_MS * rate_hz // 1000))
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


def _open_route(route: str, voice: str, data_path: str | None) -> _LibRoute | _ProgramRoute:
    kind, found, root = _pick_route(route, voice, data_path)
    logger.debug("eSpeak NG route %s: %s (data %s)", kind, found, root)
    if kind == "lib" and root is not None:
        return _LibRoute(found, root)
    return _ProgramRoute(found, root)


def _chunks(text: str, max_words: int = MAX_WORDS_PER_CALL) -> list[_Chunk]:
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
        chunks.append(_Chunk(" ".join(run), inner and clause, inner and not clause))
    return chunks


def _ends_clause(word: str) -> bool:
    stripped = word.rstrip(_CLOSERS)
    return bool(stripped) and stripped[-1] in _CLAUSE_END


def _segment(pcm: bytes, rate_hz: int) -> AudioSegment:
    return AudioSegment(data=pcm, sample_width=2, frame_rate=rate_hz, channels=1)


def _trim_silence(pcm: bytes, rate_hz: int) -> bytes:
    """Keep at most _EDGE_KEEP_MS of silence at each end (eSpeak adds ~8 ms at the end)."""
    samples = np.frombuffer(pcm, dtype="<i2")
    loud = np.flatnonzero(np.abs(samples.astype(np.int32)) > _SILENCE_LEVEL)
    if loud.size == 0:
        return b""
    keep = _EDGE_KEEP_MS * rate_hz // 1000
    first, last = max(int(loud[0]) - keep, 0), min(int(loud[-1]) + 1 + keep, samples.size)
    return samples[first:last].tobytes()


def _wav_pcm(wav: bytes) -> tuple[bytes, int]:
    """PCM and rate of espeak-ng's --stdout WAV (on a pipe its sizes stay placeholders)."""
    try:
        with wave.open(io.BytesIO(wav)) as reader:
            if reader.getnchannels() != 1 or reader.getsampwidth() != 2:
                raise OSError("espeak-ng wrote audio that is not 16-bit mono")
            return reader.readframes(reader.getnframes()), reader.getframerate()
    except (wave.Error, EOFError) as exc:
        raise OSError(f"espeak-ng wrote no usable WAV ({exc})") from exc


_LOCK = threading.Lock()  # libespeak-ng is one process-wide state machine
_pcm_parts: list[bytes] = []  # filled by the callback; touched only under _LOCK
_SynthCallback = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p
)


def _collect(wav: Any, count: int, _events: Any) -> int:
    if wav and count > 0:
        _pcm_parts.append(ctypes.string_at(wav, count * 2))
    return 0  # 0 = go on


_CALLBACK = _SynthCallback(_collect)
_warned_resident = False


class _LibRoute:
    """libespeak-ng loaded for one job and unloaded after it.

    The wave generator keeps state between calls (pitch flutter phase, filter memory), so a
    library kept loaded gives slightly different samples for the same text. A fresh load
    costs about 7 ms and makes every clip byte-identical.
    """

    def __init__(self, lib_path: str, data_root: Path) -> None:
        self._lib_path, self._data_root = lib_path, data_root

    def speak(
        self, chunks: Sequence[_Chunk], voice: str, rate_wpm: int, pitch: int
    ) -> tuple[list[bytes], int]:
        with _LOCK, self._loaded(voice) as (lib, rate_hz):
            _ok(lib.espeak_SetParameter(_PARAM_RATE, rate_wpm, 0), "espeak_SetParameter")
            _ok(lib.espeak_SetParameter(_PARAM_PITCH, pitch, 0), "espeak_SetParameter")
            parts = []
            for chunk in chunks:
                _pcm_parts.clear()
                data = chunk.text.encode("utf-8") + b"\0"
                flags = _CHARS_UTF8 | (_ENDPAUSE if chunk.pause_after else 0)
                _ok(
                    lib.espeak_Synth(data, len(data), 0, _POS_CHARACTER, 0, flags, None, None),
                    "espeak_Synth",
                )
                _ok(lib.espeak_Synchronize(), "espeak_Synchronize")
                parts.append(b"".join(_pcm_parts))
            _pcm_parts.clear()
            return parts, rate_hz

    def phonemes(self, chunks: Sequence[_Chunk], voice: str) -> str:
        clauses: list[str] = []
        with _LOCK, self._loaded(voice) as (lib, _rate_hz):
            for chunk in chunks:
                data = chunk.text.encode("utf-8")
                cursor = ctypes.c_char_p(data)  # advanced clause by clause, NULL at the end
                for _ in range(len(data) + 1):
                    if not cursor.value:
                        break
                    ipa = lib.espeak_TextToPhonemes(
                        ctypes.byref(cursor), _CHARS_UTF8, _PHONEMES_IPA
                    )
                    clauses.append((ipa or b"").decode("utf-8", errors="replace").strip())
        return " ".join(c for c in clauses if c)

    @contextmanager
    def _loaded(self, voice: str) -> Iterator[tuple[Any, int]]:
        lib = ctypes.CDLL(self._lib_path)
        try:
            _declare(lib)
            root = os.fsencode(self._data_root)
            rate_hz = lib.espeak_Initialize(
                _AUDIO_OUTPUT_SYNCHRONOUS, 0, root, _INITIALIZE_DONT_EXIT
            )
            if rate_hz <= 0:
                raise OSError(f"espeak_Initialize failed with data {self._data_root}")
            try:
                lib.espeak_SetSynthCallback(_CALLBACK)
                _ok(lib.espeak_SetVoiceByName(voice.encode("ascii")), f"voice {voice!r}")
                yield lib, rate_hz
            finally:
                lib.espeak_Terminate()
        finally:
            _unload(lib, self._lib_path)


def _declare(lib: Any) -> None:
    c = ctypes
    signatures: dict[str, tuple[list[Any], Any]] = {
        "espeak_Initialize": ([c.c_int, c.c_int, c.c_char_p, c.c_int], c.c_int),
        "espeak_SetSynthCallback": ([_SynthCallback], None),
        "espeak_SetVoiceByName": ([c.c_char_p], c.c_int),
        "espeak_SetParameter": ([c.c_int, c.c_int, c.c_int], c.c_int),
        "espeak_Synth": (
            [c.c_char_p, c.c_size_t, c.c_uint, c.c_int, c.c_uint, c.c_uint, c.c_void_p, c.c_void_p],
            c.c_int,
        ),
        "espeak_Synchronize": ([], c.c_int),
        "espeak_TextToPhonemes": ([c.POINTER(c.c_char_p), c.c_int, c.c_int], c.c_char_p),
        "espeak_Terminate": ([], c.c_int),
    }
    for symbol, (argtypes, restype) in signatures.items():
        try:
            function = getattr(lib, symbol)
        except AttributeError as exc:
            raise OSError(f"libespeak-ng lacks {symbol}; {_REINSTALL}") from exc
        function.argtypes, function.restype = argtypes, restype


def _ok(status: int, call: str) -> None:
    if status != 0:  # EE_OK
        raise OSError(f"{call} returned error {status}")


def _unload(lib: Any, lib_path: str) -> None:
    global _warned_resident
    dlclose = getattr(_ctypes, "dlclose", None)
    if dlclose is None:  # not POSIX: the state persists, so output may vary slightly
        return
    dlclose(lib._handle)
    try:  # still mapped means someone else holds it: the next job inherits its state
        probe = ctypes.CDLL(lib_path, mode=os.RTLD_NOLOAD)
    except OSError:
        return
    dlclose(probe._handle)
    if not _warned_resident:
        _warned_resident = True
        logger.warning("libespeak-ng stays loaded by another module; clips may differ slightly")


class _ProgramRoute:
    """A system espeak-ng, one process per chunk: a fresh state every time."""

    def __init__(self, program: str, data_root: Path | None) -> None:
        self._base = [program, "-b", "1", "--stdin"]  # -b 1: the text is UTF-8
        if data_root is not None:
            self._base.append(f"--path={data_root}")

    def speak(
        self, chunks: Sequence[_Chunk], voice: str, rate_wpm: int, pitch: int
    ) -> tuple[list[bytes], int]:
        parts, rate_hz = [], 0
        for chunk in chunks:
            args = ["-v", voice, "-s", str(rate_wpm), "-p", str(pitch), "--stdout"]
            pcm, rate_hz = _wav_pcm(
                self._run(args + ([] if chunk.pause_after else ["-z"]), chunk.text)
            )
            parts.append(pcm)
        return parts, rate_hz

    def phonemes(self, chunks: Sequence[_Chunk], voice: str) -> str:
        lines = (self._run(["-q", "--ipa", "-v", voice], c.text).decode("utf-8") for c in chunks)
        return " ".join(" ".join(out.split()) for out in lines if out.strip())

    def _run(self, args: list[str], text: str) -> bytes:
        done = subprocess.run(
            [*self._base, *args],
            input=text.encode("utf-8"),
            capture_output=True,
            timeout=PROGRAM_TIMEOUT_S,
            check=False,
        )
        if done.returncode != 0:
            message = done.stderr.decode("utf-8", errors="replace").strip() or "no message"
            raise subprocess.SubprocessError(f"exit status {done.returncode}: {message}")
        return done.stdout
