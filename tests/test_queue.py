"""The work queue on a real Redis with real `audiobrief worker` processes (eSpeak NG voice)."""

from __future__ import annotations

import http.server
import shutil
import sqlite3
import ssl
import subprocess
import sys
import urllib.error
from collections.abc import Iterator
from email.message import Message
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from audiobrief import queue
from audiobrief.cli import cli
from audiobrief.errors import CatalogUnavailable, PublishError
from audiobrief.queue.tasks import is_transient
from ingest_site import serve_site
from redis_server import (
    RedisServer,
    Worker,
    needs_cluster,
    redis_server,
    worker_env,
    write_articles,
)
from state_support import REPO, consistent
from support import loopback_server

__all__ = ["redis_server"]  # the fixture, used by name

pytestmark = needs_cluster


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    shutil.copytree(REPO / "voices", tmp_path / "voices")
    return tmp_path


@pytest.fixture
def queue_url(redis_server: RedisServer, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("AUDIOBRIEF_QUEUE_URL", redis_server.url)
    return redis_server.url


@pytest.fixture
def workers(workspace: Path, queue_url: str) -> Iterator[list[Worker]]:
    """Two workers; each must stop cleanly on SIGTERM at the end."""
    env = worker_env(queue_url, workspace / "cache")
    started = [Worker(workspace, env), Worker(workspace, env)]
    yield started
    # Both are told at once: a warm shutdown takes seconds, and one after the other doubled
    # the wait.
    for worker in started:
        worker.terminate()
    codes = [worker.stop() for worker in started]
    assert codes == [0, 0], [w.output() for w in started]


def _speak(*args: str, code: int = 0) -> Result:
    result = CliRunner().invoke(cli, ["speak", *args])
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    return result


def test_enqueued_articles_are_published_once_each(
    workspace: Path, queue_url: str, workers: list[Worker]
) -> None:
    paths = write_articles(workspace, 4)
    result = _speak(*paths, "-o", "out", "--wait")
    assert result.output.count(" new: ") == 4
    listed = consistent(workspace / "out")
    assert len(listed) == 4
    jobs = queue.list_jobs(queue_url)
    assert sorted(j.state for j in jobs) == ["done"] * 4
    assert {j.tries for j in jobs} == {1}
    assert {j.episode for j in jobs} == set(listed.values())


def test_the_same_content_enqueued_twice_is_one_job(workspace: Path, queue_url: str) -> None:
    assert CliRunner().invoke(cli, ["jobs"]).output == "no jobs\n"
    (path,) = write_articles(workspace, 1)
    first = _speak(path, "-o", "out").output.split()[0]
    again = _speak(path, "-o", "out")
    assert again.output.split()[:2] == [first, "queued:"]
    assert "0 jobs queued (1 already there)" in again.output
    Path(path).write_text(Path(path).read_text(encoding="utf-8") + "\nوعادت الحركة.\n", "utf-8")
    edited = _speak(path, "-o", "out").output.split()[0]
    assert edited != first
    listed = CliRunner().invoke(cli, ["jobs"]).output.splitlines()
    assert sorted(line.split()[0] for line in listed) == sorted([first, edited])
    assert not (workspace / "out").exists()  # nothing ran: no worker


def test_a_poison_article_fails_once_and_retry_runs_it_again(
    workspace: Path, queue_url: str, workers: list[Worker]
) -> None:
    (good,) = write_articles(workspace, 1)
    latin = workspace / "latin.txt"
    latin.write_text("Hello world\n\nNo Arabic letters here at all.\n", encoding="utf-8")
    result = _speak(good, str(latin), "-o", "out", "--wait", code=1)
    (error,) = [line for line in result.output.splitlines() if line.startswith("Error:")]
    # The article as given, once, not the worker's scratch copy.
    assert error.startswith(f"Error: {latin}: has no Arabic letters")
    assert "audiobrief-job-" not in error
    (failed,) = queue.list_jobs(queue_url, ["failed"])
    assert (failed.article, failed.tries) == (str(latin), 1)
    assert len(consistent(workspace / "out")) == 1

    # A voice this worker lacks fails at once; once installed, `jobs retry` runs the job.
    result = _speak(good, "-o", "out", "--voice", "spare", "--wait", code=1)
    assert "spare" in result.output
    (spare,) = [j for j in queue.list_jobs(queue_url, ["failed"]) if j.id != failed.id]
    profile = (workspace / "voices" / "ar-espeak.toml").read_text(encoding="utf-8")
    spare_voice = profile.replace("rate_wpm = 165", "rate_wpm = 140")
    (workspace / "voices" / "spare.toml").write_text(spare_voice, encoding="utf-8")
    retried = CliRunner().invoke(cli, ["jobs", "retry", spare.id])
    assert retried.exit_code == 0, retried.output
    (done,) = queue.wait(queue_url, [spare.id], lambda _job: None, timeout_s=120)
    assert (done.state, done.tries, done.status) == ("done", 1, "updated")
    assert len(consistent(workspace / "out")) == 1  # the same article, spoken again


def test_ingest_enqueues_each_entry_and_a_second_run_speaks_nothing(
    workspace: Path, queue_url: str, workers: list[Worker]
) -> None:
    with serve_site() as site:
        feed = f"{site.base}/feed/"
        first = CliRunner().invoke(cli, ["ingest", feed, "-o", "out", "--wait"])
        assert first.exit_code == 0, first.output
        assert first.output.count(" new: ") == 3
        second = CliRunner().invoke(cli, ["ingest", feed, "-o", "out", "--wait"])
    assert second.exit_code == 0, second.output
    assert second.output.count(" not modified: ") == 3  # a URL's job runs again: pages change
    assert sorted(site.not_modified.values()) == [1, 1, 1]
    assert len(consistent(workspace / "out")) == 3


def test_a_transient_failure_is_retried_with_backoff(workspace: Path, queue_url: str) -> None:
    answers = iter([503, 503])

    class Flaky(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            code = next(answers, 200)
            body = _PAGE.encode("utf-8") if code == 200 else b"busy"
            self.send_response(code)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_args: object) -> None:
            pass

    fast = "import audiobrief.queue.tasks as t\nt.BACKOFF_S = (1, 1)"
    worker = Worker(workspace, worker_env(queue_url, workspace / "cache"), prelude=fast)
    seen: list[str] = []
    try:
        with loopback_server(Flaky) as base:
            job_id = _speak(f"{base}/story", "-o", "out").output.split()[0]
            (done,) = queue.wait(queue_url, [job_id], lambda j: seen.append(j.state), timeout_s=120)
    finally:
        assert worker.stop() == 0, worker.output()
    assert (done.state, done.tries, done.status) == ("done", 3, "new")
    assert "retrying" in seen
    assert len(consistent(workspace / "out")) == 1


_PAGE = """<!DOCTYPE html><html lang="ar" dir="rtl"><head><meta charset="utf-8">
<title>افتتاح مكتبة</title></head><body><article><h1>افتتاح مكتبة</h1>
<p>افتتحت الجماعة مكتبة عمومية جديدة قرب المحطة، وستفتح أبوابها كل يوم.</p>
<p>وأكد مسؤول أن المكتبة تضم آلاف الكتب باللغتين.</p></article></body></html>
"""


def test_retry_of_a_job_that_did_not_fail_says_so(queue_url: str, workspace: Path) -> None:
    (path,) = write_articles(workspace, 1)
    job_id = _speak(path, "-o", "out").output.split()[0]
    result = CliRunner().invoke(cli, ["jobs", "retry", job_id])
    assert result.exit_code == 1
    assert result.output.strip() == (
        f"Error: job {job_id} is queued, not failed; only failed jobs retry."
    )
    unknown = CliRunner().invoke(cli, ["jobs", "retry", "nope"])
    assert unknown.output.strip().startswith("Error: no job 'nope'")


def test_a_queue_nobody_answers_is_one_error_line(
    workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from redis_server import free_port

    monkeypatch.setenv("AUDIOBRIEF_QUEUE_URL", f"redis://127.0.0.1:{free_port()}/0")
    (path,) = write_articles(workspace, 1)
    result = CliRunner().invoke(cli, ["speak", path, "-o", "out"])
    assert result.exit_code == 1
    (line,) = result.output.strip().splitlines()
    assert line.startswith("Error: cannot reach the work queue at redis://127.0.0.1:")


def test_queue_url_must_be_redis(workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUDIOBRIEF_QUEUE_URL", "amqp://127.0.0.1/")
    result = CliRunner().invoke(cli, ["jobs"])
    assert result.exit_code == 1
    assert "AUDIOBRIEF_QUEUE_URL: queue_url = 'amqp://127.0.0.1/' is not a Redis URL" in (
        result.output
    )


def test_fail_fast_is_bad_usage_with_a_queue(workspace: Path, queue_url: str) -> None:
    (path,) = write_articles(workspace, 1)
    result = CliRunner().invoke(cli, ["speak", path, "--fail-fast"])
    assert result.exit_code == 2
    assert "--fail-fast does not go with queue_url" in result.output
    assert queue.list_jobs(queue_url) == []


def test_a_missing_cluster_extra_is_one_error_line_naming_it(
    workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AUDIOBRIEF_QUEUE_URL", "redis://127.0.0.1:6379/0")
    monkeypatch.setitem(sys.modules, "celery", None)  # import celery -> ImportError
    (path,) = write_articles(workspace, 1)
    result = CliRunner().invoke(cli, ["speak", path])
    assert result.exit_code == 1
    (line,) = result.output.strip().splitlines()
    assert line.startswith("Error: queue_url is set, but the work queue's libraries are missing")
    assert "pip install 'audiobrief[cluster]'" in line


def test_the_cli_loads_no_queue_library_until_a_queue_is_used() -> None:
    code = (
        "import sys; from click.testing import CliRunner; from audiobrief.cli import cli; "
        "r = CliRunner().invoke(cli, ['jobs', '--help']); assert r.exit_code == 0, r.output; "
        "print(','.join(m for m in ('celery', 'kombu', 'redis') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_worker_without_queue_url_says_what_to_set() -> None:
    result = CliRunner().invoke(cli, ["worker"])
    assert result.exit_code == 1
    assert "set queue_url (or AUDIOBRIEF_QUEUE_URL)" in result.output


class OperationalError(Exception):
    """Named as psycopg's is (is_transient once matched driver errors by name)."""


OperationalError.__module__ = "psycopg"


def _driver_said(error: PublishError) -> PublishError:
    """*error* as the catalog's adapter raises it: from the driver's own error."""
    error.__cause__ = OperationalError("password authentication failed")
    return error


@pytest.mark.parametrize(
    ("error", "transient"),
    [
        (ConnectionRefusedError(111, "refused"), True),
        (TimeoutError("the page did not arrive within 30 s"), True),
        (urllib.error.HTTPError("https://example.org/a", 503, "busy", Message(), None), True),
        (urllib.error.HTTPError("https://example.org/a", 429, "slow down", Message(), None), True),
        (urllib.error.HTTPError("https://example.org/a", 404, "gone", Message(), None), False),
        (sqlite3.OperationalError("database is locked"), True),
        (sqlite3.OperationalError("no such table: episodes"), False),
        (ValueError("no Arabic text"), False),
        (urllib.error.URLError(ConnectionRefusedError(111, "refused")), True),
        (urllib.error.URLError(ssl.SSLCertVerificationError("certificate expired")), False),
        (urllib.error.URLError("unknown url type: htp"), False),
        (CatalogUnavailable("the catalog's server is gone; run the command again"), True),
        (PublishError("the output folder is read-only"), False),
        (_driver_said(PublishError("the catalog's server refused the login")), False),
    ],
)
def test_only_failures_that_may_pass_are_retried(error: Exception, transient: bool) -> None:
    from audiobrief.errors import ArticleError

    wrapped = ArticleError("https://example.org/a", "cannot download")
    wrapped.__cause__ = error
    assert is_transient(wrapped) is transient
