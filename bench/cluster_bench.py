"""The queue bench with the three services set: 20 articles, 1 worker then 2, side by side.

    python bench/cluster_bench.py [--articles N] [CORPUS_DIR]

Like bench/queue_bench.py (the same corpus half-articles, eSpeak NG, real `audiobrief
worker` processes), but each run publishes through a PostgreSQL catalog (`catalog_url`,
a fresh database) into an S3 bucket (`output_url`, moto's server, a fresh bucket), and
each worker has a folder and a synthesis cache of its own, as on separate machines. It
prints each run's wall time from the first enqueue to the last job done, the ratio
2 workers / 1 worker (target <= 0.6), and checks that every article was published once
and that the feed lists only objects stored with the length it gives. The services run
on the same two cores as the workers: their CPU time per article is printed too.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))  # the tests' service and worker helpers

from audiobrief import queue  # noqa: E402
from audiobrief.config import Settings  # noqa: E402
from audiobrief.pipeline import Run  # noqa: E402
from audiobrief.publish.catalog import open_catalog  # noqa: E402
from pg_server import PgServer, binaries  # noqa: E402
from queue_bench import DEFAULT_CORPUS, TARGET, halves, parallelism  # noqa: E402
from redis_server import BINARY, RedisServer, Worker, worker_env  # noqa: E402
from s3_server import moto_server  # noqa: E402

BASE = "http://127.0.0.1:8000/"  # the default base_url
AWS = {
    "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench",
    "AWS_DEFAULT_REGION": "us-east-1", "AWS_EC2_METADATA_DISABLED": "true",
}  # fmt: skip
"""moto takes any key; no profile or metadata service of this machine is asked."""


def one_run(
    services: dict[str, Any], work: Path, paths: list[str], workers: int
) -> dict[str, float]:
    import redis

    redis_server: RedisServer = services["redis"]
    with redis.Redis.from_url(redis_server.url) as connection:
        connection.flushall()  # the same articles again: new jobs, not "already done"
    catalog_url = services["pg"].new_database()
    bucket = f"bench-{workers}"
    services["s3"].create_bucket(Bucket=bucket)
    started = []
    run_dir = work / f"run-{workers}"
    for machine in range(workers):
        home = run_dir / f"machine-{machine}"
        shutil.copytree(REPO / "voices", home / "voices")
        env = worker_env(redis_server.url, home / "cache")
        env |= {
            "XDG_STATE_HOME": str(home / "state"),
            "AUDIOBRIEF_CATALOG_URL": catalog_url,
            "AUDIOBRIEF_OUTPUT_URL": f"s3://{bucket}/site",
            "AUDIOBRIEF_S3_ENDPOINT_URL": services["endpoint"],
        }
        started.append(Worker(home, env, "-q"))
    pids = _service_pids(services)
    try:
        _wait_ready(redis_server.url, started)
        cpu_before = {name: cpu_s(pid) for name, pid in pids.items()}
        begin = time.perf_counter()
        run = Run(settings=Settings(queue_url=redis_server.url), now=dt.datetime.now(dt.UTC))
        made = queue.enqueue(redis_server.url, queue.speak_jobs(paths, run, {}))
        jobs = queue.wait(redis_server.url, [j.id for j in made], lambda _j: None, timeout_s=1800)
        wall_s = time.perf_counter() - begin
    finally:
        for worker in started:
            worker.stop()
    # After the workers stopped: their PostgreSQL sessions have ended and been counted.
    cpu = {name: (cpu_s(pid) - cpu_before[name]) / len(paths) for name, pid in pids.items()}
    failed = [j for j in jobs if j.state != "done"]
    if failed:
        raise SystemExit(f"{len(failed)} jobs failed: {failed[0].error}")
    _check(services["s3"], bucket, catalog_url, len(paths))
    return {"wall_s": wall_s, "machines": len({j.worker for j in jobs})} | cpu


def cpu_s(pid: int) -> float:
    """CPU seconds of *pid* and of its children that ended (PostgreSQL's sessions)."""
    fields = Path(f"/proc/{pid}/stat").read_text(encoding="ascii").rsplit(")", 1)[1].split()
    ticks = sum(int(f) for f in fields[11:15])  # utime, stime, cutime, cstime
    return ticks / os.sysconf("SC_CLK_TCK")


def _service_pids(services: dict[str, Any]) -> dict[str, int]:
    postmaster = (services["pg"].data / "postmaster.pid").read_text().split()[0]
    return {
        "redis": services["redis"].process.pid, "postgres": int(postmaster),
        "moto": services["moto"],
    }  # fmt: skip


def _check(s3: Any, bucket: str, catalog_url: str, count: int) -> None:
    """One episode per article in the catalog; the feed lists exactly those, all stored."""
    import podcastparser

    feed = s3.get_object(Bucket=bucket, Key="site/articles.xml")["Body"].read()
    listed = {}
    for item in podcastparser.parse(BASE + "articles.xml", io.BytesIO(feed))["episodes"]:
        enclosure = item["enclosures"][0]
        key = "site/" + str(enclosure["url"]).removeprefix(BASE)
        if s3.head_object(Bucket=bucket, Key=key)["ContentLength"] != enclosure["file_size"]:
            raise SystemExit(f"{key}: stored length differs from the feed's")
        listed[item["guid"]] = key
    with open_catalog(catalog_url) as catalog:
        guids = {r.guid for r in catalog.episodes("article")}
    if len(guids) != count or set(listed) != guids:
        raise SystemExit(f"{len(guids)} episodes, {len(listed)} listed, for {count} articles")


def _wait_ready(queue_url: str, workers: list[Worker], timeout_s: float = 120) -> None:
    """Until each worker answers a Celery ping (its consumer is up)."""
    from audiobrief.queue.app import make_app

    app = make_app(queue_url)
    names = {w.node for w in workers}
    deadline = time.monotonic() + timeout_s
    try:
        while not names <= {n for reply in app.control.ping(timeout=0.5) for n in reply}:
            if time.monotonic() > deadline:
                raise SystemExit("workers did not start:\n" + workers[0].output())
    finally:
        app.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="?", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--articles", type=int, default=20)
    args = parser.parse_args()
    missing = [
        name
        for name, there in (
            ("redis-server (apt-get install redis-server)", BINARY is not None),
            ("PostgreSQL (apt-get install postgresql)", binaries() is not None),
            ("moto_server (pip install 'moto[server]')", Path(sys.executable).with_name(
                "moto_server").is_file()),
        )
        if not there
    ]  # fmt: skip
    if missing:
        print(f"cluster_bench: skipped, needs {', '.join(missing)}")
        return 0
    import boto3

    os.environ.update(AWS)
    with (
        tempfile.TemporaryDirectory(prefix="cluster-bench-") as tmp,
        moto_server() as (endpoint, moto),
    ):
        work = Path(tmp)
        paths = halves(args.corpus, work / "articles", args.articles)
        (work / "redis").mkdir()
        redis_server = RedisServer(work / "redis")
        redis_server.start()
        pg = PgServer(binaries())  # type: ignore[arg-type]
        try:
            services = {
                "redis": redis_server, "pg": pg, "endpoint": endpoint, "moto": moto,
                "s3": boto3.session.Session().client("s3", endpoint_url=endpoint),
            }  # fmt: skip
            cores = parallelism()
            results = {n: one_run(services, work, paths, n) for n in (1, 2)}
            cores = (cores + parallelism()) / 2  # before and after: the load changes
        finally:
            pg.close()
            redis_server.stop()
    print(f"{len(paths)} articles, Redis + PostgreSQL + S3 (moto), each published exactly once")
    for n, r in results.items():
        print(
            f"{n} worker(s): {r['wall_s']:.1f} s wall, jobs ran on {r['machines']:.0f}; "
            f"CPU ms per article: moto {1000 * r['moto']:.0f}, PostgreSQL "
            f"{1000 * r['postgres']:.0f}, Redis {1000 * r['redis']:.0f}"
        )
    ratio = results[2]["wall_s"] / results[1]["wall_s"]
    verdict = "meets" if ratio <= TARGET else "misses"
    print(f"2 workers / 1 worker: {ratio:.2f}x ({verdict} the <= {TARGET}x target)")
    print(f"free cores while it ran: {cores:.2f} of 2 (two CPU-bound processes vs one)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
