"""Publish stage: the database under the catalog, an SQLite file or a PostgreSQL schema.

The catalog's SQL is written once: `?` placeholders, `INSERT ... ON CONFLICT DO UPDATE`
and column types both databases read. What still differs (placeholders on the wire, how
a write transaction starts, where the schema version is kept, column collation, what
an error means for the user) is answered by the two classes here.
"""

from __future__ import annotations

import contextlib
import hashlib
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

from audiobrief.errors import PublishError

CONNECT_TIMEOUT_S = 10
"""libpq waits forever for an unanswered connection by default; a run should not."""


class Rows(Protocol):
    """What a statement returns: the driver's cursor."""

    @property
    def description(self) -> Any: ...
    def fetchone(self) -> Any: ...
    def fetchall(self) -> list[Any]: ...
    def __iter__(self) -> Iterator[Any]: ...


class Database:
    """One connection to the catalog's database; use `connect`."""

    kind = ""
    """`sqlite` or `postgresql`."""
    where = ""
    """How messages name the catalog: the file, or the server and database."""
    errors: tuple[type[Exception], ...] = ()
    """The driver's own errors (each means one of `failure`'s causes)."""
    integrity: tuple[type[Exception], ...] = ()
    begin = "BEGIN"
    statements = 0
    """Statements sent so far: each is one round trip to a server (the scaling figures)."""
    transactions = 0
    """Write transactions begun so far (the scaling figures)."""

    def execute(self, sql: str, args: Sequence[object] = ()) -> Rows:
        raise NotImplementedError

    def executemany(self, sql: str, rows: Sequence[Sequence[object]]) -> None:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def version(self) -> int:
        """The catalog schema's version; 0 where no catalog was made yet."""
        raise NotImplementedError

    def set_version(self, version: int) -> None:
        raise NotImplementedError

    def tables(self) -> set[str]:
        raise NotImplementedError

    def ddl(self, statement: str) -> str:
        """*statement* (written in SQLite's types) in this database's types."""
        return statement

    def first_use(self) -> None:
        """Before the first schema is made: settings of the database itself."""

    def lock_schema(self) -> None:
        """Inside a transaction: keep other runs from creating the schema meanwhile."""

    def key(self, purpose: str) -> int:
        """The advisory lock key of *purpose* for this site (a server's databases only)."""
        raise NotImplementedError

    def failure(self, exc: Exception) -> PublishError:
        """The one-line error for what the driver reported, with its fix."""
        raise NotImplementedError

    def foreign(self) -> PublishError:
        """The error for a database that holds something other than a catalog."""
        raise NotImplementedError

    def unopened(self, exc: Exception) -> PublishError:
        """The error for a catalog that could not be read or set up when opened."""
        return self.failure(exc)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One write transaction: all of the block's statements, or none of them."""
        self.transactions += 1
        try:
            self.execute(self.begin)
        except self.errors as exc:
            raise self.failure(exc) from exc
        try:
            yield
            self.execute("COMMIT")
        except self.errors as exc:
            with contextlib.suppress(*self.errors):
                self.execute("ROLLBACK")
            raise self.failure(exc) from exc
        except BaseException:
            # A lost server is no reason to hide the error that ended the block.
            with contextlib.suppress(*self.errors):
                self.execute("ROLLBACK")
            raise


class SqliteDatabase(Database):
    """The catalog as one SQLite file in the output folder (the embedded default)."""

    kind = "sqlite"
    errors = (sqlite3.DatabaseError,)
    integrity = (sqlite3.IntegrityError,)
    # IMMEDIATE takes the write lock at once: a reader never has to upgrade and deadlock.
    begin = "BEGIN IMMEDIATE"

    def __init__(self, path: Path) -> None:
        self.path = path
        self.where = str(path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(path, isolation_level=None, timeout=10.0)
        except (OSError, sqlite3.Error) as exc:
            raise PublishError(
                f"cannot open the catalog {path} ({exc}); check the output folder's permissions."
            ) from exc

    def execute(self, sql: str, args: Sequence[object] = ()) -> Rows:
        self.statements += 1
        return self._db.execute(sql, args)

    def executemany(self, sql: str, rows: Sequence[Sequence[object]]) -> None:
        self.statements += 1
        self._db.executemany(sql, rows)

    def close(self) -> None:
        self._db.close()

    def version(self) -> int:
        return int(self.execute("PRAGMA user_version").fetchone()[0])

    def set_version(self, version: int) -> None:
        self.execute(f"PRAGMA user_version = {int(version)}")

    def tables(self) -> set[str]:
        rows = self.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        return {str(row[0]) for row in rows}

    def first_use(self) -> None:
        # One file on disk: the default rollback journal, not WAL (no -wal/-shm files).
        self.execute("PRAGMA journal_mode = DELETE")

    def failure(self, exc: Exception) -> PublishError:
        return PublishError(f"cannot use the catalog {self.path} ({advice(exc, self.path)})")

    def foreign(self) -> PublishError:
        return PublishError(
            f"{self.path} is not a valid catalog; restore it from your backup, keeping this "
            "file aside (never delete it: the feeds would lose their episodes)."
        )

    def unopened(self, exc: Exception) -> PublishError:
        if isinstance(exc, sqlite3.OperationalError):  # read-only, full disk, locked
            return PublishError(f"cannot open the catalog {self.path} ({advice(exc, self.path)})")
        return self.foreign()  # not an SQLite file at all


def advice(exc: Exception, path: Path) -> str:
    """What SQLite's error means for the user, and the fix: each cause its own advice."""
    text = str(exc).lower()
    if "full" in text:
        return "the disk is full; free some space and run the command again"
    if "readonly" in text or "read-only" in text or "permission" in text:
        return (
            f"it is read-only; give the user running audiobrief write access to "
            f"{path.parent} and {path.name}"
        )
    if "locked" in text or "busy" in text:
        return "another program holds it; wait for it to finish and run the command again"
    return (
        "the file is damaged; restore catalog.sqlite from your backup, keeping the damaged "
        "file aside; never delete it, or the feeds lose their episodes"
    )


def connect(target: Path | str) -> Database:
    """The database at *target*: a catalog.sqlite path, or a postgresql:// URL.

    Raises:
        PublishError: it cannot be opened (CatalogUnavailable: its server cannot be
            reached, which a later try may not meet).
    """
    if isinstance(target, Path):
        return SqliteDatabase(target)
    from audiobrief.publish.postgres import PostgresDatabase

    return PostgresDatabase(target)


def shown(url: str) -> str:
    """*url* as messages show it: without its password."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return parts._replace(netloc=netloc).geturl()


def lock_key(*names: str) -> int:
    """A PostgreSQL advisory lock key (signed 64 bits) for *names*."""
    digest = hashlib.sha256("\0".join(("audiobrief", *names)).encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def upsert_sql(table: str, columns: Sequence[str], key: Sequence[str]) -> str:
    """INSERT a row, or UPDATE the one with the same *key*: the form both databases read."""
    updates = ", ".join(f"{c} = excluded.{c}" for c in columns if c not in key)
    return (
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))}) "
        f"ON CONFLICT ({', '.join(key)}) DO UPDATE SET {updates}"
    )
