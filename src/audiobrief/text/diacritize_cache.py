"""Text stage: remember diacritized sentences, so an unchanged article skips the model."""

from __future__ import annotations

import hashlib
import logging
import sqlite3
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

logger = logging.getLogger(__name__)

FILE_NAME = "diacritized.sqlite"


class CachedDiacritizer:
    """Wraps a diacritizer with a small SQLite table in the cache folder.

    The model is deterministic, so a sentence seen before is answered from the table:
    a warm re-run of a day's articles then costs no inference. A cache that cannot be
    read or written only costs speed. Each lookup opens and closes its own connection,
    so runs in parallel share the file safely and nothing is left open.
    """

    def __init__(self, diacritize: Callable[[str], str], cache_dir: Path, model: str) -> None:
        self._inner, self._model = diacritize, model
        self._path = cache_dir / FILE_NAME

    def __call__(self, text: str) -> str:
        key = hashlib.sha256(f"{self._model}\0{text}".encode()).hexdigest()
        found = self._query("SELECT value FROM marks WHERE key = ?", (key,))
        if found is not None:
            return found
        value = self._inner(text)
        self._query("INSERT OR REPLACE INTO marks VALUES (?, ?)", (key, value))
        return value

    def _query(self, sql: str, args: tuple[str, ...]) -> str | None:
        try:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            with closing(sqlite3.connect(self._path, timeout=10)) as db, db:
                db.execute("CREATE TABLE IF NOT EXISTS marks (key TEXT PRIMARY KEY, value TEXT)")
                row = db.execute(sql, args).fetchone()
        except (OSError, sqlite3.Error) as exc:
            logger.debug("diacritization cache at %s unavailable (%s)", self._path, exc)
            return None
        return None if row is None else str(row[0])


def clear(cache_dir: Path) -> None:
    """Forget every remembered sentence."""
    (cache_dir / FILE_NAME).unlink(missing_ok=True)
