"""Catalog cost of publishing: statements (server round trips) and time, SQLite vs PostgreSQL.

Run: .venv/bin/python bench/catalog_bench.py                  (6 articles of ../shared/corpus)
     .venv/bin/python bench/catalog_bench.py /path/to/corpus --articles 4

The first ARTICLES `*.txt` files of the corpus are spoken once to fill the synthesis
cache; then, for each backend, into an empty site, one `audiobrief speak` per article
(in this process, from the cache, so the time is publishing) and one `audiobrief brief`.
Every statement the catalog sends is counted (each is one round trip on PostgreSQL; on
SQLite a call into the library), and so are the connections opened. The PostgreSQL
server is a private one started from Debian's binaries on a free loopback port, as the
tests start it (tests/pg_server.py), with fsync off: the figures are the catalog's work,
not a disk's. Needs the `postgresql` package and `pip install 'audiobrief[cluster]'`.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = REPO / ".." / "shared" / "corpus"
sys.path.insert(0, str(REPO / "tests"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="?", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--articles", type=int, default=6)
    args = parser.parse_args()
    articles = sorted(args.corpus.glob("*.txt"))[: args.articles]
    if not articles:
        sys.exit(f"no *.txt articles in {args.corpus}")

    from click.testing import CliRunner

    from audiobrief.cli import cli
    from audiobrief.publish import catalog as catalog_module
    from audiobrief.publish import publisher as publisher_module
    from pg_server import PgServer, binaries

    found = binaries()
    if found is None:
        sys.exit("PostgreSQL's initdb and pg_ctl are not installed (apt-get install postgresql)")
    opened: list[object] = []
    real_connect = catalog_module.connect

    def counting(target: Path | str) -> object:
        database = real_connect(target)
        opened.append(database)
        return database

    catalog_module.connect = counting  # type: ignore[assignment]
    held: list[float] = []
    real_publishing = publisher_module.publishing_catalog

    @contextmanager
    def timed(settings: Any) -> Iterator[Any]:
        """The site's lock held: what runs on one site wait for, one after the other."""
        with real_publishing(settings) as catalog:
            start = time.perf_counter()
            try:
                yield catalog
            finally:
                held.append(time.perf_counter() - start)

    publisher_module.publishing_catalog = timed
    work = Path(tempfile.mkdtemp(prefix="catalog-bench-"))
    server = PgServer(found)
    try:
        shutil.copytree(REPO / "voices", work / "voices")
        os.chdir(work)
        os.environ["AUDIOBRIEF_CACHE_DIR"] = str(work / "cache")
        names = []
        for index, article in enumerate(articles):
            names.append(f"a{index}.txt")
            shutil.copy(article, work / names[-1])

        def command(argv: list[str]) -> tuple[int, int, float, int, float]:
            opened.clear()
            held.clear()
            start = time.perf_counter()
            result = CliRunner().invoke(cli, ["-q", *argv])
            elapsed = time.perf_counter() - start
            if result.exit_code != 0:
                sys.exit(f"{argv}: {result.output}")
            statements = sum(getattr(db, "statements", 0) for db in opened)
            transactions = sum(getattr(db, "transactions", 0) for db in opened)
            return statements, len(opened), elapsed, transactions, sum(held)

        command(["speak", *names, "-o", "warm"])  # fills the synthesis cache
        command(["brief", "-o", "warm"])
        rows = []
        stored: dict[str, int] = {}
        for backend, url in (("sqlite", ""), ("postgresql", server.new_database())):
            os.environ["AUDIOBRIEF_CATALOG_URL"] = url
            speaks = [command(["speak", name, "-o", backend]) for name in names]
            brief = command(["brief", "-o", backend])
            rows.append((backend, speaks, brief))
            stored[backend] = _stored_bytes(url or work / backend / "catalog.sqlite")
    finally:
        server.close()
        os.chdir(REPO)
        shutil.rmtree(work, ignore_errors=True)

    print(f"{len(articles)} articles, one `speak` each into an empty site, then `brief`\n")
    print(f"{'backend':<11} {'speak #1':>17} {'speak #' + str(len(articles)):>17} "
          f"{'speak mean':>17} {'brief':>17}")  # fmt: skip
    for backend, speaks, brief in rows:
        mean_ms = statistics.mean(s[2] for s in speaks) * 1000
        mean_statements = statistics.mean(s[0] for s in speaks)
        cells = [
            f"{speaks[0][0]:>4} st {speaks[0][2] * 1000:>6.0f} ms",
            f"{speaks[-1][0]:>4} st {speaks[-1][2] * 1000:>6.0f} ms",
            f"{mean_statements:>4.0f} st {mean_ms:>6.0f} ms",
            f"{brief[0]:>4} st {brief[2] * 1000:>6.0f} ms",
        ]
        print(f"{backend:<11} " + " ".join(f"{c:>17}" for c in cells))
        print(f"{'':<11} statements of each speak: {' '.join(str(s[0]) for s in speaks)}")
        connections = sorted({s[1] for s in speaks})
        writes = statistics.mean(s[3] for s in speaks[1:] or speaks)
        locked_ms = statistics.median(s[4] for s in speaks) * 1000
        print(
            f"{'':<11} connections per speak: {connections}, per brief: {brief[1]}; "
            f"transactions per speak after the first: {writes:.0f}, per brief: {brief[3]}"
        )
        print(f"{'':<11} site lock held per speak: {locked_ms:.0f} ms (median)")
    episodes = len(articles) + 1
    for backend, size in stored.items():
        print(
            f"{backend}: {size / 1024:.0f} KiB stored, {size / episodes / 1024:.0f} KiB per episode"
        )
    print("\nst: catalog statements (PostgreSQL: round trips); ms: the whole command, from cache")


def _stored_bytes(target: Path | str) -> int:
    """The catalog's size: the SQLite file, or the server tables with their indexes."""
    if isinstance(target, Path):
        return target.stat().st_size
    from audiobrief.publish.catalog import open_catalog

    with open_catalog(target) as catalog:
        sql = (
            "SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = current_schema() AND c.relkind = 'r'"
        )
        return int(catalog.database.execute(sql).fetchone()[0])


if __name__ == "__main__":
    main()
