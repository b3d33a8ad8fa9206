"""Text stage: Latin-script words said in Arabic script (acronyms spelled, names transliterated).

One voice reads everything: switching to a French or English voice mid-sentence would
break the timeline into clips of different voices, and Moroccan press itself writes
foreign names in Arabic script.
"""

from __future__ import annotations

import itertools
import re
import unicodedata

from audiobrief.text.latin_tables import (
    ACRONYM_WORDS,
    LATIN_WORDS,
    LETTERS_EN,
    LETTERS_FR,
    NAME_WORDS,
)
from audiobrief.text.lazy import has_latin, lazy
from audiobrief.text.numbers import ordinal, read_integer
from audiobrief.text.tables import LATIN
from audiobrief.text.vowels import vowel, vowel_names

_TOKEN = rf"[0-9]*[{LATIN}][{LATIN}0-9]*"
_RUN_RE = lazy(rf"(?<![0-9]){_TOKEN}(?:[ \-'’.&]+{_TOKEN})*")
_PART_RE = lazy(rf"{_TOKEN}|[ \-'’.&]+")
_CHUNK_RE = lazy(r"[0-9]+|[^0-9]+")
_SUKUN, _SHORT = "\u0652", {"A": "\u064e", "I": "\u0650", "U": "\u064f"}
_LONG = {"A": "ا", "I": "ي", "U": "و"}
_INITIAL = {"A": "آ", "I": "إِي", "U": "أُو"}
_FOLD = str.maketrans(
    {
        "é": "E",
        "è": "E",
        "ê": "E",
        "ë": "E",
        "ç": "s",
        "ñ": "n",
        "ß": "ss",
        "æ": "e",
        "œ": "e",
        "ø": "o",
        "ł": "l",
        "đ": "d",
        "ð": "d",
        "þ": "th",
        "ı": "i",
    }
)
# Grapheme rules, longest first; each gives consonant letters or the vowels A, I, U.
_RULES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("tion", ("س", "I", "U", "ن")),
    ("sion", ("س", "I", "U", "ن")),
    ("ien", ("I", "A", "ن")),
    ("ie", ("I",)),
    ("eau", ("U",)),
    ("sch", ("ش",)),
    ("tch", ("تش",)),
    ("ch", ("ش",)),
    ("sh", ("ش",)),
    ("ph", ("ف",)),
    ("th", ("ث",)),
    ("kh", ("خ",)),
    ("gh", ("غ",)),
    ("dj", ("ج",)),
    ("ck", ("ك",)),
    ("qu", ("ك",)),
    ("gu", ("غ",)),
    ("ou", ("U",)),
    ("oo", ("U",)),
    ("ee", ("I",)),
    ("ea", ("I",)),
    ("ai", ("I",)),
    ("ay", ("I",)),
    ("ei", ("I",)),
    ("ey", ("I",)),
    ("au", ("U",)),
    ("oi", ("و", "A")),
    ("x", ("ك", "س")),
    ("c", ("ك",)),
    ("g", ("غ",)),
    ("s", ("س",)),
    ("y", ("I",)),
    ("a", ("A",)),
    ("i", ("I",)),
    ("o", ("U",)),
    ("u", ("U",)),
    ("e", ("I",)),
    ("E", ("I",)),
    ("b", ("ب",)),
    ("d", ("د",)),
    ("f", ("ف",)),
    ("h", ("ه",)),
    ("j", ("ج",)),
    ("k", ("ك",)),
    ("l", ("ل",)),
    ("m", ("م",)),
    ("n", ("ن",)),
    ("p", ("ب",)),
    ("q", ("ك",)),
    ("r", ("ر",)),
    ("t", ("ت",)),
    ("v", ("ف",)),
    ("w", ("و",)),
    ("z", ("ز",)),
)
# French final letters that are not said: Giroud -> جيرو, Arnaud, Thibault, Bordeaux,
# François, Calais. Only endings that English names do not share.
_SILENT_FINALS = {
    "ault": "o",
    "aud": "o",
    "oud": "ou",
    "eaux": "o",
    "aux": "o",
    "ois": "oi",
    "ais": "E",
    "ait": "E",
}
_SILENT_FINAL = lazy("(?:" + "|".join(_SILENT_FINALS) + ")$")
_CAMEL_RE = lazy(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+")
_ROMAN = lazy(r"^M{0,3}(CM|CD|D?C{0,3})(XC|XL|L?X{0,3})(IX|IV|V?I{0,3})$")
_ROMAN_VALUES = {"M": 1000, "D": 500, "C": 100, "L": 50, "X": 10, "V": 5, "I": 1}
_SOFT = "eiyE"
_VOWELS = "aeiouyE"


def _key(word: str) -> str:
    decomposed = unicodedata.normalize("NFKD", word.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def spell_letters(letters: str, style: str = "fr") -> str:
    """Say each letter by its name: OCP -> أُو سِي بِي (French names) ."""
    names = LETTERS_FR if style == "fr" else LETTERS_EN
    return " ".join(names[c] for c in _key(letters) if c in names)


def _units(word: str) -> list[str]:
    text = word.lower().translate(_FOLD)
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if "a" <= c <= "z" or c == "E")
    if len(text) > 3 and text.endswith("e") and text[-2] not in "aeiouy":
        text = text[:-1]  # mute final e: zone, Google
    if len(text) > 4:
        text = _SILENT_FINAL.sub(lambda m: _SILENT_FINALS[m[0]], text)
    units: list[str] = []
    i = 0
    while i < len(text):
        c, nxt = text[i], text[i + 1 : i + 2]
        rule = next((r for r in _RULES if len(r[0]) > 1 and text.startswith(r[0], i)), None)
        if rule and not (rule[0] == "gu" and text[i + 2 : i + 3] not in ("e", "i", "E")):
            units.extend(rule[1])
            i += len(rule[0])
            continue
        if c == "y":
            units.append("ي" if i == 0 or (nxt and nxt in _VOWELS) else "I")
        elif c in "cg" and nxt and nxt in _SOFT:
            units.append("س" if c == "c" else "ج")
        elif c in "cg":
            units.append("ك" if c == "c" else "غ")
        elif c == "s":
            voiced = i > 0 and text[i - 1] in _VOWELS and bool(nxt) and nxt in _VOWELS
            units.append("ز" if voiced else "س")  # French: Parisien -> باريزيان
        else:
            units.extend(next((out for graph, out in _RULES if graph == c), ()))
        i += 1
    # A doubled consonant is said once (Sirocco, Twitter).
    return [u for j, u in enumerate(units) if j == 0 or u in _LONG or u != units[j - 1]]


def transliterate(word: str) -> str:
    """Write a French or English word in Arabic letters with its vowels: Sirocco -> سِيرُوكُو."""
    if _key(word) in LATIN_WORDS:
        return vowel_names(LATIN_WORDS[_key(word)])
    if _key(word) in NAME_WORDS:
        return NAME_WORDS[_key(word)]
    units = _units(word)
    out: list[str] = []
    for j, unit in enumerate(units):
        after = units[j + 1] if j + 1 < len(units) else None
        if unit in _LONG:
            before = units[j - 1] if j else None
            if before is None:
                out.append(_INITIAL[unit])
            elif before in _LONG and before != "A":
                out[-1] += _SHORT[unit]  # a glide: Nokia -> نُوكِيَا
                out.append(_LONG[unit])
            else:
                out.append(_LONG[unit])
        else:
            mark = _SHORT.get(after or "", _SUKUN)
            out.append(_SUKUN.join(unit) + mark)
    return "".join(out)


def speak_token(token: str, style: str = "fr") -> str:
    """One Latin token in Arabic script: an acronym, a mixed code (V30S), or a word."""
    if token in ACRONYM_WORDS:
        return vowel_names(ACRONYM_WORDS[token])
    if not any(c.isdigit() for c in token):
        if len(token) == 1:
            return spell_letters(token, style)
        if token.isupper() and (len(token) <= 4 or not _sayable(token)):
            return spell_letters(token, style)
        if _key(token) not in LATIN_WORDS and _is_camel(token):
            return " ".join(_camel_part(part, style) for part in _CAMEL_RE.findall(token))
        return transliterate(token)
    words = []
    for chunk in _CHUNK_RE.findall(token):
        if chunk.isdigit():
            words.append(vowel(read_integer(chunk)))
        elif len(chunk) == 1 or chunk.isupper():
            known = ACRONYM_WORDS.get(chunk)
            words.append(vowel_names(known) if known else spell_letters(chunk, style))
        else:
            words.append(transliterate(chunk))
    return " ".join(words)


def _is_camel(token: str) -> bool:
    """iPad, AirTag, PlayStation: a capital after a small letter joins two words."""
    if re.match("(?:[cdjlmnst]|qu)[A-Z]", token):
        return False  # French elision joined by _speak_run: lOrient, dOr
    return any(a.islower() and b.isupper() for a, b in itertools.pairwise(token))


def _camel_part(part: str, style: str) -> str:
    if len(part) == 1 and part.islower():
        return LETTERS_EN[part]  # the i of iPad, the e of eBay: English letter names
    return speak_token(part, style)


def _sayable(word: str) -> bool:
    """Whether an all-capitals word of five letters or more reads as a word (PARIS)."""
    key = _key(word)
    return key in LATIN_WORDS or (
        sum(c in "aeiouy" for c in key) >= 2 and not re.search("[^aeiouy]{4}", key)
    )


def spell_latin(text: str, style: str = "fr") -> str:
    """Replace every Latin-script run with Arabic script; *style* fr or en names letters."""
    if not has_latin(text):
        return text
    return _RUN_RE.sub(lambda m: _speak_run(m[0], style), text)


def roman_value(numeral: str) -> int | None:
    """The value of a well-formed Roman numeral (XIV -> 14), or None."""
    if not numeral or not _ROMAN.match(numeral):
        return None
    values = [_ROMAN_VALUES[c] for c in numeral]
    return sum(-v if i + 1 < len(values) and v < values[i + 1] else v for i, v in enumerate(values))


def _speak_run(run: str, style: str) -> str:
    parts = _PART_RE.findall(run)
    index = 1
    while index < len(parts) - 1:  # elision: l'Orient, d'Or are one word
        if parts[index] in ("'", "’") and len(parts[index - 1]) <= 2:
            parts[index - 1 : index + 2] = [parts[index - 1] + parts[index + 1]]
        else:
            index += 2
    out: list[str] = []
    for index, part in enumerate(parts):
        if index % 2 == 0:
            rank = roman_value(part) if index and len(part) > 1 else None
            if (
                rank is not None
                and parts[index - 1].strip() == ""
                and parts[index - 2][:1].isupper()
            ):
                out.append(vowel(ordinal(rank)))  # Louis XIV, Mohammed VI: the ordinal
            else:
                out.append(speak_token(part, style))
            continue
        sep = part.strip()
        if sep == "." and len(parts[index - 1]) > 1 and len(parts[index + 1]) > 1:
            out.append(f" {vowel_names('دوت')} ")  # hespress.com
        elif sep == "&":
            out.append(" و")
        else:
            out.append(" ")
    return "".join(out)
