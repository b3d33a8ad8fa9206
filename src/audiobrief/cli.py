"""Command line: resolves settings once, calls one pipeline function, echoes one line."""

from __future__ import annotations

import datetime as dt
import os
import sys
from collections.abc import Callable
from importlib.resources import files
from pathlib import Path
from typing import Any

import click

from audiobrief import logs, report
from audiobrief.errors import AudiobriefError, ConfigError


class _Group(click.Group):
    """The one error boundary: AudiobriefError becomes "Error: ..." and exit 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except AudiobriefError as exc:
            logs.file_only(f"Error: {exc}")
            if ctx.meta.get("audiobrief.debug"):
                raise
            raise click.ClickException(str(exc)) from exc
        except ImportError as exc:  # a broken install: name what to install, no traceback
            if ctx.meta.get("audiobrief.debug"):
                raise
            raise click.ClickException(_missing(exc)) from exc


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "config_path",
    default="audiobrief.toml",
    envvar="AUDIOBRIEF_CONFIG",
    type=click.Path(dir_okay=False, path_type=Path),
    show_default=True,
    help="Settings file (missing is fine: defaults apply).",
)
@click.option("--debug", is_flag=True, help="Show tracebacks and debug logging.")
@click.option(
    "-q", "--quiet", is_flag=True, help="No progress on the terminal (the log keeps everything)."
)
@click.option("-v", "--verbose", is_flag=True, help="Show each stage as it runs.")
@click.version_option(package_name="audiobrief")
@click.pass_context
def cli(ctx: click.Context, config_path: Path, debug: bool, quiet: bool, verbose: bool) -> None:
    """Turn Arabic news articles into spoken MP3 episodes, a podcast feed and a web page.

    Every run appends to a log file (setting log_file; default
    ~/.local/state/audiobrief/audiobrief.log), warnings and errors included.
    """
    ctx.meta["audiobrief.debug"] = debug
    ctx.obj = {"config": config_path, "quiet": quiet, "verbose": verbose, "debug": debug}
    ctx.obj["tally"] = logs.configure(verbosity=_verbosity(ctx.obj), debug=debug)
    ctx.call_on_close(logs.close)


def _verbosity(obj: dict[str, Any]) -> int:
    return 1 if obj["verbose"] else -1 if obj["quiet"] else 0


def _set_flag(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    """-q and -v after a subcommand mean what they mean before it."""
    root = ctx.find_root()
    if value and root.obj is not None and param.name:
        root.obj[param.name] = True


def _json_option(f: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--json",
        "as_json",
        is_flag=True,
        help="Print one JSON object per episode per line (guid, URLs, duration_s, status).",
    )(f)


def _out_option(f: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "-o",
        "--output",
        "output_dir",
        default=None,
        type=click.Path(file_okay=False, path_type=Path),
        help="Output folder (default: output/).",
    )(f)


def _voice_option(f: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--voice", default=None, help="Voice profile name from voices/.")(f)


def _base_url_option(f: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--base-url", default=None, help="Public URL of the output folder.")(f)


def _republish_option(f: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--republish", is_flag=True, help="Publish again what 'audiobrief unpublish' removed."
    )(f)


@cli.command()
@click.argument("sources", nargs=-1, required=True)
@_out_option
@_voice_option
@_base_url_option
@click.option("--fail-fast", is_flag=True, help="Publish nothing if any source fails.")
@_republish_option
@_json_option
@click.pass_obj
def speak(
    obj: dict[str, Any],
    /,
    sources: tuple[str, ...],
    fail_fast: bool,
    republish: bool,
    as_json: bool,
    **flags: Any,
) -> None:
    """Speak each SOURCE (.txt, .html, .md, URL, or - for stdin) as an article episode.

    Each source is published on its own: one that fails is reported and the others
    still publish (exit status 1 if any failed).

    \b
    Example:
        audiobrief speak article.txt -o output
    """
    from audiobrief import pipeline

    stdin = sys.stdin.buffer.read() if "-" in sources else None
    run = _run(obj, flags)
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
@_out_option
@_voice_option
@_base_url_option
@_json_option
@click.pass_obj
def ingest(
    obj: dict[str, Any],
    /,
    sources: tuple[str, ...],
    since: dt.datetime | None,
    limit: int | None,
    dry_run: bool,
    as_json: bool,
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

    run = _run(obj, flags)
    day = since.date() if since else None
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
                click.echo(_summary(outcome.episode))
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
@_out_option
@_voice_option
@_base_url_option
@_republish_option
@_json_option
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

    run = _run(obj, flags)
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
        click.echo(_summary(episode))
    if note := report.warnings_note(obj["tally"]):
        click.echo(f"briefing {episode.status}{note}", err=True)


@cli.command()
@click.argument("text")
@click.option("--show", is_flag=True, help="Print the spoken and diacritized forms; no audio.")
@click.option(
    "-o",
    "--output",
    "output_file",
    default="say.mp3",
    show_default=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="MP3 file to write.",
)
@_voice_option
@click.pass_obj
def say(obj: dict[str, Any], text: str, show: bool, output_file: Path, voice: str | None) -> None:
    """Check how TEXT is pronounced: print what the voice receives, or speak it to an MP3.

    Put -- before a TEXT that starts with a minus sign: audiobrief say --show -- "-5 درجات"

    \b
    Example:
        audiobrief say "يوم 25 شتنبر 2023" --show
    """
    from audiobrief import pipeline

    run = _run(obj, {"voice": voice})
    if show:
        spoken, received = pipeline.say_forms(text, run)
        click.echo(spoken)
        click.echo(received)
    else:
        path, duration_ms = pipeline.say(text, run, output_file)
        click.echo(f"{path} ({duration_ms / 1000:.1f} s)")


@cli.command()
@click.pass_obj
def voices(obj: dict[str, Any]) -> None:
    """List the voice profiles and whether each can run on this machine.

    \b
    Example:
        audiobrief voices
    """
    from audiobrief.voice import voice_report

    settings = _run(obj, {}).settings
    rows = voice_report(settings)
    if not rows:
        raise ConfigError(
            f"no voice profiles in {settings.voices_dir}; run audiobrief where its voices/ "
            "folder is, or set voices_dir."
        )
    for profile, reason in rows:
        name = profile if isinstance(profile, str) else profile.name
        default = " (default)" if name == settings.voice else ""
        what = "" if isinstance(profile, str) else f" [{profile.engine}] {profile.description}"
        state = "ready" if reason is None else f"unavailable: {reason}"
        click.echo(f"{name}{default}{what}\n    {state}")


@cli.group()
def cache() -> None:
    """Inspect or empty the synthesis cache."""


@cache.command("info")
@click.pass_obj
def cache_info(obj: dict[str, Any]) -> None:
    """Show where the cache is and how big it is."""
    from audiobrief.engines.cache import cache_info as info

    settings = _run(obj, {}).settings
    found = info(settings.cache_dir or _default_cache())
    click.echo(f"{found.path}: {found.entries} clips, {found.size_bytes / 1e6:.1f} MB")


@cache.command("clear")
@click.pass_obj
def cache_clear(obj: dict[str, Any]) -> None:
    """Delete every cached clip, episode and diacritized sentence."""
    from audiobrief.audio import episode_cache
    from audiobrief.engines.cache import clear_cache
    from audiobrief.text.diacritize_cache import clear as clear_marks

    settings = _run(obj, {}).settings
    folder = settings.cache_dir or _default_cache()
    removed, episodes = clear_cache(folder), episode_cache.clear(folder)
    clear_marks(folder)
    click.echo(f"removed {removed} clips and {episodes} episodes")


@cli.command()
@_out_option
@_base_url_option
@click.option(
    "--prune-files",
    is_flag=True,
    help="Delete the audio and side files of episodes past feed_keep.",
)
@click.pass_obj
def feed(obj: dict[str, Any], /, prune_files: bool, **flags: Any) -> None:
    """Re-render feed.xml, articles.xml and the web pages from the catalog.

    \b
    Example:
        audiobrief feed --base-url https://news.example.org/audio/
    """
    from audiobrief import pipeline

    written = pipeline.refresh(_run(obj, flags), prune_files=prune_files)
    click.echo(f"wrote {len(written)} files")


@cli.command()
@click.argument("refs", nargs=-1, required=True)
@_out_option
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

    for record in pipeline.unpublish(refs, _run(obj, flags), keep_files=keep_files):
        click.echo(f"unpublished {record.guid}: {record.title}")


@cli.command()
@click.option("--base-url", required=True, help="The output folder's new public URL.")
@_out_option
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

    written = pipeline.move(_run(obj, flags))
    click.echo(f"moved to {flags['base_url']}; wrote {len(written)} files")


@cli.command()
@_out_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@click.pass_obj
def serve(obj: dict[str, Any], host: str, port: int, output_dir: Path | None) -> None:
    """Serve the output folder with HTTP Range support, for podcast apps and browsers.

    \b
    Example:
        audiobrief serve --port 8000
    """
    from audiobrief.publish.serve import make_server

    folder = _run(obj, {"output_dir": output_dir}).settings.output_dir
    server = make_server(folder, host, port)
    click.echo(f"serving {folder} at http://{host}:{server.server_address[1]}/ (Ctrl+C stops)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


@cli.command()
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
@click.pass_obj
def init(obj: dict[str, Any], force: bool) -> None:
    """Write a commented starter audiobrief.toml (at --config's path).

    \b
    Example:
        audiobrief init
    """
    path: Path = obj["config"]
    if path.exists() and not force:
        raise ConfigError(f"{path} exists; edit it, or pass --force to replace it.")
    path.write_text(
        files("audiobrief.assets").joinpath("audiobrief.toml").read_text("utf-8"), encoding="utf-8"
    )
    click.echo(f"wrote {path}")


def _run(obj: dict[str, Any], flags: dict[str, Any]) -> Any:
    """Settings (flag > AUDIOBRIEF_* > file > default), the clock and a progress bar."""
    from audiobrief.config import is_given, load_settings
    from audiobrief.pipeline import Run

    settings = load_settings(obj["config"], flags, os.environ)
    if settings.cache_dir is None:
        settings = type(settings)(**{**settings.__dict__, "cache_dir": _default_cache()})
    # -q/-v may come after the subcommand: the terminal is set up again, the log opened.
    obj["tally"] = logs.configure(verbosity=_verbosity(obj), debug=obj["debug"])
    log_file = settings.log_file or logs.default_log_file(os.environ, Path.home())
    logs.open_log(log_file, settings.output_dir, sys.argv[1:], obj["tally"])
    progress = None if obj["quiet"] else _progress
    given = is_given("base_url", obj["config"], flags, os.environ)
    now = dt.datetime.now(dt.UTC)
    return Run(settings=settings, now=now, progress=progress, base_url_given=given)


def _default_cache() -> Path:
    from audiobrief.engines.cache import default_cache_dir

    return default_cache_dir(os.environ.get("XDG_CACHE_HOME"), Path.home())


def _progress(label: str, total: int) -> Callable[[int], None]:
    """A progress bar on stderr for long runs; click hides it when stderr is not a terminal."""
    if total < 20 or not sys.stderr.isatty():
        return lambda _n: None
    bar: Any = click.progressbar(length=total, label=label, file=sys.stderr)
    bar.__enter__()
    done = [0]

    def tick(n: int) -> None:
        done[0] += n
        bar.update(n)
        if done[0] >= total:
            bar.__exit__(None, None, None)

    return tick


def _accept_verbosity(group: click.Group) -> None:
    """Give every subcommand -q and -v (`audiobrief brief -q` as a cron line writes it)."""
    for command in group.commands.values():
        if isinstance(command, click.Group):
            _accept_verbosity(command)
            continue
        command.params += [
            click.Option(
                ["-q", "--quiet"], is_flag=True, expose_value=False, callback=_set_flag,
                help="No progress on the terminal (the log keeps everything).",
            ),
            click.Option(
                ["-v", "--verbose"], is_flag=True, expose_value=False, callback=_set_flag,
                help="Show each stage as it runs.",
            ),
        ]  # fmt: skip


def _missing(exc: ImportError) -> str:
    """The one line for a library that is missing or broken: what to pip install."""
    # lxml 5.2 moved its HTML cleaner out to a package of its own
    renamed = {"lxml.html.clean": "lxml_html_clean"}
    package = renamed.get(exc.name or "") or (exc.name or "").split(".")[0] or "audiobrief"
    detail = (str(exc).splitlines() or [""])[0]
    return (
        f"a library audiobrief needs cannot be imported ({detail}); run: "
        f"pip install --upgrade {package}, or reinstall audiobrief."
    )


def _summary(episode: Any) -> str:
    sentences = {(c.section, c.sentence) for c in episode.timeline.cues}
    return f"{episode.mp3_path} ({episode.duration_ms / 1000:.0f} s, {len(sentences)} sentences)"


_accept_verbosity(cli)
