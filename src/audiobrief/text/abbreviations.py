"""Text stage: Arabic abbreviations (ق.م, ص.ب, د. before a name) said in full."""

from __future__ import annotations

import re

from audiobrief.text.tables import ABBREVIATIONS, BRACKETED, LETTERS, MARKS, TITLES

_START = f"(?<![{LETTERS}{MARKS}\\d])"
_END = f"(?![{LETTERS}{MARKS}])"


def _pattern(key: str) -> str:
    if "." not in key:
        return re.escape(key)
    return r"\s*\.\s*".join(re.escape(part) for part in key.split(".")) + r"\.?"


_ABBREVIATION_RE = re.compile(
    _START
    + "("
    + "|".join(_pattern(k) for k in sorted(ABBREVIATIONS, key=len, reverse=True))
    + ")"
    + _END
)
_BRACKETED_RE = re.compile(
    r"\(\s*(" + "|".join(map(re.escape, sorted(BRACKETED, key=len, reverse=True))) + r")\s*\)"
)
_TITLE_RE = re.compile(_START + "(" + "|".join(TITLES) + rf")\.\s*(?=[{LETTERS}])")
_SPACES_DOTS = re.compile(r"[\s.]")


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
