"""Text stage: remember diacritized sentences, so an unchanged article skips the model."""

from __future__ import annotations

import hashlib
import logging
import sqlite3
from collections.abc import Callable
from pathlib import Path

logger = logging.getLogger(__name__)

FILE_NAME = "diacritized.sqlite"


class CachedDiacritizer:
    """Wraps a diacritizer with a small SQLite table in the cache folder.

    The model is deterministic, so a sentence seen before is answered from the table:
    a warm re-run of a day's articles then costs no inference. A cache that cannot be
    read or written only costs speed.
    """

    def __init__(self, diacritize: Callable[[str], str], cache_dir: Path, model: str) -> None:
        self._inner, self._model = diacritize, model
        self._path = cache_dir / FILE_NAME
        self._db: sqlite3.Connection | None = None

    def __call__(self, text: str) -> str:
        key = hashlib.sha256(f"{self._model}\0{text}".encode()).hexdigest()
        db = self._open()
        if db is not None:
            try:
                row = db.execute("SELECT value FROM marks WHERE key = ?", (key,)).fetchone()
            except sqlite3.Error:
                row = None
            if row is not None:
                return str(row[0])
        value = self._inner(text)
        if db is not None:
            try:
                with db:
                    db.execute("INSERT OR REPLACE INTO marks VALUES (?, ?)", (key, value))
            except sqlite3.Error as exc:
                logger.debug("diacritization cache not written (%s)", exc)
        return value

    def _open(self) -> sqlite3.Connection | None:
        if self._db is None:
            try:
                self._path.parent.mkdir(parents=True, exist_ok=True)
                db = sqlite3.connect(self._path, timeout=10, check_same_thread=False)
                db.execute("CREATE TABLE IF NOT EXISTS marks (key TEXT PRIMARY KEY, value TEXT)")
                self._db = db
            except (OSError, sqlite3.Error) as exc:
                logger.warning("diacritization cache unavailable at %s (%s)", self._path, exc)
                return None
        return self._db
