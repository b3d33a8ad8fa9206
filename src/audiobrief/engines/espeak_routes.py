"""Engine helper: the two ways to run eSpeak NG, libespeak-ng via ctypes or the program."""

from __future__ import annotations

import _ctypes
import ctypes
import functools
import glob
import io
import logging
import os
import subprocess
import threading
import wave
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NamedTuple

logger = logging.getLogger(__name__)

PROGRAM_TIMEOUT_S = 30.0
_REINSTALL = "run: pip install --force-reinstall espeakng-loader"
MID_CLAUSE_GAP_MS = 60  # eSpeak makes no pause between words; a short one masks the pitch reset

# speak_lib.h constants
_AUDIO_OUTPUT_SYNCHRONOUS = 2
_INITIALIZE_DONT_EXIT = 0x8000  # return an error rather than exit(1) on unusable data
_POS_CHARACTER = 1
_CHARS_UTF8 = 1
_ENDPAUSE = 0x1000  # end with the pause of the final punctuation, as inside a sentence
_PARAM_RATE, _PARAM_PITCH = 1, 3
_PHONEMES_IPA = 0x02


class Chunk(NamedTuple):
    text: str
    pause_after: bool
    """Not last and ends a clause: eSpeak ends it with its own pause for that punctuation."""
    gap_after: bool
    """Not last and cut mid-clause: MID_CLAUSE_GAP_MS of silence follows."""


def wav_pcm(wav: bytes) -> tuple[bytes, int]:
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


class LibRoute:
    """libespeak-ng loaded for one job and unloaded after it.

    The wave generator keeps state between calls (pitch flutter phase, filter memory), so a
    library kept loaded gives slightly different samples for the same text. A fresh load
    costs about 0.4 ms and makes every clip byte-identical, as long as the voice is named
    by its file (see voice_file).
    """

    def __init__(self, lib_path: str, data_root: Path) -> None:
        self._lib_path, self._data_root = lib_path, data_root

    def speak(
        self, chunks: Sequence[Chunk], voice: str, rate_wpm: int, pitch: int
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

    def phonemes(self, chunks: Sequence[Chunk], voice: str) -> str:
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
                named = voice_file(self._data_root, voice).encode("ascii")
                _ok(lib.espeak_SetVoiceByName(named), f"voice {voice!r}")
                yield lib, rate_hz
            finally:
                lib.espeak_Terminate()
        finally:
            _unload(lib, self._lib_path)


@functools.cache
def voice_file(data_root: Path, voice: str) -> str:
    """*voice* named by its file under lang/ ("ar+m3" -> "sem/ar+m3") where that is one file.

    eSpeak takes a name that is a file's path at once; any other name ("ar") makes it read
    every voice and variant file to find it, about 300 files and 3 ms at each load, more
    than loading the library. Both select the same voice and give the same samples. A
    name that is no file's (a voice's display name) is passed on as it is.
    """
    base, plus, variant = voice.partition("+")
    if not base or "/" in base or (plus and not variant) or (data_root / "voices" / base).is_file():
        return voice
    found = [p for p in (data_root / "lang").rglob(glob.escape(base)) if p.is_file()]
    if len(found) != 1:
        return voice
    return found[0].relative_to(data_root / "lang").as_posix() + plus + variant


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


class ProgramRoute:
    """A system espeak-ng, one process per chunk: a fresh state every time."""

    def __init__(self, program: str, data_root: Path | None) -> None:
        self._base = [program, "-b", "1", "--stdin"]  # -b 1: the text is UTF-8
        if data_root is not None:
            self._base.append(f"--path={data_root}")

    def speak(
        self, chunks: Sequence[Chunk], voice: str, rate_wpm: int, pitch: int
    ) -> tuple[list[bytes], int]:
        parts, rate_hz = [], 0
        for chunk in chunks:
            args = ["-v", voice, "-s", str(rate_wpm), "-p", str(pitch), "--stdout"]
            pcm, rate_hz = wav_pcm(
                self._run(args + ([] if chunk.pause_after else ["-z"]), chunk.text)
            )
            parts.append(pcm)
        return parts, rate_hz

    def phonemes(self, chunks: Sequence[Chunk], voice: str) -> str:
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
