"""The one task a worker runs: speak one article (a file's bytes, a URL, a feed entry) and
publish it through the pipeline, writing the job's state as it goes."""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import http
import logging
import socket
import sqlite3
import tempfile
import urllib.error
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from audiobrief.errors import AudiobriefError, CatalogUnavailable
from audiobrief.queue import state
from audiobrief.queue.app import TASK

if TYPE_CHECKING:
    import celery
    import redis

    from audiobrief.pipeline import Outcome, Run

logger = logging.getLogger(__name__)

RETRIES = 6
"""Tries after the first for a transient failure: with the backoff, about 10 minutes."""
BACKOFF_S = (5, 300)
"""The first retry's wait, doubled each time up to the second figure."""
MakeRun = Callable[[dict[str, Any], dt.datetime], "Run"]
"""Builds a job's Run from its flags (voice, output...) and its enqueue time."""

# Errors of a service that is down or a network that failed: trying later may work.
# Libraries that are not imported here are matched by name (botocore). The catalog's
# driver errors are not: its adapter says CatalogUnavailable when the server is gone,
# and a refused login under a PublishError must fail at once.
_TRANSIENT = (ConnectionError, TimeoutError, socket.timeout, socket.gaierror)
_TRANSIENT_NAMES = {
    "botocore.exceptions.EndpointConnectionError",
    "botocore.exceptions.ConnectionClosedError",
    "botocore.exceptions.ConnectTimeoutError",
    "botocore.exceptions.ReadTimeoutError",
}


def is_transient(exc: BaseException) -> bool:
    """Whether the failure may pass by itself: the network, an HTTP 5xx or 429, a catalog
    or store that does not answer, a locked SQLite file. Anything else (a bad article, a
    voice that is missing) fails at once: running it again gives the same error."""
    for cause in _causes(exc):
        if isinstance(cause, CatalogUnavailable):  # the catalog's server, gone for now
            return True
        if isinstance(cause, urllib.error.HTTPError):
            return cause.code >= 500 or cause.code == http.HTTPStatus.TOO_MANY_REQUESTS
        if isinstance(cause, urllib.error.URLError):  # a refused or timed-out connection may
            # pass; a bad certificate, an unknown scheme or a missing file will not
            return isinstance(cause.reason, _TRANSIENT)
        if isinstance(cause, _TRANSIENT):
            return True
        if isinstance(cause, sqlite3.OperationalError) and "locked" in str(cause):
            return True
        kind = type(cause)
        if f"{kind.__module__.split('.')[0]}.{kind.__name__}" in _TRANSIENT_NAMES:
            return True
        if f"{kind.__module__}.{kind.__name__}" in _TRANSIENT_NAMES:
            return True
    return False


def register(app: celery.Celery, client: redis.Redis, make_run: MakeRun) -> None:
    """Define the job task on *app*; it runs in the worker's pool processes."""

    @app.task(name=TASK, bind=True, max_retries=RETRIES)  # type: ignore[untyped-decorator]
    def job(task: Any, job_id: str, payload: dict[str, Any]) -> None:
        before, tries = state.start(client, job_id, payload["name"], task.request.hostname or "")
        if before == "done":  # redelivered after its worker published and died unacked
            logger.info("job %s was done already", job_id)
            return
        try:
            status, episode = run_job(payload, make_run)
        except AudiobriefError as exc:
            if is_transient(exc) and task.request.retries < RETRIES:
                wait_s = min(BACKOFF_S[0] * 2**task.request.retries, BACKOFF_S[1])
                state.mark(client, job_id, "retrying", error=f"{exc} (again in {wait_s} s)")
                raise task.retry(exc=exc, countdown=wait_s) from exc
            state.mark(client, job_id, "failed", error=str(exc))
            logger.info("job %s failed after %d tries: %s", job_id, tries, exc)
            return
        except Exception as exc:  # a bug: the job must not look "running" for ever
            state.mark(client, job_id, "failed", error=f"internal error: {exc!r}")
            raise  # Celery logs the traceback
        state.mark(client, job_id, "done", status=status, episode=episode, error="")


def run_job(payload: dict[str, Any], make_run: MakeRun) -> tuple[str, str]:
    """Speak and publish the job's article; its status and MP3. Raises its failure."""
    from audiobrief import pipeline
    from audiobrief.articles import Entry

    run = make_run(payload["flags"], dt.datetime.fromisoformat(payload["now"]))
    if "entry" in payload:
        raw = payload["entry"]
        published = dt.datetime.fromisoformat(raw["published"]) if raw["published"] else None
        entry = Entry(raw["url"], raw["title"], published, raw["source"])
        outcomes = pipeline.ingest_entries([entry], run, outcomes=[])
        return _ended(outcomes, run)
    with _source(payload) as (source, stdin):
        republish = bool(payload.get("republish"))
        outcomes = pipeline.speak_each([source], run, stdin=stdin, republish=republish)
        try:
            return _ended(outcomes, run)
        except AudiobriefError as exc:  # name the article, not the worker's scratch copy
            message = str(exc).replace(source, payload["name"])
            raise AudiobriefError(message) from exc


@contextlib.contextmanager
def _source(payload: dict[str, Any]) -> Iterator[tuple[str, bytes | None]]:
    """The job's source as `speak` takes it: a scratch copy of a file's bytes, or the URL."""
    data = payload.get("data")
    if data is None:
        yield payload["name"], None
        return
    content = base64.b64decode(data)
    if payload["name"] == "-":
        yield "-", content
        return
    # Under the file's own name: an article's identity is its file name, not its folder.
    with tempfile.TemporaryDirectory(prefix="audiobrief-job-") as folder:
        path = Path(folder) / Path(payload["name"]).name
        path.write_bytes(content)
        yield str(path), None


def _ended(outcomes: list[Outcome], run: Run) -> tuple[str, str]:
    """The job's status and MP3 from its one outcome; its error raised."""
    for outcome in outcomes:
        if outcome.error is not None:
            raise outcome.error
    if not outcomes:
        return "nothing new", ""
    outcome = outcomes[-1]
    if outcome.episode is None:
        return outcome.state, ""
    mp3 = outcome.episode.mp3_path
    with contextlib.suppress(ValueError):  # an output elsewhere is named as it is
        mp3 = mp3.relative_to(run.settings.output_dir)
    return outcome.state, str(mp3)


def _causes(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__
