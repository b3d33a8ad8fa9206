"""Text stage: add harakat offline, so eSpeak NG reads words instead of consonant clusters."""

from __future__ import annotations

import logging
import threading

from audiobrief.cache import Cache
from audiobrief.errors import (
    ConfigError,
    EngineError,
)
from audiobrief.text import tashkeel_models as models
from audiobrief.text.lazy import lazy
from audiobrief.text.split import pieces

logger = logging.getLogger(__name__)

Model = models.Model

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

    def __init__(self, model: str = "auto", *, cache: Cache | None = None) -> None:
        """*cache* keeps the model as onnxruntime optimizes it (tashkeel_models)."""
        if model != "auto" and model not in models.MODELS:
            choices = ", ".join(("auto", *models.MODELS))
            raise ConfigError(f"Unknown diacritizer model {model!r}; choose one of: {choices}.")
        self._requested, self._cache = model, cache
        self._model: Model | None = None
        self._name: str | None = None

    @property
    def name(self) -> str:
        """The model in use; "auto" resolves to the best one installed."""
        if self._name is None:
            self._name = models.resolve(self._requested)
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
        except models.model_errors() as exc:
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
                    self._model = models.load_model(self.name, self._cache)
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
