"""The cluster end to end: workers on two "machines" sharing Redis, PostgreSQL and a bucket.

Each worker runs in a folder of its own (its own output_dir, voices and synthesis cache),
as on separate machines; what they share is the queue (real redis-server), the catalog
(real PostgreSQL) and the site (moto's S3 server). The checks read the site the way a
listener's app does: the feeds from the bucket, then a HEAD for everything they list.
"""

from __future__ import annotations

import io
import re
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import podcastparser
import pytest
from click.testing import CliRunner

import s3_server
from audiobrief import queue
from audiobrief.cli import cli
from audiobrief.publish.catalog import open_catalog
from audiobrief.publish.journal import UPLOADS
from pg_server import PgServer, pg_server, pg_url, running_server  # noqa: F401
from redis_server import (
    RedisServer,
    Worker,
    needs_cluster,
    redis_server,
    worker_env,
    write_articles,
)
from s3_server import S3
from state_support import REPO

s3_endpoint, s3 = s3_server.s3_endpoint, s3_server.s3  # the fixtures, by name
__all__ = ["redis_server"]

pytestmark = [needs_cluster, pytest.mark.slow]

BASE = "http://127.0.0.1:8000/"  # the default base_url
FEEDS = ("feed.xml", "articles.xml")
EPISODE_FILES = (".mp3", ".vtt", ".srt", ".chapters.json")
"""What goes up before the catalog commit: the files an orphan would be made of."""
VISIBILITY_S = "3"
"""Seconds before a vanished worker's job goes to another: short, for the test."""
WAIT_S = 240
"""A job's end, at most: about 20 s on a quiet machine; a CI machine busy with other work
once took over 120 s for a killed worker's job to be taken up and finished."""
FAST_BACKOFF = "import audiobrief.queue.tasks as t\nt.BACKOFF_S, t.RETRIES = (1, 2), 40\n"
"""Worker prelude: retries after 1, 2, 2... s instead of 5, 10, 20..., 40 of them (about
80 s, so a slow restart of the server cannot use them up). The pool processes are forked
from the worker, so they inherit the patched module; `register` reads RETRIES then."""
HANG = """
import importlib, pathlib, time
owner = getattr(importlib.import_module("{module}"), "{cls}")
def _hang(self, *args, **kwargs):
    pathlib.Path("stopped").touch()
    time.sleep(600)
setattr(owner, "{method}", _hang)
"""
"""Worker prelude: stop for good at a method (where a kill -9 then lands)."""
KILL_POINTS = {
    # After the upload, before the catalog commit: files in the bucket no row owns.
    "before-commit": HANG.format(module="audiobrief.publish.catalog", cls="Catalog",
                                 method="upsert"),
    # After the commit, before the feeds are rendered: a row no feed lists yet.
    "before-feeds": HANG.format(module="audiobrief.publish.publisher", cls="Publisher",
                                method="refresh"),
}  # fmt: skip
GATE_BEFORE_COMMIT = """
import pathlib, time
from audiobrief.publish.catalog import Catalog
_upsert = Catalog.upsert
def _gated(self, *args, **kwargs):
    if not pathlib.Path("uploaded").exists():  # the first publish only
        pathlib.Path("uploaded").touch()
        deadline = time.monotonic() + 60
        while not pathlib.Path("go").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
    return _upsert(self, *args, **kwargs)
Catalog.upsert = _gated
"""
"""Worker prelude: the first publish waits between its upload and its catalog commit
until the test creates `go` (bounded), so the server can be stopped right there."""


@pytest.fixture(scope="module")
def caches(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Each machine's synthesis cache, kept for the module: sentences render once per machine."""
    return tmp_path_factory.mktemp("machine-caches")


@dataclass
class Cluster:
    """The shared services, the folder `speak` enqueues from, and the workers started."""

    folder: Path
    queue_url: str
    catalog_url: str
    bucket: S3
    caches: Path
    workers: list[Worker] = field(default_factory=list)

    def worker(self, machine: str, prelude: str = "") -> Worker:
        """A worker in *machine*'s own folder (voices, output_dir, cache), started."""
        home = self.folder / machine
        if not home.exists():
            shutil.copytree(REPO / "voices", home / "voices")
        env = worker_env(self.queue_url, self.caches / machine)
        env["AUDIOBRIEF_CATALOG_URL"] = self.catalog_url
        env["AUDIOBRIEF_OUTPUT_URL"] = self.bucket.url
        env["AUDIOBRIEF_S3_ENDPOINT_URL"] = self.bucket.endpoint
        self.workers.append(
            Worker(home, env, "--visibility-timeout", VISIBILITY_S, prelude=prelude)
        )
        return self.workers[-1]

    def enqueue(self, count: int) -> list[str]:
        """*count* articles through `speak` (no -o: each worker publishes from its own)."""
        paths = write_articles(self.folder, count)
        result = CliRunner().invoke(cli, ["speak", *paths])
        assert result.exit_code == 0, result.output
        ids = re.findall(r"^([0-9a-f]{16}) \w+: ", result.output, flags=re.MULTILINE)
        assert len(ids) == count, result.output
        return ids

    def wait(self, ids: list[str]) -> list[queue.Job]:
        return queue.wait(self.queue_url, ids, lambda _job: None, timeout_s=WAIT_S)


@pytest.fixture
def cluster(
    tmp_path: Path,
    redis_server: RedisServer,
    s3: S3,
    caches: Path,
    pg_url: str,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Cluster]:
    """The three services set for `speak` here; every worker is killed at the end."""
    queue_url = redis_server.url
    shutil.copytree(REPO / "voices", tmp_path / "voices")
    monkeypatch.setenv("AUDIOBRIEF_QUEUE_URL", queue_url)
    monkeypatch.setenv("AUDIOBRIEF_CATALOG_URL", pg_url)
    found = Cluster(tmp_path, queue_url, pg_url, s3, caches)
    try:
        yield found
    finally:
        for worker in found.workers:
            worker.kill()


@pytest.fixture
def private_pg() -> Iterator[PgServer]:
    """A PostgreSQL server of this test's own: the test stops it."""
    with running_server() as server:
        yield server


def ready(queue_url: str, *workers: Worker, timeout_s: float = 60) -> None:
    """Wait until each worker answers a Celery ping, so each can take the first jobs."""
    from audiobrief.queue.app import make_app

    app = make_app(queue_url)
    try:
        names = {w.node for w in workers}
        deadline = time.monotonic() + timeout_s
        while not names <= {n for reply in app.control.ping(timeout=0.5) for n in reply}:
            for worker in workers:
                assert worker.process.poll() is None, worker.output()
            assert time.monotonic() < deadline, "a worker never answered"
    finally:
        app.close()


def until(check: Callable[[], bool], what: str, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        assert time.monotonic() < deadline, f"still not {what} after {timeout_s} s"
        time.sleep(0.1)


def linked(feed: bytes) -> set[str]:
    """The names of every file of the site a feed points at (enclosures, transcripts...)."""
    found = re.findall(r'(?:url|href)="' + re.escape(BASE) + r'([^"?]+)', feed.decode())
    return set(found)


def site(bucket: S3, catalog_url: str) -> dict[str, str]:
    """Check the published site whole and in step; return {guid: MP3} of the feeds.

    Both feeds parse; every enclosure is stored with the length the feed gives, and every
    page or side file they link is stored; the feeds list exactly the catalog's episodes,
    one guid per article; no episode file is stored that no catalog row owns, and no
    upload note of a dead run is left.
    """
    stored = bucket.names()
    with open_catalog(catalog_url) as catalog:
        records = catalog.episodes()
    assert len({(r.kind, r.key) for r in records}) == len(records)  # once per article
    assert len({r.guid for r in records}) == len(records)
    listed: dict[str, str] = {}
    for feed in FEEDS:
        data = bucket.get(feed)
        for item in podcastparser.parse(BASE + feed, io.BytesIO(data))["episodes"]:
            enclosure = item["enclosures"][0]
            name = str(enclosure["url"]).removeprefix(BASE)
            assert bucket.head(name)["ContentLength"] == enclosure["file_size"], name
            assert str(item["link"]).startswith(BASE)
            bucket.head(str(item["link"]).removeprefix(BASE))  # the page: raises if missing
            assert str(item["guid"]) not in listed, f"{item['guid']} listed twice"
            listed[str(item["guid"])] = name
        for name in linked(data):
            assert name in stored, f"{feed} links {name}, which is not in the bucket"
    assert listed == {r.guid: r.mp3 for r in records}
    owned = {name for r in records for name in (r.mp3, *r.files.values())}
    orphans = [n for n in stored if n.endswith(EPISODE_FILES) and n not in owned]
    assert not orphans, f"stored but in no catalog row: {orphans}"
    assert not [n for n in stored if n.startswith(UPLOADS)], "an upload note is left"
    return listed


def test_two_machines_publish_every_article_once_to_one_site(cluster: Cluster) -> None:
    machines = {w.node: w for w in (cluster.worker("machine-a"), cluster.worker("machine-b"))}
    ready(cluster.queue_url, *machines.values())
    ids = cluster.enqueue(6)
    jobs = cluster.wait(ids)

    assert [j.state for j in jobs] == ["done"] * 6, [j.error for j in jobs]
    assert {j.worker for j in jobs} == set(machines)  # both machines took jobs
    listed = site(cluster.bucket, cluster.catalog_url)
    assert len(listed) == 6
    assert sorted(listed.values()) == sorted(j.episode for j in jobs)
    for home in ("machine-a", "machine-b"):  # a work folder keeps nothing a listener gets
        assert not list((cluster.folder / home / "output").rglob("*.mp3"))
    for worker in machines.values():
        assert worker.stop() == 0, worker.output()


@pytest.mark.parametrize("point", KILL_POINTS)
def test_a_machine_killed_mid_publish_leaves_nothing_behind(cluster: Cluster, point: str) -> None:
    doomed = cluster.worker("machine-a", prelude=KILL_POINTS[point])
    survivor = cluster.worker("machine-b")
    ready(cluster.queue_url, doomed, survivor)
    ids = cluster.enqueue(4)
    until((cluster.folder / "machine-a" / "stopped").exists, f"{point} on machine-a")
    jobs = queue.list_jobs(cluster.queue_url)
    (taken,) = [j for j in jobs if j.state == "running" and j.worker == doomed.node]
    uploaded = cluster.bucket.names()
    assert [n for n in uploaded if n.endswith(".mp3")]
    if point == "before-commit":  # the note that names the upload in flight
        assert [n for n in uploaded if n.startswith(UPLOADS)]
    doomed.kill()  # kill -9, holding the site: the survivor waits, then goes on
    jobs = cluster.wait(ids)

    assert [j.state for j in jobs] == ["done"] * 4, [j.error for j in jobs]
    (again,) = [j for j in jobs if j.id == taken.id]
    assert (again.tries, again.worker) == (2, survivor.node)
    assert len(site(cluster.bucket, cluster.catalog_url)) == 4  # orphans collected, no twins
    assert survivor.stop() == 0, survivor.output()


def test_jobs_wait_out_a_stopped_catalog_server_and_then_publish_once(
    cluster: Cluster, private_pg: PgServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    cluster.catalog_url = private_pg.new_database()  # a server this test may stop
    monkeypatch.setenv("AUDIOBRIEF_CATALOG_URL", cluster.catalog_url)
    machines = [cluster.worker(m, prelude=FAST_BACKOFF) for m in ("machine-a", "machine-b")]
    (first,) = cluster.enqueue(1)
    cluster.wait([first])
    before = cluster.bucket.names()
    private_pg.stop()
    first_again, *ids = cluster.enqueue(4)
    assert first_again == first  # done already: not queued again

    def retried() -> bool:
        jobs = [j for j in queue.list_jobs(cluster.queue_url) if j.id in ids]
        assert not [j.error for j in jobs if j.state == "failed"]  # a failure is not a wait
        return len(jobs) == len(ids) and all(j.state == "retrying" and j.tries >= 2 for j in jobs)

    until(retried, "retrying, each tried twice")
    listing = CliRunner().invoke(cli, ["jobs", "--state", "retrying"])
    assert listing.output.count("  retrying  tries ") == 3, listing.output
    assert listing.output.count("cannot reach the catalog's server") == 3, listing.output
    assert cluster.bucket.names() == before  # nothing went up without its catalog row
    private_pg.start()
    jobs = cluster.wait(ids)

    assert [j.state for j in jobs] == ["done"] * 3, [j.error for j in jobs]
    assert all(j.tries >= 2 for j in jobs)
    assert len(site(cluster.bucket, cluster.catalog_url)) == 4
    for worker in machines:
        assert worker.stop() == 0, worker.output()


def test_a_catalog_server_lost_mid_publish_leaves_the_site_as_it_was_until_it_returns(
    cluster: Cluster, private_pg: PgServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    cluster.catalog_url = private_pg.new_database()
    monkeypatch.setenv("AUDIOBRIEF_CATALOG_URL", cluster.catalog_url)
    other = cluster.worker("machine-b", prelude=FAST_BACKOFF)
    (first,) = cluster.enqueue(1)
    cluster.wait([first])
    gated = cluster.worker("machine-a", prelude=FAST_BACKOFF + GATE_BEFORE_COMMIT)
    ready(cluster.queue_url, gated)
    ids = cluster.enqueue(3)[1:]
    until((cluster.folder / "machine-a" / "uploaded").exists, "uploaded by machine-a")
    # machine-a holds the site now: nobody else publishes until it commits.
    (cut,) = [j for j in queue.list_jobs(cluster.queue_url) if j.worker == gated.node]
    feeds = {name: cluster.bucket.get(name) for name in FEEDS}
    private_pg.stop()  # fast shutdown: the publishing session is cut mid-transaction
    (cluster.folder / "machine-a" / "go").touch()

    def retrying() -> bool:
        (job,) = [j for j in queue.list_jobs(cluster.queue_url) if j.id == cut.id]
        assert job.state != "failed", job.error  # a failure is not a wait
        return job.state == "retrying"

    until(retrying, "retrying after the lost server")
    assert {name: cluster.bucket.get(name) for name in FEEDS} == feeds
    # What went up for the commit that failed is there, under names no feed lists.
    unlisted = set(cluster.bucket.names()) - set().union(*map(linked, feeds.values()))
    assert [n for n in unlisted if n.endswith(".mp3")], unlisted
    assert [n for n in unlisted if n.startswith(UPLOADS)], unlisted
    private_pg.start()
    jobs = cluster.wait(ids)

    assert [j.state for j in jobs] == ["done"] * 2, [j.error for j in jobs]
    assert [j.tries >= 2 for j in jobs if j.id == cut.id] == [True]
    assert len(site(cluster.bucket, cluster.catalog_url)) == 3  # the orphans were collected
    for worker in (gated, other):
        assert worker.stop() == 0, worker.output()


def test_no_job_is_lost_when_redis_restarts_while_two_machines_publish(
    cluster: Cluster, redis_server: RedisServer
) -> None:
    machines = [cluster.worker("machine-a"), cluster.worker("machine-b")]
    ready(cluster.queue_url, *machines)
    ids = cluster.enqueue(5)
    until(lambda: any(j.state == "running" for j in queue.list_jobs(cluster.queue_url)), "running")
    redis_server.restart()  # append-only: the queued jobs come back with it
    jobs = cluster.wait(ids)

    assert [j.state for j in jobs] == ["done"] * 5, [j.error for j in jobs]
    assert len(site(cluster.bucket, cluster.catalog_url)) == 5
    for worker in machines:
        assert worker.stop() == 0, worker.output()
