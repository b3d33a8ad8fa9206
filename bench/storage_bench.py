"""Publishing into object storage: objects, bytes and storage requests per episode.

    python bench/storage_bench.py [CORPUS_DIR] [--articles N]

Starts moto in server mode on a free loopback port (pip install 'moto[server]'),
speaks N corpus articles one run each into `s3://bench/site`, then briefs them and
speaks the first article again unchanged. For each run it prints the new objects and
their bytes (of them the MP3's) and the HTTP requests it sent, by method (GET includes
the one listing of the upload notes): the figures the scaling notes multiply by the
number of articles. Requests grow with the episodes the
feeds list while every page is rendered on each publish (HEAD per page).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import sys
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from audiobrief import pipeline
from audiobrief.config import Settings
from audiobrief.publish.bucket import Bucket

REPO = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = REPO.parent / "shared" / "corpus"
sys.path.insert(0, str(REPO / "tests"))  # the tests' moto server
from s3_server import moto_server  # noqa: E402


@contextmanager
def bench_bucket() -> Iterator[tuple[str, Any, Path]]:
    """A moto server with an empty bucket `bench`, and a work folder holding the voices:
    the endpoint, a client of the server, the folder."""
    import boto3

    os.environ.update(
        AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_DEFAULT_REGION="us-east-1"
    )
    with moto_server() as (endpoint, _pid), tempfile.TemporaryDirectory() as tmp:
        client = boto3.session.Session().client("s3", endpoint_url=endpoint)
        client.create_bucket(Bucket="bench")
        work = Path(tmp)
        shutil.copytree(REPO / "voices", work / "voices")
        yield endpoint, client, work


def objects(client: Any) -> dict[str, int]:
    found: dict[str, int] = {}
    for page in client.get_paginator("list_objects_v2").paginate(Bucket="bench"):
        found.update({o["Key"]: o["Size"] for o in page.get("Contents", [])})
    return found


def measured(client: Any, step: Callable[[], object]) -> tuple[dict[str, int], Counter[str]]:
    """(new objects: size, requests by method) of one run of *step*."""
    opened: list[Bucket] = []
    real_init = Bucket.__init__

    def init(self: Bucket, *args: Any, **kwargs: Any) -> None:
        real_init(self, *args, **kwargs)
        opened.append(self)

    before = objects(client)
    Bucket.__init__ = init  # type: ignore[method-assign]
    try:
        step()
    finally:
        Bucket.__init__ = real_init  # type: ignore[method-assign]
    after = objects(client)
    requests: Counter[str] = Counter()
    for bucket in opened:
        requests.update(bucket.by_method)
    return {k: v for k, v in after.items() if k not in before}, requests


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="?", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--articles", type=int, default=5)
    args = parser.parse_args()
    files = sorted(args.corpus.glob("*.txt"))[: args.articles]
    with bench_bucket() as (endpoint, client, work):
        settings = Settings(
            output_dir=work / "work", voices_dir=work / "voices", cache_dir=work / "cache",
            output_url="s3://bench/site", s3_endpoint_url=endpoint,
        )  # fmt: skip
        now = dt.datetime(2026, 11, 28, 9, tzinfo=dt.UTC)
        run = pipeline.Run(settings=settings, now=now)
        print(
            f"{'run':<28}{'new objects':>12}{'new bytes':>10}{'MP3 bytes':>10}"
            f"{'requests':>9}  by method"
        )
        rows: list[tuple[str, Callable[[], object]]] = [
            (f"speak {path.name}", lambda p=path: pipeline.speak([str(p)], run)) for path in files
        ]
        rows.append(("brief", lambda: pipeline.brief(run, day=now.date())))
        rows.append((f"speak {files[0].name} again", lambda: pipeline.speak([str(files[0])], run)))
        for label, step in rows:
            new, requests = measured(client, step)
            methods = " ".join(f"{m}={n}" for m, n in sorted(requests.items()))
            mp3 = sum(size for name, size in new.items() if name.endswith(".mp3"))
            print(
                f"{label:<28}{len(new):>12}{sum(new.values()):>10}{mp3:>10}"
                f"{sum(requests.values()):>9}  {methods}"
            )
        everything = objects(client)
        episode_files = [k for k in everything if k.endswith(".mp3")]
        print(
            f"bucket: {len(everything)} objects, {sum(everything.values())} bytes, "
            f"{len(episode_files)} episodes"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
