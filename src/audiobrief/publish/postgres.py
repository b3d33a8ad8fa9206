"""Publish stage: the catalog on a PostgreSQL server (psycopg 3), shared by several machines.

The catalog lives in the connection's current schema: one database per site, or one
schema per site (`?options=-csearch_path%3Dsite` in catalog_url). psycopg is loaded only
here, so the embedded default never needs it.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from types import ModuleType
from typing import TYPE_CHECKING, Any

from audiobrief.errors import INSTALL_CLUSTER, CatalogUnavailable, PublishError
from audiobrief.publish.database import (
    CONNECT_TIMEOUT_S,
    Database,
    Rows,
    lock_key,
    shown,
)

if TYPE_CHECKING:
    import psycopg

VERSION_TABLE = "audiobrief_version"
"""Where the schema version is kept (SQLite's PRAGMA user_version has no equal here)."""
_LOGIN = ("authentication", "password", "pg_hba.conf", "role")
_RETRY = "nothing was half-published; run the command again once the server is back"


def _driver() -> ModuleType:
    try:
        import psycopg
    except ImportError as exc:
        raise PublishError(
            "catalog_url names a PostgreSQL server, but psycopg is not installed; "
            f"run: {INSTALL_CLUSTER}"
        ) from exc
    return psycopg


@functools.lru_cache(maxsize=256)
def _wire(sql: str) -> str:
    """The catalog's `?` placeholders as psycopg's `%s` (the SQL holds no `?` literal)."""
    return sql.replace("%", "%%").replace("?", "%s")


def _said(exc: BaseException) -> str:
    """The driver's message on one line (libpq's run over several)."""
    return " ".join(str(exc).split()) or type(exc).__name__


SERVER_KEEPALIVES = (
    "-c tcp_keepalives_idle=30 -c tcp_keepalives_interval=10 -c tcp_keepalives_count=3"
)
"""Session settings that make the server drop a vanished client's connection (and lock)."""


class PostgresDatabase(Database):
    """The catalog in a PostgreSQL schema; connections are autocommit outside `transaction`."""

    kind = "postgresql"

    def __init__(self, url: str) -> None:
        driver = _driver()
        self.where = shown(url)
        self.errors = (driver.Error,)
        self.integrity = (driver.IntegrityError,)
        options: dict[str, Any] = {"autocommit": True}
        try:
            given = driver.conninfo.conninfo_to_dict(url)
        except driver.Error as exc:
            raise PublishError(
                f"catalog_url {self.where} is not a valid PostgreSQL URL ({_said(exc)}); "
                "write it as postgresql://user@host:5432/database."
            ) from exc
        if "connect_timeout" not in given:
            options["connect_timeout"] = CONNECT_TIMEOUT_S
        if "application_name" not in given:
            options["application_name"] = "audiobrief"  # what pg_stat_activity shows
        # A worker whose machine vanishes (power, network) holds the site's advisory lock
        # until the server notices the connection is dead: hours with the kernel's default
        # keepalives. Probing after 30 s idle, 3 times 10 s apart, frees it within a minute.
        options["options"] = f"{given.get('options', '')} {SERVER_KEEPALIVES}".strip()
        self._db: psycopg.Connection[tuple[Any, ...]]
        try:
            self._db = driver.connect(url, **options)
            row = self._db.execute("SELECT current_schema()").fetchone()
        except driver.Error as exc:
            raise self._refused(exc) from exc
        if row is None or row[0] is None:
            self._db.close()
            raise PublishError(
                f"catalog_url {self.where} puts the catalog in a schema that does not exist; "
                "create it first (CREATE SCHEMA name), or drop the search_path option."
            )
        self.schema = str(row[0])

    def execute(self, sql: str, args: Sequence[object] = ()) -> Rows:
        self.statements += 1
        if not args:
            return self._db.execute(sql)
        return self._db.execute(_wire(sql), args)

    def executemany(self, sql: str, rows: Sequence[Sequence[object]]) -> None:
        if not rows:
            return
        self.statements += 1
        with self._db.cursor() as cursor:
            cursor.executemany(_wire(sql), rows)

    def close(self) -> None:
        self._db.close()

    def version(self) -> int:
        if VERSION_TABLE not in self.tables():
            return 0
        row = self.execute(f"SELECT max(version) FROM {VERSION_TABLE}").fetchone()
        return int(row[0] or 0)

    def set_version(self, version: int) -> None:
        self.execute(f"CREATE TABLE IF NOT EXISTS {VERSION_TABLE} (version INTEGER NOT NULL)")
        self.execute(f"DELETE FROM {VERSION_TABLE}")
        self.execute(f"INSERT INTO {VERSION_TABLE} (version) VALUES (?)", (version,))

    def tables(self) -> set[str]:
        rows = self.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = ?",
            (self.schema,),
        )
        return {str(row[0]) for row in rows}

    def ddl(self, statement: str) -> str:
        # Microseconds since 1970 overflow INTEGER's 32 bits; the C collation orders and
        # compares text byte by byte, as SQLite does, whatever the server's locale.
        statement = re.sub(r"\bINTEGER\b", "BIGINT", statement)
        return re.sub(r"\bTEXT\b", 'TEXT COLLATE "C"', statement)

    def lock_schema(self) -> None:
        self.execute("SELECT pg_advisory_xact_lock(CAST(? AS BIGINT))", (self.key("schema"),))

    def key(self, purpose: str) -> int:
        # Advisory locks are per database: the schema tells the sites of one apart.
        return lock_key(purpose, self.schema)

    @property
    def lost(self) -> bool:
        """Whether the connection to the server is gone (no statement can succeed)."""
        return bool(self._db.broken or self._db.closed)

    def failure(self, exc: Exception) -> PublishError:
        state = str(getattr(exc, "sqlstate", None) or "")
        said = _said(exc)
        if self.lost or state.startswith(("08", "57P")):
            return CatalogUnavailable(f"lost the catalog's server {self.where} ({said}); {_RETRY}.")
        if state == "53100":
            return PublishError(
                f"the catalog's server {self.where} has a full disk ({said}); free some space "
                "there and run the command again."
            )
        if state == "42501":
            return PublishError(
                f"the catalog {self.where} refused this user ({said}); grant it the rights on "
                f"schema {self.schema} and its tables."
            )
        if state == "25006":
            return PublishError(
                f"the catalog {self.where} is a read-only server ({said}); point catalog_url "
                "at the primary."
            )
        return PublishError(
            f"the catalog {self.where} refused a statement ({said}); see the server's log."
        )

    def foreign(self) -> PublishError:
        return PublishError(
            f"schema {self.schema} of {self.where} holds tables that are not an audiobrief "
            "catalog; give the catalog a database (or a schema) of its own."
        )

    def _refused(self, exc: Exception) -> PublishError:
        """The error for a connection that did not open: a login, a database, or no server."""
        said = _said(exc)
        lowered = said.lower()
        if any(word in lowered for word in _LOGIN) and "connection refused" not in lowered:
            return PublishError(
                f"the catalog's server {self.where} refused the login ({said}); check the user "
                "and password in catalog_url (or ~/.pgpass) and that pg_hba.conf admits this "
                "machine."
            )
        if re.search(r"database \S+ does not exist", lowered):
            return PublishError(
                f"the catalog's database does not exist ({said}); create it first "
                "(createdb, or CREATE DATABASE) and run the command again."
            )
        return CatalogUnavailable(
            f"cannot reach the catalog's server {self.where} ({said}); start it or correct "
            "catalog_url, then run the command again."
        )
