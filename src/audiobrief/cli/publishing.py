"""Command line: the commands that publish (speak, ingest, brief, feed, unpublish, move)."""

from __future__ import annotations

import datetime as dt
import sys
from typing import Any

import click

from audiobrief import logs, report
from audiobrief.cli.app import (
    base_url_option,
    cli,
    json_option,
    out_option,
    republish_option,
    run_of,
    summary,
    voice_option,
)
from audiobrief.cli.queue import enqueue_ingest, enqueue_speak, wait_option
from audiobrief.errors import AudiobriefError


@cli.command()
@click.argument("sources", nargs=-1, required=True)
@out_option
@voice_option
@base_url_option
@click.option("--fail-fast", is_flag=True, help="Publish nothing if any source fails.")
@republish_option
@json_option
@wait_option
@click.pass_obj
def speak(
    obj: dict[str, Any],
    /,
    sources: tuple[str, ...],
    fail_fast: bool,
    republish: bool,
    as_json: bool,
    wait: bool,
    **flags: Any,
) -> None:
    """Speak each SOURCE (.txt, .html, .md, URL, or - for stdin) as an article episode.

    Each source is published on its own: one that fails is reported and the others
    still publish (exit status 1 if any failed). With queue_url set, each source is a
    job for `audiobrief worker` and speak returns (--wait waits for them).

    \b
    Example:
        audiobrief speak article.txt -o output
    """
    from audiobrief import pipeline

    stdin = sys.stdin.buffer.read() if "-" in sources else None
    run = run_of(obj, flags)
    if run.settings.queue_url:
        if fail_fast:  # all-or-nothing needs the whole batch in one process
            raise click.UsageError("--fail-fast does not go with queue_url: jobs publish alone.")
        return enqueue_speak(
            obj, run, flags, sources, stdin=stdin, republish=republish, wait=wait, as_json=as_json
        )
    outcomes = pipeline.speak_each(
        sources, run, stdin=stdin, fail_fast=fail_fast, republish=republish
    )
    failed = _echo_outcomes(outcomes, run, as_json=as_json)
    note = report.warnings_note(obj["tally"])
    if len(outcomes) > 1 or note:
        updated = sum(o.state == "updated" for o in outcomes)
        again = f" ({updated} updated)" if updated else ""
        click.echo(f"{len(outcomes) - failed} spoken{again}, {failed} failed{note}", err=True)
    if failed:
        sys.exit(1)


@cli.command()
@click.argument("sources", nargs=-1, required=True)
@click.option(
    "--since",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Only entries published on or after this day, YYYY-MM-DD.",
)
@click.option(
    "--limit", type=click.IntRange(min=1), default=None, help="Only the N newest entries."
)
@click.option("--dry-run", is_flag=True, help="List what would be spoken; download nothing.")
@out_option
@voice_option
@base_url_option
@json_option
@wait_option
@click.pass_obj
def ingest(
    obj: dict[str, Any],
    /,
    sources: tuple[str, ...],
    since: dt.datetime | None,
    limit: int | None,
    dry_run: bool,
    as_json: bool,
    wait: bool,
    **flags: Any,
) -> None:
    """Speak every new or changed article of the site's feeds or sitemaps (SOURCE: URL or file).

    Each page is downloaded only if changed and spoken only if its text changed (same
    guid); a run with nothing new says "nothing new". Unpublished articles never return.

    \b
    Example (cron, every 15 minutes):
        audiobrief ingest -q https://news.example.org/feed/ -o /srv/audio
    """
    from audiobrief import pipeline

    run = run_of(obj, flags)
    day = since.date() if since else None
    if run.settings.queue_url and not dry_run:
        return enqueue_ingest(
            obj, run, flags, sources, since=day, limit=limit, wait=wait, as_json=as_json
        )
    outcomes = pipeline.ingest(sources, run, since=day, limit=limit, dry_run=dry_run)
    if dry_run:
        for outcome in outcomes:
            click.echo(f"{outcome.state}: {outcome.source}")
        return
    failed = _echo_outcomes(outcomes, run, as_json=as_json, spoken_only=True)
    if not any(o.state in (*report.SPOKEN, "failed") for o in outcomes):
        click.echo("nothing new", err=as_json)
    # Under -q (cron, which mails stderr) the summary comes only when it needs a reader.
    if not obj["quiet"] or report.worth_telling(outcomes, obj["tally"]):
        click.echo(report.summary(outcomes, obj["tally"]), err=True)
    if failed:
        sys.exit(1)


def _echo_outcomes(
    outcomes: list[Any], run: Any, *, as_json: bool, spoken_only: bool = False
) -> int:
    """Each outcome's line (or JSON object) on stdout, each failure's Error line on stderr."""
    failed = 0
    out = run.settings.output_dir
    for outcome in outcomes:
        if as_json and (outcome.error is not None or outcome.episode is not None):
            click.echo(report.outcome_json(outcome, out))
        if outcome.episode is not None:
            if not as_json and not (spoken_only and outcome.state not in report.SPOKEN):
                click.echo(summary(outcome.episode))
        elif outcome.error is not None:
            failed += 1
            message = str(outcome.error)
            named = message.startswith(f"{outcome.source}: ")
            line = f"Error: {message if named else f'{outcome.source}: {message}'}"
            logs.file_only(line)
            click.echo(line, err=True)
    return failed


@cli.command()
@click.argument("sources", nargs=-1)
@click.option(
    "--date",
    "day",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Day to brief, YYYY-MM-DD (default: today in the configured time zone).",
)
@out_option
@voice_option
@base_url_option
@republish_option
@json_option
@click.pass_obj
def brief(
    obj: dict[str, Any],
    /,
    sources: tuple[str, ...],
    day: dt.datetime | None,
    republish: bool,
    as_json: bool,
    **flags: Any,
) -> None:
    """Build the daily briefing from the day's articles (or the SOURCES given).

    \b
    Example:
        audiobrief brief --date 2026-11-28
    """
    from audiobrief import pipeline

    run = run_of(obj, flags)
    day_ = day.date() if day else run.today
    try:
        episode = pipeline.brief(run, day=day_, sources=sources, republish=republish)
    except AudiobriefError as exc:
        if as_json:  # the caller reads stdout: a line for the failure too
            click.echo(
                report.episode_json(None, run.settings.output_dir, status="failed", error=str(exc))
            )
        raise
    if as_json:
        out = run.settings.output_dir
        click.echo(report.episode_json(episode, out, status=episode.status))
    else:
        click.echo(summary(episode))
    if note := report.warnings_note(obj["tally"]):
        click.echo(f"briefing {episode.status}{note}", err=True)


@cli.command()
@out_option
@base_url_option
@click.option(
    "--rebuild",
    is_flag=True,
    help="Render every episode and archive page too, not only the feeds and the index.",
)
@click.option("--prune-files", is_flag=True, hidden=True)
@click.pass_obj
def feed(obj: dict[str, Any], /, rebuild: bool, prune_files: bool, **flags: Any) -> None:
    """Re-render feed.xml, articles.xml and the home page from the catalog.

    Each publish renders only what it changed; --rebuild renders every page, e.g. after
    editing the templates.

    \b
    Example:
        audiobrief feed --rebuild --base-url https://news.example.org/audio/
    """
    from audiobrief import pipeline

    if prune_files:  # older cron lines: the archive pages link every episode now
        click.echo(
            "warning: --prune-files deletes nothing any more: the archive pages still link "
            "the episodes past feed_keep. To delete an episode's files, unpublish it.",
            err=True,
        )
    written = pipeline.refresh(run_of(obj, flags), rebuild=rebuild)
    click.echo(f"wrote {len(written)} files")


@cli.command()
@click.argument("refs", nargs=-1, required=True)
@out_option
@click.option("--keep-files", is_flag=True, help="Leave the MP3 and side files on disk.")
@click.pass_obj
def unpublish(
    obj: dict[str, Any], /, refs: tuple[str, ...], keep_files: bool, **flags: Any
) -> None:
    """Remove episodes from both feeds and the pages, for good.

    REF is an episode's guid, its article's URL, the source file it was spoken from,
    or its MP3 (path or URL). Later runs never bring it back, unless given --republish.

    \b
    Example:
        audiobrief unpublish output/2026/11/28/articles/weather.mp3
    """
    from audiobrief import pipeline

    for record in pipeline.unpublish(refs, run_of(obj, flags), keep_files=keep_files):
        click.echo(f"unpublished {record.guid}: {record.title}")


@cli.command()
@click.option("--base-url", required=True, help="The output folder's new public URL.")
@out_option
@click.pass_obj
def move(obj: dict[str, Any], /, **flags: Any) -> None:
    """Publish the site at a new address: rewrite every URL in the feeds and pages.

    The feeds tell podcast apps the new address (itunes:new-feed-url); keep serving
    the old address (or redirect it) for a few weeks so every app follows.

    \b
    Example:
        audiobrief move --base-url https://news.example.org/audio/
    """
    from audiobrief import pipeline

    written = pipeline.move(run_of(obj, flags))
    click.echo(f"moved to {flags['base_url']}; wrote {len(written)} files")
