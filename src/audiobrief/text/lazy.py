"""Text stage: regular expressions compiled on first use, and the checks that skip them.

The front end holds about two hundred patterns, a few of them thousands of characters
long (every spelling of every counted noun, month and unit). Compiling them all at import
cost every command about 90 ms, `brief` and `feed` included, which never read a number.
A LazyPattern compiles when it is first used; `has_digit` and `has_latin` let a step
skip the patterns that cannot match a sentence with no digit or no Latin letter.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

from audiobrief.text.tables import LATIN

Replacement = str | Callable[[re.Match[str]], str]


class LazyPattern:
    """A `re.Pattern[str]` stand-in that compiles *source* the first time it is used."""

    __slots__ = ("_compiled", "flags", "pattern")

    def __init__(self, source: str, flags: int = 0) -> None:
        self.pattern = source
        self.flags = flags
        self._compiled: re.Pattern[str] | None = None

    @property
    def compiled(self) -> re.Pattern[str]:
        """The compiled pattern; two threads racing here compile the same thing twice."""
        if self._compiled is None:
            self._compiled = re.compile(self.pattern, self.flags)
        return self._compiled

    @property
    def is_compiled(self) -> bool:
        return self._compiled is not None

    def search(self, string: str, pos: int = 0, endpos: int = 2**63 - 1) -> re.Match[str] | None:
        return self.compiled.search(string, pos, endpos)

    def match(self, string: str, pos: int = 0, endpos: int = 2**63 - 1) -> re.Match[str] | None:
        return self.compiled.match(string, pos, endpos)

    def fullmatch(self, string: str, pos: int = 0, endpos: int = 2**63 - 1) -> re.Match[str] | None:
        return self.compiled.fullmatch(string, pos, endpos)

    def sub(self, repl: Replacement, string: str, count: int = 0) -> str:
        return self.compiled.sub(repl, string, count)

    def subn(self, repl: Replacement, string: str, count: int = 0) -> tuple[str, int]:
        return self.compiled.subn(repl, string, count)

    def findall(self, string: str, pos: int = 0, endpos: int = 2**63 - 1) -> list[Any]:
        return self.compiled.findall(string, pos, endpos)

    def finditer(
        self, string: str, pos: int = 0, endpos: int = 2**63 - 1
    ) -> Iterator[re.Match[str]]:
        return self.compiled.finditer(string, pos, endpos)

    def split(self, string: str, maxsplit: int = 0) -> list[str | Any]:
        return self.compiled.split(string, maxsplit)

    def __repr__(self) -> str:
        state = "compiled" if self.is_compiled else "not compiled yet"
        return f"LazyPattern({self.pattern[:40]!r}..., {state})"


def lazy(source: str, flags: int = 0) -> LazyPattern:
    """A pattern for module level: compiled when first used, not at import."""
    return LazyPattern(source, flags)


# \d as the patterns read it (any Unicode decimal digit), so a skip is exact.
_DIGIT = lazy(r"\d")
_LATIN = lazy(f"[{LATIN}]")


def has_digit(text: str) -> bool:
    """Whether *text* holds a digit: most of the number, date and money patterns need one."""
    return _DIGIT.search(text) is not None


def has_latin(text: str) -> bool:
    """Whether *text* holds a Latin letter (tables.LATIN): links, codes, glosses need one."""
    return _LATIN.search(text) is not None
