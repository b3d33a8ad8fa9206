"""The queue under faults: a worker killed mid-job, Redis restarted mid-run."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from audiobrief import queue
from audiobrief.cli import cli
from redis_server import (
    RedisServer,
    Worker,
    needs_cluster,
    redis_server,
    worker_env,
    write_articles,
)
from state_support import REPO, consistent

__all__ = ["redis_server"]  # the fixture, used by name

pytestmark = [needs_cluster, pytest.mark.slow]

VISIBILITY_S = "3"
"""Seconds before a vanished worker's job goes to another: short, for the test."""
WAIT_S = 120


@pytest.fixture
def spawn(workspace: Path, redis_server: RedisServer) -> Iterator[Callable[[], Worker]]:
    """Start workers (short visibility timeout); any left running are killed at the end."""
    env = worker_env(redis_server.url, workspace / "cache")
    started: list[Worker] = []

    def start() -> Worker:
        started.append(Worker(workspace, env, "--visibility-timeout", VISIBILITY_S))
        return started[-1]

    yield start
    for worker in started:
        worker.kill()


@pytest.fixture
def workspace(tmp_path: Path, redis_server: RedisServer, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copytree(REPO / "voices", tmp_path / "voices")
    monkeypatch.setenv("AUDIOBRIEF_QUEUE_URL", redis_server.url)
    return tmp_path


def _enqueue(paths: list[str]) -> list[str]:
    result = CliRunner().invoke(cli, ["speak", *paths, "-o", "out"])
    assert result.exit_code == 0, result.output
    return [line.split()[0] for line in result.output.splitlines() if " queued: " in line]


def _running(url: str, job_id: str, timeout_s: float = 60) -> queue.Job | None:
    """The job once a worker runs it; None if it ended before anyone saw it running."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        found = queue.list_jobs(url)
        job = next(j for j in found if j.id == job_id)
        if job.state == "running":
            return job
        if job.ended:
            return None
        time.sleep(0.02)
    raise AssertionError(f"job {job_id} never ran")


def test_a_job_whose_worker_is_killed_is_finished_by_another(
    workspace: Path, redis_server: RedisServer, spawn: Callable[[], Worker]
) -> None:
    workers = {worker.node: worker for worker in (spawn(), spawn())}
    # A long article, so the kill lands mid-job; a job done before it is seen running
    # is tried again with the next article (bounded).
    paths = write_articles(workspace, 3, paragraphs=12)
    killed = None
    for path in paths:
        (job_id,) = _enqueue([path])
        job = _running(redis_server.url, job_id)
        if job is not None:
            killed = workers.pop(job.worker)
            killed.kill()
            break
    assert killed is not None, "every job ended before it was seen running"
    (survivor,) = workers.values()
    (done,) = queue.wait(redis_server.url, [job_id], lambda _job: None, timeout_s=WAIT_S)
    assert (done.state, done.tries, done.worker) == ("done", 2, survivor.node)
    listed = consistent(workspace / "out")  # every listed MP3 whole, catalog in step
    jobs = queue.list_jobs(redis_server.url)
    assert len(listed) == sum(j.state == "done" for j in jobs)  # one guid per article
    assert survivor.stop() == 0, survivor.output()


def test_no_job_is_lost_when_redis_restarts_mid_run(
    workspace: Path, redis_server: RedisServer, spawn: Callable[[], Worker]
) -> None:
    worker = spawn()
    ids = _enqueue(write_articles(workspace, 5))
    assert len(ids) == 5
    assert _running(redis_server.url, ids[0]) is not None
    redis_server.restart()  # append-only: the queued jobs come back with it
    ended = queue.wait(redis_server.url, ids, lambda _job: None, timeout_s=WAIT_S)
    assert [j.state for j in ended] == ["done"] * 5
    assert len(consistent(workspace / "out")) == 5
    assert worker.stop() == 0, worker.output()


def test_sigterm_lets_the_running_job_finish(
    workspace: Path, redis_server: RedisServer, spawn: Callable[[], Worker]
) -> None:
    worker = spawn()
    (path,) = write_articles(workspace, 1, paragraphs=12)
    (job_id,) = _enqueue([path])
    assert _running(redis_server.url, job_id) is not None
    assert worker.stop() == 0, worker.output()  # returns once the job is done
    (job,) = [j for j in queue.list_jobs(redis_server.url) if j.id == job_id]
    assert (job.state, job.tries) == ("done", 1)
    assert len(consistent(workspace / "out")) == 1
