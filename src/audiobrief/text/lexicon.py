"""Text stage: the user's pronunciation lexicon (voices/lexicon.tsv), whole-word replacements."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

from audiobrief.errors import ConfigError
from audiobrief.text.lazy import lazy
from audiobrief.text.tables import LATIN, LETTERS, MARKS

_MARK_RE = lazy(f"[{MARKS}]")
_VOWEL_THEN_SHADDA = lazy("([\u064b-\u0650])\u0651")
_WORD_RE = lazy(f"[{LETTERS}{MARKS}]+|[{LATIN}0-9]+")
_SPOKEN_RE = lazy(f"[{LETTERS}{MARKS} ]+")
# Proclitics a written word may carry (وبالرباط, للحجوبي), longest first.
_PROCLITICS = (
    "وبال",
    "فبال",
    "وكال",
    "ولل",
    "فلل",
    "وال",
    "فال",
    "بال",
    "كال",
    "لل",
    "وب",
    "ول",
    "وك",
    "فب",
    "فل",
    "فك",
    "ال",
    "و",
    "ف",
    "ب",
    "ل",
    "ك",
)


def _bare(text: str) -> str:
    return _MARK_RE.sub("", text)


class Lexicon:
    """Written form -> spoken form (diacritized when the user gave harakat).

    Single Arabic words also match with proclitics attached (و ف ب ل ك ال); phrases and
    Latin-script entries match as written (Latin ignoring case).
    """

    def __init__(self, entries: Mapping[str, str]) -> None:
        self._words: dict[str, str] = {}
        phrases: dict[str, str] = {}
        for written, said in entries.items():
            # Shadda before its vowel, as eSpeak NG needs and as fold_unicode leaves the
            # text: a form typed vowel first would change on a second pass.
            spoken = _VOWEL_THEN_SHADDA.sub("\u0651\\1", said)
            key = _bare(written).strip()
            if " " in key:
                phrases[key] = spoken
            else:
                self._words[key.casefold() if key.isascii() else key] = spoken
        self._phrases = phrases
        self._phrase_re = None
        if phrases:
            alternatives = sorted(phrases, key=len, reverse=True)
            body = "|".join(_tolerant(p) for p in alternatives)
            self._phrase_re = re.compile(
                f"(?<![{LETTERS}{MARKS}{LATIN}])([وفبلك]?)({body})(?![{LETTERS}{MARKS}{LATIN}])"
            )

    def __len__(self) -> int:
        return len(self._words) + len(self._phrases)

    def __call__(self, text: str) -> str:
        """Replace every known word or phrase of *text* by its spoken form."""
        if self._phrase_re is not None:
            text = self._phrase_re.sub(
                lambda m: m[1] + self._phrases[" ".join(_bare(m[2]).split())], text
            )
        if not self._words:
            return text
        return _WORD_RE.sub(lambda m: self._word(m[0]), text)

    def _word(self, word: str) -> str:
        bare = _bare(word)
        if bare.isascii():
            return self._words.get(bare.casefold(), word)
        if bare in self._words:
            return self._words[bare]
        for clitic in _PROCLITICS:
            if not bare.startswith(clitic) or len(bare) - len(clitic) < 2:
                continue
            rest = bare[len(clitic) :]
            if clitic.endswith("لل") and "ال" + rest in self._words:
                spoken = self._words["ال" + rest]  # ل + ال: للحجوبي
                head = _voweled_clitic(clitic[:-1], spoken)
                return head + (spoken[1:] if spoken.startswith("ا") else spoken)
            if clitic.endswith("ال") and "ال" + rest in self._words:
                spoken = self._words["ال" + rest]
                return _voweled_clitic(clitic[:-2], spoken) + spoken
            if rest in self._words:
                return _voweled_clitic(clitic, self._words[rest]) + self._words[rest]
        return word


_CLITIC_VOWELS = {"و": "\u064e", "ف": "\u064e", "ك": "\u064e", "ب": "\u0650", "ل": "\u0650"}


def _voweled_clitic(clitic: str, spoken: str) -> str:
    """The proclitics with their vowels when the entry has harakat (بِفَاس, not بفَاس):
    the diacritizer keeps a marked word as it is, so a bare clitic would stay bare."""
    if not _MARK_RE.search(spoken):
        return clitic
    if clitic.endswith("ال"):
        return "".join(c + _CLITIC_VOWELS[c] for c in clitic[:-2]) + "ال"
    return "".join(c + _CLITIC_VOWELS[c] for c in clitic)


def _tolerant(phrase: str) -> str:
    """A regex for *phrase* that allows harakat after each letter and any spacing."""
    words = [f"[{MARKS}]*".join(map(re.escape, word)) + f"[{MARKS}]*" for word in phrase.split()]
    return r"\s+".join(words)


def parse_lexicon(text: str, origin: str = "lexicon") -> Lexicon:
    """Build a Lexicon from TSV text: written, spoken, optional diacritized; `#` comments."""
    entries: dict[str, str] = {}
    lines: dict[str, int] = {}
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        fields = [f.strip() for f in raw.rstrip("\r\n").split("\t")]
        where = f"{origin}:{number}"
        if len(fields) not in (2, 3):
            raise ConfigError(
                f"{where}: expected 2 or 3 tab-separated columns (written, spoken, optional "
                f"diacritized), found {len(fields)}; separate the columns with one tab."
            )
        written = " ".join(fields[0].split())
        spoken = " ".join((fields[2] if len(fields) == 3 and fields[2] else fields[1]).split())
        if not written or not spoken:
            raise ConfigError(f"{where}: the written and the spoken form must not be empty.")
        if not _SPOKEN_RE.fullmatch(spoken):
            raise ConfigError(
                f"{where}: the spoken form {spoken!r} must hold only Arabic letters, harakat "
                "and spaces (voices read no digits, Latin letters or punctuation); "
                "write numbers and foreign names out in Arabic script."
            )
        key = _bare(written)
        if key in lines:
            raise ConfigError(
                f"{where}: {written!r} is already defined on line {lines[key]}; keep one entry."
            )
        entries[written], lines[key] = _VOWEL_THEN_SHADDA.sub("\u0651\\1", spoken), number
    lexicon = Lexicon(entries)
    for written, spoken in entries.items():
        if lexicon(spoken) != spoken:
            raise ConfigError(
                f"{origin}:{lines[_bare(written)]}: the spoken form {spoken!r} contains a word "
                "that another entry replaces again; write its final form directly."
            )
    return lexicon


def load_lexicon(path: Path) -> Lexicon:
    """Read a lexicon TSV file; a bad row raises ConfigError naming its line."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"Cannot read the lexicon {path}: {exc}; check the file.") from exc
    return parse_lexicon(text, origin=str(path))
