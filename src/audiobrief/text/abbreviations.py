"""Text stage: Arabic abbreviations (ق.م, ص.ب, د. before a name) said in full."""

from __future__ import annotations

import re

from audiobrief.text.lazy import lazy
from audiobrief.text.tables import LETTERS, MARKS

# Abbreviations with their spoken form. The spoken form holds the abbreviation's letters
# in order (a property test relies on it: no Arabic letter of the input is lost). It is
# written with harakat, like every word the front end writes (text/vowels.py), so the
# diacritizer keeps it; an initial bare letter starts a cluster (فرَانْس).
_AGENCY_AFP = "وَكَالَة فرَانْس برِس"
_AGENCY_MAP = "وَكَالَة الْمَغْرِبِ الْعَرَبِيِّ لِلْأَنْبَاءِ"
ABBREVIATIONS: dict[str, str] = {
    "ق.م": "قَبْلَ الْمِيلَادِ",
    "ق.ه": "قَبْلَ الْهِجْرَةِ",
    "ص.ب": "صُنْدُوق الْبَرِيد",
    "ج.م.ع": "جُمْهُورِيَّة مِصْرَ الْعَرَبِيَّة",
    "و.م.ع": _AGENCY_MAP,
    "أ.ف.ب": _AGENCY_AFP,
    "ا.ف.ب": _AGENCY_AFP,
    "ش.م.م": "شَرِكَة مَحْدُودَة الْمَسْؤُولِيَّة",
    "ش.م": "شَرِكَة مُسَاهَمَة",
    "أ.د": "الْأُسْتَاذ الدُّكْتُور",
    "إلخ": "إِلَى آخِرِهِ",
    "الخ": "إِلَى آخِرِهِ",
}
# Parenthesised honorifics and agency credits printed as letters.
BRACKETED: dict[str, str] = {
    "ص": "صَلَّى اللَّهُ عَلَيْهِ وَسَلَّمَ",
    "ع": "عَلَيْهِ السَّلَامُ",
    "رض": "رَضِيَ اللَّهُ عَنْهُ",
    "ا ف ب": _AGENCY_AFP,
    "أ ف ب": _AGENCY_AFP,
    "و م ع": _AGENCY_MAP,
}
# Titles abbreviated with a dot before a name: د. أحمد -> الدكتور أحمد.
TITLES: dict[str, str] = {"د": "الدُّكْتُور", "ذ": "الْأُسْتَاذ"}
# Typed with the vowel before the shadda; eSpeak NG needs the shadda first (NOTES.md §1).
for _table in (ABBREVIATIONS, BRACKETED, TITLES):
    _table.update({k: re.sub("([\u064b-\u0650])\u0651", "\u0651\\1", v) for k, v in _table.items()})

_START = f"(?<![{LETTERS}{MARKS}\\d])"
_END = f"(?![{LETTERS}{MARKS}])"


def _pattern(key: str) -> str:
    if "." not in key:
        return re.escape(key)
    return r"\s*\.\s*".join(re.escape(part) for part in key.split(".")) + r"\.?"


_ABBREVIATION_RE = lazy(
    _START
    + "("
    + "|".join(_pattern(k) for k in sorted(ABBREVIATIONS, key=len, reverse=True))
    + ")"
    + _END
)
_BRACKETED_RE = lazy(
    r"\(\s*(" + "|".join(map(re.escape, sorted(BRACKETED, key=len, reverse=True))) + r")\s*\)"
)
_TITLE_RE = lazy(_START + "(" + "|".join(TITLES) + rf")\.\s*(?=[{LETTERS}])")
_SPACES_DOTS = lazy(r"[\s.]")


def expand_bracketed(text: str) -> str:
    """Say letters printed in brackets in full: (ص) -> صلى الله عليه وسلم, (و م ع)."""
    return _BRACKETED_RE.sub(lambda m: BRACKETED[m[1]], text)


def expand_abbreviations(text: str) -> str:
    """Say abbreviations in full: ق.م -> قبل الميلاد, ص.ب -> صندوق البريد, د. -> الدكتور."""
    text = _ABBREVIATION_RE.sub(lambda m: _lookup(m[1]), text)
    return _TITLE_RE.sub(lambda m: TITLES[m[1]] + " ", text)


def _lookup(written: str) -> str:
    compact = _SPACES_DOTS.sub("", written)
    for key, spoken in ABBREVIATIONS.items():
        if key.replace(".", "") == compact:
            return spoken
    return written
