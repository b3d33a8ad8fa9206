"""Text stage: regular expressions compiled on first use, the checks that skip them, tries.

The front end holds about two hundred patterns, a few of them thousands of characters
long (every spelling of every counted noun, month and unit). Compiling them all at import
cost every command about 90 ms, `brief` and `feed` included, which never read a number.
A LazyPattern compiles when it is first used; `has_digit` and `has_latin` let a step
skip the patterns that cannot match a sentence with no digit or no Latin letter.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any, Protocol

from audiobrief.text.tables import INNER_MARKS, LATIN

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
            compile_ = re.compile if _kept is None else _kept.compile
            self._compiled = compile_(self.pattern, self.flags)
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


_MADE: list[LazyPattern] = []  # every pattern lazy() made, for compile_all


class Compiler(Protocol):
    def compile(self, source: str, flags: int) -> re.Pattern[str]: ...


_kept: Compiler | None = None  # set by keep_compiled


def keep_compiled(compiler: Compiler | None) -> None:
    """Compile the patterns not compiled yet through *compiler* (text.compiled keeps them
    between runs); None goes back to `re.compile`."""
    global _kept
    _kept = compiler


def lazy(source: str, flags: int = 0) -> LazyPattern:
    """A pattern for module level: compiled when first used, not at import."""
    pattern = LazyPattern(source, flags)
    _MADE.append(pattern)
    return pattern


def compile_all() -> int:
    """Compile every pattern made so far (for a process that forks workers); how many."""
    for pattern in _MADE:
        pattern.compiled  # noqa: B018  (the property compiles and keeps it)
    return len(_MADE)


# \d as the patterns read it (any Unicode decimal digit), so a skip is exact.
_DIGIT = lazy(r"\d")
_LATIN = lazy(f"[{LATIN}]")


def has_digit(text: str) -> bool:
    """Whether *text* holds a digit: most of the number, date and money patterns need one."""
    return _DIGIT.search(text) is not None


def has_latin(text: str) -> bool:
    """Whether *text* holds a Latin letter (tables.LATIN): links, codes, glosses need one."""
    return _LATIN.search(text) is not None


def tolerant(*words: str) -> str:
    """A regex alternation of *words* that also matches them with harakat (from a lexicon).

    Words that begin alike share their beginning (a trie) and a node's next letters share
    one marks class (INNER_MARKS: 10 µs to compile, MARKS 50 µs). All the front end's
    patterns took 90 ms to compile as plain alternations, 61 ms as tries, 22 ms as tries
    of the two-range class. They match as "|".join(the words,
    longest first) does: words hold no marks, so the marks before a letter are taken whole
    whatever letter follows; branches begin with different letters; and a word that ends
    inside a longer one is tried after it, as in the longest-first order.
    """
    trie: dict[str, Any] = {}
    # Longest first; among equals by spelling, so the pattern is the same in every process
    # (callers pass sets, whose order changes with the hash seed: kept patterns need it).
    for word in sorted(words, key=lambda word: (-len(word), word)):
        node = trie
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}  # a word ends here; every longer word through here came before
    return "|".join(
        re.escape(char) + _branches(node) if char else "" for char, node in trie.items()
    )


def _branches(node: dict[str, Any]) -> str:
    """What may follow a trie node: one marks class, then the next letters; the end last."""
    letters = [re.escape(char) + _branches(child) for char, child in node.items() if char]
    if not letters:
        return ""
    after = f"[{INNER_MARKS}]*" + (letters[0] if len(letters) == 1 else f"(?:{'|'.join(letters)})")
    return f"(?:{after}|)" if "" in node else after
