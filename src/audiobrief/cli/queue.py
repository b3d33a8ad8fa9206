"""Command line: the work queue's commands (worker, jobs) and speak/ingest's enqueue branch."""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import click

from audiobrief.cli.app import cli, run_of
from audiobrief.queue.state import STATES as JOB_STATES


def wait_option(f: Any) -> Any:
    return click.option(
        "--wait",
        is_flag=True,
        help="With queue_url: wait for the jobs, showing each one's progress.",
    )(f)


def job_flags(flags: dict[str, Any]) -> dict[str, Any]:
    """The run's own flags, as a job carries them to a worker (paths made absolute)."""
    given = {k: v for k, v in flags.items() if v is not None}
    if "output_dir" in given:
        given["output_dir"] = str(Path(given["output_dir"]).resolve())
    return given


def enqueue_speak(
    obj: dict[str, Any],
    run: Any,
    flags: dict[str, Any],
    sources: Sequence[str],
    *,
    stdin: bytes | None,
    republish: bool,
    wait: bool,
    as_json: bool,
) -> None:
    """`speak` with queue_url: one job per source, then return (or wait for them)."""
    from audiobrief import queue

    planned = queue.speak_jobs(sources, run, job_flags(flags), stdin=stdin, republish=republish)
    _enqueued(obj, run, queue.enqueue(run.settings.queue_url, planned), wait, as_json)


def enqueue_ingest(
    obj: dict[str, Any],
    run: Any,
    flags: dict[str, Any],
    sources: Sequence[str],
    *,
    since: dt.date | None,
    limit: int | None,
    wait: bool,
    as_json: bool,
) -> None:
    """`ingest` with queue_url: read the feeds here, one job per entry (workers fetch)."""
    from audiobrief import ingest as steps
    from audiobrief import queue

    outcomes: list[Any] = []
    entries = steps.entries(sources, run, since=since, limit=limit, outcomes=outcomes)
    for outcome in outcomes:  # a feed that could not be read
        click.echo(f"Error: {outcome.source}: {outcome.error}", err=True)
    planned = queue.ingest_jobs(entries, run, job_flags(flags))
    if not planned:
        click.echo("nothing new", err=as_json)
    jobs = queue.enqueue(run.settings.queue_url, planned) if planned else []
    _enqueued(obj, run, jobs, wait, as_json, failed=len(outcomes))


def _enqueued(
    obj: dict[str, Any], run: Any, jobs: list[Any], wait: bool, as_json: bool, failed: int = 0
) -> None:
    for job in jobs:
        if as_json:
            click.echo(json.dumps({"job": job.id, "article": job.article, "state": job.state}))
        else:
            click.echo(f"{job.id} {job.state}: {job.article}")
    fresh = sum(j.new for j in jobs)
    same = f" ({len(jobs) - fresh} already there)" if len(jobs) > fresh else ""
    if not obj["quiet"]:
        click.echo(f"{fresh} jobs queued{same}", err=True)
    if wait and jobs:
        failed += _wait(obj, run, [j.id for j in jobs])
    if failed:
        sys.exit(1)


def _wait(obj: dict[str, Any], run: Any, ids: list[str]) -> int:
    """Show each job's progress until all have ended; the number that failed."""
    from audiobrief import queue

    def show(job: Any) -> None:
        if job.state == "failed":
            named = job.error.startswith(f"{job.article}: ")
            click.echo(f"Error: {job.error if named else f'{job.article}: {job.error}'}", err=True)
        elif job.state == "done":
            click.echo(f"{job.id} {job.status}: {job.episode or job.article}")
        elif not obj["quiet"]:
            tries = f" (try {job.tries})" if job.tries > 1 else ""
            click.echo(f"{job.id} {job.state}{tries}: {job.article}", err=True)

    ended = queue.wait(run.settings.queue_url, ids, show)
    return sum(job.state == "failed" for job in ended)


@cli.command()
@click.option(
    "--concurrency",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Jobs this worker runs at once, each in its own process.",
)
@click.option(
    "--visibility-timeout",
    "visibility_timeout_s",
    type=click.IntRange(min=1),
    default=None,
    help="Seconds before a job whose worker vanished goes to another (default 3600).",
)
@click.pass_obj
def worker(obj: dict[str, Any], /, concurrency: int, visibility_timeout_s: int | None) -> None:
    """Render and publish the jobs of the work queue (queue_url) until stopped.

    Start one per machine (or more); each job is one article. SIGTERM or Ctrl-C lets
    the running job finish; a worker killed outright has its job run by another.

    \b
    Example:
        AUDIOBRIEF_QUEUE_URL=redis://10.0.0.5:6379/0 audiobrief worker --concurrency 2
    """
    from audiobrief import queue

    url = _queue_url(obj)

    def make_run(flags: dict[str, Any], now: dt.datetime) -> Any:
        # The job's flags over this worker's own settings file and environment.
        given = {k: Path(v) if k == "output_dir" else v for k, v in flags.items()}
        return replace(run_of(obj, given), now=now, progress=None)

    code = queue.run_worker(
        url, make_run, concurrency=concurrency,
        visibility_timeout_s=visibility_timeout_s, quiet=obj["quiet"],
    )  # fmt: skip
    sys.exit(code)


@cli.group(invoke_without_command=True)
@click.option(
    "--state",
    "states",
    type=click.Choice(JOB_STATES),
    multiple=True,
    help="Only jobs in this state (repeat for several).",
)
@click.pass_context
def jobs(ctx: click.Context, states: tuple[str, ...]) -> None:
    """List the work queue's jobs, newest first: queued, running, done (recent), failed.

    \b
    Example:
        audiobrief jobs --state failed
    """
    if ctx.invoked_subcommand is not None:
        return
    from audiobrief import queue

    url = _queue_url(ctx.obj)
    listed = queue.list_jobs(url, states or JOB_STATES)
    if not listed:
        click.echo("no jobs", err=True)
    for job in listed:
        when = dt.datetime.fromtimestamp(job.updated, dt.UTC).strftime("%Y-%m-%d %H:%M:%S")
        error = f"  {job.error}" if job.error else ""
        click.echo(f"{job.id}  {job.state:<8}  tries {job.tries}  {when}  {job.article}{error}")


@jobs.command()
@click.argument("job_id")
@click.pass_obj
def retry(obj: dict[str, Any], /, job_id: str) -> None:
    """Queue a failed job again (after fixing what made it fail).

    \b
    Example:
        audiobrief jobs retry 3f2a9c0d1e4b5a6f
    """
    from audiobrief import queue

    job = queue.retry(_queue_url(obj), job_id)
    click.echo(f"{job.id} queued: {job.article}")


def _queue_url(obj: dict[str, Any]) -> str:
    from audiobrief.errors import AudiobriefError

    url: str = run_of(obj, {}).settings.queue_url
    if not url:
        raise AudiobriefError(
            "no work queue: set queue_url (or AUDIOBRIEF_QUEUE_URL), e.g. redis://127.0.0.1:6379/0."
        )
    return url
