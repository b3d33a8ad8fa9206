"""Text stage: compiled patterns kept in the cache folder, as Python keeps its bytecode.

`re` parses and compiles a pattern in Python: about 20 ms for the eighty patterns one
article needs, a third of the text stage's own time, and every process pays it again.
What `re` hands the regex engine in the end is a list of opcodes. Those lists are kept
here, one cache entry per Python and engine version, and given to the engine directly
the next time. Anything unexpected (another Python, a damaged entry, an engine that
refuses the opcodes: it checks them) falls back to `re.compile`.
"""

from __future__ import annotations

import hashlib
import importlib
import logging
import marshal
import re
import sys
import threading
import unicodedata
from array import array
from typing import Any

from audiobrief.cache import Cache
from audiobrief.store import digest

logger = logging.getLogger(__name__)

KIND = "patterns"
# The engine's own module and re's compiler, which the standard library keeps private.
_sre: Any = importlib.import_module("_sre")
_parser: Any = importlib.import_module("re._parser")
_compiler: Any = importlib.import_module("re._compiler")
VERSION = f"{sys.implementation.cache_tag}-{_sre.MAGIC}"
"""Part of each entry's name (for a person looking at the folder); its key holds more."""

Made = tuple[int, bytes, int, dict[str, int], tuple[str | None, ...]]
"""What the engine is given: flags, opcodes (32-bit words), groups, their names both ways."""


class CompiledPatterns:
    """Compiles as `re.compile` does, from the opcodes kept in *cache* when it has them."""

    def __init__(self, cache: Cache, code: str) -> None:
        """*code* names the patterns' source (the text stage's): new code, a new entry."""
        self._cache = cache
        # re's compiler is Python code that a patch release may change without the
        # engine's MAGIC moving, and case folding follows the Unicode data: all in the key.
        made_by = [sys.version, unicodedata.unidata_version, _sre.MAGIC, _sre.CODESIZE, code]
        self._key = f"{VERSION}-{digest(made_by)[:32]}"
        self._known = _read(cache, self._key)
        self._new = 0
        self._lock = threading.Lock()

    def compile(self, source: str, flags: int) -> re.Pattern[str]:
        key = (source, int(flags))  # a RegexFlag is an int that marshal cannot keep
        made = self._known.get(key)
        if made is not None:
            try:
                return _engine(source, made)
            except Exception:  # a refused entry is compiled anew below
                logger.debug("a kept pattern was refused; compiling it again")
        try:
            made = _made(source, flags)
            pattern = _engine(source, made)
        except Exception:  # re's private compiler changed: use re itself
            return re.compile(source, flags)
        with self._lock:
            self._known[key] = made
            self._new += 1
        return pattern

    def save(self) -> None:
        """Keep what this process compiled, with what it found (nothing new: no write)."""
        with self._lock:
            if not self._new:
                return
            data = marshal.dumps(self._known)
            self._new = 0
        # A digest first: a damaged entry is dropped whole, never half believed.
        kept = hashlib.sha256(data).digest() + data
        self._cache.put(KIND, self._key, ".marshal", kept, quiet=True)


def _read(cache: Cache, key: str) -> dict[tuple[str, int], Made]:
    path = cache.find(KIND, key, ".marshal")
    if path is None:
        return {}
    try:
        kept = path.read_bytes()
        data = kept[32:]
        if hashlib.sha256(data).digest() != kept[:32]:
            raise ValueError("digest mismatch")
        known = marshal.loads(data)
    except (OSError, EOFError, ValueError, TypeError):
        logger.debug("the kept patterns at %s are unreadable; compiling anew", path)
        return {}
    return known if isinstance(known, dict) else {}


def _made(source: str, flags: int) -> Made:
    """What re._compiler.compile gives the engine for *source*, in a form marshal keeps."""
    parsed = _parser.parse(source, flags)
    code = _compiler._code(parsed, flags)
    state = parsed.state
    names: list[str | None] = [None] * state.groups
    for name, index in state.groupdict.items():
        names[index] = name
    opcodes = array("I", code).tobytes()
    return int(flags | state.flags), opcodes, state.groups - 1, dict(state.groupdict), tuple(names)


def _engine(source: str, made: Made) -> re.Pattern[str]:
    flags, opcodes, groups, groupindex, names = made
    code = array("I")
    code.frombytes(opcodes)
    pattern: re.Pattern[str] = _sre.compile(source, flags, code.tolist(), groups, groupindex, names)
    return pattern
