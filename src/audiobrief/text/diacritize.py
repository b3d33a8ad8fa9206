"""Text stage: add harakat offline, so eSpeak NG reads words instead of consonant clusters."""

from __future__ import annotations

import importlib.util
import json
import logging
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from audiobrief.errors import (
    ConfigError,
    EngineError,
    EngineUnavailableError,
    onnxruntime_errors,
)
from audiobrief.text.lazy import lazy
from audiobrief.text.split import pieces

logger = logging.getLogger(__name__)

Model = Callable[[str], str]

PIPER_TASHKEEL = "piper-tashkeel"
"""libtashkeel's ONNX model as shipped inside the piper-tts wheel (GPL-3.0-or-later)."""
TEXT2TASHKEEL_MODELS = (
    "rawi-ensemble",
    "rawi-v3-int8",
    "rawi-v2-int8",
    "rawi-v2-int8+rawi-v3-int8",
    "rawi-v2-int8+rawi-int8",
    "rawi-int8",
    "bilstm-int8",
    "bilstm-int8+rawi-int8",
)
"""text2tashkeel models whose weights ship in its wheel; the others download at run time."""
MODELS = (PIPER_TASHKEEL, *TEXT2TASHKEEL_MODELS)
# "auto" takes the first installed one. On the WikiNews 2014 gold (bench/diacritization.py)
# piper-tashkeel scores DER 2.4% with case endings, rawi-ensemble 4.3% after the letter guard.
_AUTO_ORDER = (PIPER_TASHKEEL, "rawi-ensemble")

_MARKS = "\u064b-\u0652\u0670"  # tanween, harakat, shadda, sukun, dagger alef
_MARK_RE = lazy(f"[{_MARKS}]")
_VOWEL_RE = lazy("[\u064b-\u0650\u0652]")  # tanween, short vowels, sukun
_ARABIC_LETTER_RE = lazy("[\u0621-\u063a\u0641-\u064a\u0671-\u06d3]")
_VOWEL_THEN_SHADDA_RE = lazy("([\u064b-\u0650])\u0651")
_TOKEN_RE = lazy(r"(\s+)")
# One lock for every instance: loading registers into text2tashkeel's global registry.
_LOAD_LOCK = threading.Lock()


def shadda_first(text: str) -> str:
    """Put each shadda before its short vowel or tanween (NOTES.md §1, pitfall 1).

    NFC orders the vowel first (fatha ccc 30 < shadda ccc 33) and eSpeak NG then drops
    the vowel, so this runs last and nothing may NFC-normalize the text afterwards.
    """
    return _VOWEL_THEN_SHADDA_RE.sub("\u0651\\1", text)


def strip_marks(text: str) -> str:
    """Remove harakat, tanween, shadda, sukun and the dagger alef; letters stay."""
    return _MARK_RE.sub("", text)


def needs_marks(word: str) -> bool:
    """True for a word with Arabic letters and no vowel marks yet (a lexicon entry has some).

    A shadda alone does not count: writers put one on words like تمّ, and without
    vowels eSpeak NG reads them as bare consonants.
    """
    return bool(_ARABIC_LETTER_RE.search(word)) and not _VOWEL_RE.search(word)


def merge_words(source: str, diacritized: str) -> str | None:
    """Take each word's marks from *diacritized*, keeping the source's spacing and letters.

    A word keeps its source form when it needs no marks (punctuation, Latin, digits, a
    word the user already diacritized) or when the model changed its letters: rawi
    models rewrite hamzas (ترأست -> تَرَاسَتْ). Returns None when the two texts do not
    have the same number of whitespace-delimited words, so words cannot be paired.
    """
    parts = _TOKEN_RE.split(source)
    words = diacritized.split()
    if len(words) != len(parts[::2]) - parts[::2].count(""):
        return None
    merged, found = [], iter(words)
    for index, part in enumerate(parts):
        if index % 2 or not part:
            merged.append(part)
            continue
        candidate = next(found)
        if needs_marks(part) and strip_marks(candidate) == strip_marks(part):
            merged.append(_keep_shadda(part, candidate) if "\u0651" in part else candidate)
        else:
            if needs_marks(part):
                logger.debug(
                    "diacritizer changed letters of %r (%r); kept it bare", part, candidate
                )
            merged.append(part)
    return "".join(merged)


def _keep_shadda(source: str, candidate: str) -> str:
    """The model's marks, plus each shadda the writer put and the model left out."""
    doubled = {i for i, letter in enumerate(_letters(source)) if "\u0651" in letter}
    letters = _letters(candidate)
    for i in doubled:
        if "\u0651" not in letters[i]:  # a doubled letter cannot also be vowelless
            letters[i] = letters[i][0] + "\u0651" + letters[i][1:].replace("\u0652", "")
    return "".join(letters)


def _letters(word: str) -> list[str]:
    """Each base character with the marks that follow it."""
    out: list[str] = []
    for char in word:
        if out and _MARK_RE.match(char):
            out[-1] += char
        else:
            out.append(char)
    return out


class Diacritizer:
    """Adds harakat to normalized Arabic text; the model loads once, on first use.

    The output has the input's letters, spacing and word count: the script builder
    re-splits a diacritized sentence into its clauses by counting words.
    """

    def __init__(self, model: str = "auto") -> None:
        if model != "auto" and model not in MODELS:
            choices = ", ".join(("auto", *MODELS))
            raise ConfigError(f"Unknown diacritizer model {model!r}; choose one of: {choices}.")
        self._requested = model
        self._model: Model | None = None
        self._name: str | None = None

    @property
    def name(self) -> str:
        """The model in use; "auto" resolves to the best one installed."""
        if self._name is None:
            self._name = _resolve(self._requested)
        return self._name

    def __call__(self, text: str) -> str:
        """Return *text* with harakat on every Arabic word the model can mark safely.

        The model sees at most MAX_PIECE_WORDS words at a time (split.pieces: cut at
        clause marks, else between words): one call's memory grows with the square of
        its length (1.7 GB at 800 words), so it stays bounded on any sentence.
        """
        return "".join(self._mark_piece(piece) for piece in pieces(text))

    def _mark_piece(self, text: str) -> str:
        if not any(needs_marks(word) for word in text.split()):
            return shadda_first(text)
        merged = merge_words(text, self.predict(text))
        if merged is None:
            # rawi models drop symbol characters (©, ★), which shifts every later word:
            # mark each run of bare Arabic words on its own, keeping what lies between.
            logger.warning("diacritizer changed the word count; marking runs: %.60r", text)
            merged = "".join(self._mark_run(run) for run in _runs(text))
        return shadda_first(merged)

    def predict(self, text: str) -> str:
        """The model's raw output, unguarded (benchmarks compare it with __call__)."""
        model = self._load()
        try:
            return model(text)
        except _model_errors() as exc:
            reason = f"model {self.name} failed ({exc}); reinstall it or choose another model."
            raise EngineError("diacritizer", reason) from exc

    def _mark_run(self, run: str) -> str:
        if not any(needs_marks(word) for word in run.split()):
            return run
        merged = merge_words(run, self.predict(run))
        return run if merged is None else merged

    def _load(self) -> Model:
        if self._model is None:
            with _LOAD_LOCK:
                if self._model is None:
                    self._model = _load_model(self.name)
                    logger.info("diacritizer model %s loaded", self.name)
        return self._model


def _runs(text: str) -> list[str]:
    """Cut *text* into runs of words that need marks and runs of everything else."""
    runs: list[str] = []
    marking: bool | None = None
    for part in _TOKEN_RE.split(text):
        if not part:
            continue
        kind = needs_marks(part) if not part.isspace() else marking
        if runs and kind == marking:
            runs[-1] += part
        else:
            runs.append(part)
            marking = kind
    return runs


def installed_models() -> list[str]:
    """The models of MODELS that can load on this machine, best first."""
    return [name for name in MODELS if _installed(name)]


def _resolve(requested: str) -> str:
    if requested != "auto":
        return requested
    for name in _AUTO_ORDER:
        if _installed(name):
            return name
    raise EngineUnavailableError(
        "diacritizer", "no diacritizer model is installed; run: pip install text2tashkeel"
    )


def _installed(name: str) -> bool:
    if name == PIPER_TASHKEEL:
        return _piper_tashkeel_dir() is not None
    return importlib.util.find_spec("text2tashkeel") is not None


def _piper_tashkeel_dir() -> Path | None:
    # Only the model files of piper-tts are used, never its code: piper is an engine
    # library and loads only with its engine. find_spec locates it without importing it.
    spec = importlib.util.find_spec("piper")
    for root in (spec.submodule_search_locations or []) if spec else []:
        folder = Path(root) / "tashkeel"
        if (folder / "model.onnx").is_file():
            return folder
    return None


def _load_model(name: str) -> Model:
    try:
        import text2tashkeel
    except ImportError as exc:
        raise EngineUnavailableError(
            "diacritizer", "text2tashkeel is not installed; run: pip install text2tashkeel"
        ) from exc
    if name == PIPER_TASHKEEL:
        name = _register_piper_tashkeel(text2tashkeel)
    # onnxruntime prints its own coloured error lines to stderr before raising; the
    # exception carries the same message into EngineError, so only fatal ones may print.
    importlib.import_module("onnxruntime").set_default_logger_severity(4)
    try:
        with _one_onnx_thread():
            model = text2tashkeel.Diacritizer(name)
            _ = model.backend  # build the ONNX session now, so a broken file fails at load
    except _model_errors() as exc:
        raise EngineUnavailableError(
            "diacritizer", f"cannot load model {name} ({exc}); reinstall text2tashkeel."
        ) from exc
    diacritize: Model = model.diacritize
    return diacritize


@contextmanager
def _one_onnx_thread() -> Iterator[None]:
    """Sessions built inside get one intra-op thread (text2tashkeel's knob is a variable).

    Its default pool spins after every call (one per sentence piece), burning the CPU of
    speak's other worker: a cold 6-article speak took 6.2 CPU seconds, not 7.7 (2 cores).
    A value the user set is kept: on a machine with cores to spare it may be faster.
    """
    if "TT_ORT_THREADS" in os.environ:
        yield
        return
    os.environ["TT_ORT_THREADS"] = "1"
    try:
        yield
    finally:
        os.environ.pop("TT_ORT_THREADS", None)


def _register_piper_tashkeel(text2tashkeel: Any) -> str:
    folder = _piper_tashkeel_dir()
    if folder is None:
        raise EngineUnavailableError(
            "diacritizer",
            f"model {PIPER_TASHKEEL} needs piper-tts; run: pip install piper-tts"
            " or choose the model rawi-ensemble.",
        )
    # text2tashkeel decodes libtashkeel models and bundles the same id maps as piper;
    # its "libtashkeel" name would download, so the piper copy gets a name of its own.
    maps = Path(text2tashkeel.__file__).parent / "models" / "libtashkeel.maps.json"
    try:
        ours = json.loads(maps.read_text(encoding="utf-8"))
        theirs = {
            key: json.loads((folder / f"{key}_id_map.json").read_text(encoding="utf-8"))
            for key in ("input", "hint", "target")
        }
    except (OSError, ValueError) as exc:
        raise EngineUnavailableError(
            "diacritizer", f"cannot read the {PIPER_TASHKEEL} maps ({exc}); reinstall piper-tts."
        ) from exc
    if any(ours.get(key) != value for key, value in theirs.items()):
        # Other ids would silently put every mark on the wrong letter.
        raise EngineUnavailableError(
            "diacritizer",
            f"this piper-tts ships {PIPER_TASHKEEL} maps that text2tashkeel does not decode;"
            " choose the model rawi-ensemble.",
        )
    text2tashkeel.register_model(PIPER_TASHKEEL, folder / "model.onnx", maps, arch="libtashkeel")
    return PIPER_TASHKEEL


def _model_errors() -> tuple[type[BaseException], ...]:
    return (OSError, RuntimeError, ValueError, LookupError, ImportError, *onnxruntime_errors())
