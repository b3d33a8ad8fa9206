"""The work queue (queue_url): one job per article on Celery and Redis, and its workers.

The front door for the CLI. Nothing here imports Celery or redis-py until a queue is used:
they are the optional `cluster` extra.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from audiobrief.errors import AudiobriefError
from audiobrief.queue import state
from audiobrief.queue.state import Job

if TYPE_CHECKING:
    from audiobrief.articles import Entry
    from audiobrief.pipeline import Run
    from audiobrief.queue.tasks import MakeRun

__all__ = ["Enqueued", "Job", "enqueue", "ingest_jobs", "list_jobs", "retry", "speak_jobs"]

POLL_S = 0.25


@dataclass(frozen=True)
class Enqueued:
    """One job as `speak`/`ingest` left it: new, or the same job found already there."""

    id: str
    article: str
    state: str
    """`queued` for a new job, else the state of the same job found (running, done...)."""
    new: bool


@dataclass(frozen=True)
class Planned:
    """A job to enqueue: its id (article identity + content + options) and what it carries."""

    id: str
    kind: str
    article: str
    payload: dict[str, Any]


def speak_jobs(
    sources: Sequence[str],
    run: Run,
    flags: dict[str, Any],
    *,
    stdin: bytes | None = None,
    republish: bool = False,
) -> list[Planned]:
    """One job per source: a file travels as its bytes (a worker may not share the disk)."""
    from audiobrief.articles import read_file  # here: the CLI imports this module

    planned = []
    for source in sources:
        data: bytes | None = None
        if source == "-":
            data = stdin or b""
        elif not source.startswith(("http://", "https://")):
            data = read_file(source)  # the errors `speak` gives for a file it cannot read
        payload = _payload(run, flags, name=source, republish=republish)
        payload["data"] = None if data is None else base64.b64encode(data).decode("ascii")
        identity = source if data is None else Path(source).name
        content = "" if data is None else hashlib.sha256(data).hexdigest()
        key = ["speak", identity, content, republish, run.today.isoformat()]
        planned.append(Planned(_job_id(key, flags), "speak", source, payload))
    return planned


def ingest_jobs(entries: Sequence[Entry], run: Run, flags: dict[str, Any]) -> list[Planned]:
    """One job per feed entry; the worker fetches the page, as `ingest` would."""
    planned = []
    for entry in entries:
        payload = _payload(run, flags, name=entry.url)
        published = entry.published.isoformat() if entry.published else None
        payload["entry"] = {
            "url": entry.url, "title": entry.title, "published": published, "source": entry.source,
        }  # fmt: skip
        planned.append(Planned(_job_id(["ingest", entry.url], flags), "ingest", entry.url, payload))
    return planned


def enqueue(queue_url: str, planned: Sequence[Planned]) -> list[Enqueued]:
    """Record and send each job; a job already queued, running or done is not sent again."""
    from audiobrief.queue.app import QUEUE, TASK, client, make_app

    redis_client = client(queue_url)
    app = make_app(queue_url)
    made = []
    try:
        for job in planned:
            found = state.create(redis_client, job.id, job.kind, job.article, job.payload)
            if found is None:
                _send(app, redis_client, job.id, job.payload, QUEUE, TASK)
            made.append(Enqueued(job.id, job.article, found or "queued", found is None))
    finally:
        app.close()
        redis_client.close()
    return made


def retry(queue_url: str, job_id: str) -> Job:
    """Send a failed job again, as it was first sent."""
    from audiobrief.queue.app import QUEUE, TASK, client, make_app

    redis_client = client(queue_url)
    app = make_app(queue_url)
    try:
        job = state.requeue(redis_client, job_id)
        _send(app, redis_client, job_id, job.payload, QUEUE, TASK)
    finally:
        app.close()
        redis_client.close()
    return job


def list_jobs(queue_url: str, states: Sequence[str] = state.STATES) -> list[Job]:
    from audiobrief.queue.app import client

    redis_client = client(queue_url)
    try:
        return state.jobs(redis_client, states)
    finally:
        redis_client.close()


def wait(
    queue_url: str,
    ids: Sequence[str],
    on_change: Callable[[Job], None],
    *,
    timeout_s: float | None = None,
) -> list[Job]:
    """Poll until every job has ended, calling *on_change* with each new state seen."""
    from audiobrief.queue.app import client

    deadline = None if timeout_s is None else time.monotonic() + timeout_s
    redis_client = client(queue_url)
    last: dict[str, tuple[str, int]] = {}
    ended: dict[str, Job] = {}
    try:
        while len(ended) < len(set(ids)):
            for job_id in ids:
                if job_id in ended:
                    continue
                job = state.patient(partial(state.get, redis_client, job_id))
                if job is None:
                    raise AudiobriefError(f"job {job_id} is gone from the queue's records.")
                if last.get(job_id) != (job.state, job.tries):
                    last[job_id] = (job.state, job.tries)
                    on_change(job)
                if job.ended:
                    ended[job_id] = job
            if deadline is not None and time.monotonic() > deadline and len(ended) < len(set(ids)):
                waiting = ", ".join(i for i in ids if i not in ended)
                raise AudiobriefError(f"jobs still not ended after {timeout_s:g} s: {waiting}.")
            if len(ended) < len(set(ids)):
                time.sleep(POLL_S)
    finally:
        redis_client.close()
    return [ended[i] for i in ids]


def run_worker(
    queue_url: str,
    make_run: MakeRun,
    *,
    concurrency: int = 1,
    visibility_timeout_s: int | None = None,
    quiet: bool = False,
) -> int:
    """Run a Celery worker in this process until SIGTERM or Ctrl-C; its exit status."""
    import socket  # here: every command imports this module, for the CLI's job states

    from audiobrief.queue.app import QUEUE, VISIBILITY_TIMEOUT_S, client, make_app
    from audiobrief.queue.tasks import register

    redis_client = client(queue_url)
    app = make_app(queue_url, visibility_timeout_s=visibility_timeout_s or VISIBILITY_TIMEOUT_S)
    register(app, redis_client, make_run)
    worker = app.Worker(
        hostname=f"audiobrief-{os.getpid()}@{socket.gethostname()}",  # unique per process
        concurrency=concurrency,
        pool="prefork",
        queues=[QUEUE],
        loglevel="WARNING" if quiet else "INFO",
        quiet=quiet,
        # Gossip, mingle and heartbeats talk between workers over the broker; the jobs
        # need none of it, and each costs Redis traffic per worker.
        without_gossip=True,
        without_mingle=True,
        without_heartbeat=True,
    )
    worker.start()
    return int(worker.exitcode or 0)


def _payload(
    run: Run, flags: dict[str, Any], *, name: str, republish: bool = False
) -> dict[str, Any]:
    # The enqueue time travels: it dates the episode, so a retry tomorrow is the same one.
    return {"name": name, "flags": flags, "now": run.now.isoformat(), "republish": republish}


def _job_id(key: list[Any], flags: dict[str, Any]) -> str:
    text = json.dumps([*key, sorted(flags.items())], ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _send(
    app: Any, redis_client: Any, job_id: str, payload: dict[str, Any], queue: str, task: str
) -> None:
    from kombu.exceptions import OperationalError

    try:
        app.send_task(task, args=[job_id, payload], task_id=job_id, queue=queue)
    except OperationalError as exc:  # Redis went away: the job must not sit "queued"
        state.mark(redis_client, job_id, "failed", error=f"could not be sent: {exc}")
        raise AudiobriefError(
            f"job {job_id} could not be sent to the queue ({exc}); run 'audiobrief jobs retry "
            f"{job_id}' once Redis answers."
        ) from exc
