"""A shared synthesis cache (cache_url): what a second worker saves, and what it costs.

    python bench/shared_cache_bench.py [CORPUS_DIR] [--articles N]

Starts moto in server mode on a free loopback port (pip install 'moto[server]') and
speaks N corpus articles (the default voice, eSpeak NG; one `speak` each) as three
workers, each with its own empty cache folder and site folder: A with cache_url set
(it fills the bucket), B with the same cache_url (it finds everything there), and C
without it (the baseline: a second machine today). It prints each worker's wall time,
its ratio to C's, the CPU time of this process (moto's own work is not in it), the
entry files fetched and uploaded, and what the bucket holds afterwards.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from pathlib import Path

from audiobrief import pipeline
from audiobrief.cache import open_cache
from audiobrief.config import Settings
from storage_bench import DEFAULT_CORPUS, bench_bucket, objects  # beside this file


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="?", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--articles", type=int, default=3)
    args = parser.parse_args()
    files = [str(p) for p in sorted(args.corpus.glob("*.txt"))[: args.articles]]
    with bench_bucket() as (endpoint, client, work):
        now = dt.datetime(2026, 11, 28, 9, tzinfo=dt.UTC)
        timings: dict[str, float] = {}
        cpu_s: dict[str, float] = {}
        rows = []
        # C first: the baseline runs on the same warm interpreter as the workers it is
        # compared with, and A's uploads cannot help it.
        for worker, url in (("C", ""), ("A", "s3://bench/cache"), ("B", "s3://bench/cache")):
            settings = Settings(
                output_dir=work / f"site-{worker}", voices_dir=work / "voices",
                cache_dir=work / f"cache-{worker}", cache_url=url, s3_endpoint_url=endpoint,
            )  # fmt: skip
            run = pipeline.Run(settings=settings, now=now)
            start, cpu = time.perf_counter(), time.process_time()
            for path in files:  # one command each: rendered in this process, counted here
                pipeline.speak([path], run)
            timings[worker] = time.perf_counter() - start
            cpu_s[worker] = time.process_time() - cpu
            cache = open_cache(settings.cache_dir, settings.cache_max_mb, url, endpoint)
            tier = None if cache is None else cache.shared
            moved = (0, 0) if tier is None else (tier.fetched, tier.uploaded)
            rows.append((worker, url or "(none)", *moved))
        print(f"{len(files)} articles; {'worker':<8}{'cache_url':<20}{'wall s':>8}"
              f"{'vs C':>7}{'CPU s':>7}{'fetched':>9}{'uploaded':>9}")  # fmt: skip
        for worker, url, fetched, uploaded in rows:
            ratio = timings[worker] / timings["C"]
            print(f"{'':<{len(str(len(files))) + 11}}{worker:<8}{url:<20}"
                  f"{timings[worker]:>8.2f}{ratio:>7.2f}{cpu_s[worker]:>7.2f}"
                  f"{fetched:>9}{uploaded:>9}")  # fmt: skip
        held = objects(client)
        by_kind: dict[str, int] = {}
        for name in held:
            kind = name.split("/")[1]
            by_kind[kind] = by_kind.get(kind, 0) + 1
        print(f"bucket: {len(held)} objects ({by_kind}), {sum(held.values())} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
