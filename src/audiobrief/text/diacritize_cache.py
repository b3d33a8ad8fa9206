"""Text stage: remember diacritized sentences, so an unchanged article skips the model."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable

from audiobrief.cache import Cache
from audiobrief.store import canonical_json, digest

logger = logging.getLogger(__name__)

KIND = "marks"


class CachedDiacritizer:
    """Wraps a diacritizer with text entries in the one cache.

    The model is deterministic, so a sentence seen before is answered from the cache:
    a warm re-run of a day's articles then costs no inference. A cache that cannot be
    read or written only costs speed.
    """

    def __init__(self, diacritize: Callable[[str], str], cache: Cache, model: str) -> None:
        self._inner, self._model, self._cache = diacritize, model, cache

    def __call__(self, text: str) -> str:
        key = digest({"model": self._model, "text": text})
        found = self._cache.find(KIND, key, ".json")
        if found is not None:
            try:  # JSON, so that a file cut short by a crash fails to parse and misses
                return str(json.loads(found.read_bytes())["text"])
            except (OSError, ValueError, KeyError, TypeError) as exc:
                logger.debug("diacritization cache entry %s unreadable (%s)", found, exc)
        value = self._inner(text)
        self._cache.put(KIND, key, ".json", canonical_json({"text": value}).encode("utf-8"))
        return value
