"""Publish stage: a site moves its catalog from catalog.sqlite onto a PostgreSQL server.

Setting catalog_url on a site that was published with its SQLite file is all it takes:
the first run copies every row across, in one transaction, before it publishes. The
file stays where it was (a backup); later runs ignore it.
"""

from __future__ import annotations

import logging
from pathlib import Path

from audiobrief.publish.catalog import Catalog, open_catalog
from audiobrief.publish.schema import TABLES

logger = logging.getLogger(__name__)

_BATCH = 500
"""Rows per executemany: one pipelined round trip each on PostgreSQL."""


def copy_catalog(source: Path, target: Catalog) -> int:
    """Copy every row of the SQLite catalog at *source* into the empty *target*.

    Returns:
        How many episodes were copied.

    Raises:
        PublishError: either catalog cannot be used; then *target* is left unchanged.
    """
    episodes = 0
    with open_catalog(source) as old:  # brings an old file up to the current schema
        tables = {name: _rows(old, name) for name in sorted(TABLES)}
    db = target.database
    with db.transaction():
        for name, (columns, rows) in tables.items():
            sql = (
                f"INSERT INTO {name} ({', '.join(columns)}) "
                f"VALUES ({', '.join('?' * len(columns))})"
            )
            for start in range(0, len(rows), _BATCH):
                db.executemany(sql, rows[start : start + _BATCH])
            episodes += len(rows) if name == "episodes" else 0
    logger.warning("copied the catalog %s (%d episodes) into %s", source, episodes, target.where)
    return episodes


def _rows(catalog: Catalog, table: str) -> tuple[list[str], list[tuple[object, ...]]]:
    db = catalog.database
    try:
        cursor = db.execute(f"SELECT * FROM {table}")
        columns = [str(column[0]) for column in cursor.description]
        return columns, [tuple(row) for row in cursor.fetchall()]
    except db.errors as exc:
        raise db.failure(exc) from exc
