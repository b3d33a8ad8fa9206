"""Command line: the group, its one error boundary, shared options and each run's setup."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from audiobrief import logs
from audiobrief.errors import AudiobriefError


class Group(click.Group):
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
            raise click.ClickException(missing_library(exc)) from exc


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
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
    ctx.obj["tally"] = logs.configure(verbosity=verbosity(ctx.obj), debug=debug)
    ctx.call_on_close(logs.close)


def verbosity(obj: dict[str, Any]) -> int:
    return 1 if obj["verbose"] else -1 if obj["quiet"] else 0


def set_flag(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    """-q and -v after a subcommand mean what they mean before it."""
    root = ctx.find_root()
    if value and root.obj is not None and param.name:
        root.obj[param.name] = True


def json_option(f: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--json",
        "as_json",
        is_flag=True,
        help="Print one JSON object per episode per line (guid, URLs, duration_s, status).",
    )(f)


def out_option(f: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "-o",
        "--output",
        "output_dir",
        default=None,
        type=click.Path(file_okay=False, path_type=Path),
        help="Output folder (default: output/).",
    )(f)


def voice_option(f: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--voice", default=None, help="Voice profile name from voices/.")(f)


def base_url_option(f: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--base-url", default=None, help="Public URL of the output folder.")(f)


def republish_option(f: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--republish", is_flag=True, help="Publish again what 'audiobrief unpublish' removed."
    )(f)


def run_of(obj: dict[str, Any], flags: dict[str, Any]) -> Any:
    """Settings (flag > AUDIOBRIEF_* > file > default), the clock and a progress bar."""
    from audiobrief.config import is_given, load_settings
    from audiobrief.pipeline import Run
    from audiobrief.publish.site_state import SITE_SETTINGS

    settings = load_settings(obj["config"], flags, os.environ)
    if settings.cache_dir is None:
        settings = dataclasses.replace(settings, cache_dir=default_cache())
    # -q/-v may come after the subcommand: the terminal is set up again, the log opened.
    obj["tally"] = logs.configure(verbosity=verbosity(obj), debug=obj["debug"])
    log_file = settings.log_file or logs.default_log_file(os.environ, Path.home())
    logs.open_log(log_file, settings.output_dir, sys.argv[1:], obj["tally"])
    progress = None if obj["quiet"] else progress_bar
    given = frozenset(n for n in SITE_SETTINGS if is_given(n, obj["config"], flags, os.environ))
    now = dt.datetime.now(dt.UTC)
    return Run(settings=settings, now=now, progress=progress, given=given)


def default_cache() -> Path:
    from audiobrief.cache import default_cache_dir

    return default_cache_dir(os.environ.get("XDG_CACHE_HOME"), Path.home())


def progress_bar(label: str, total: int) -> Callable[[int], None]:
    """A progress bar on stderr for long runs; click hides it when stderr is not a terminal."""
    if total < 20 or not sys.stderr.isatty():
        return lambda _n: None
    bar: Any = click.progressbar(length=total, label=label, file=sys.stderr)
    bar.__enter__()
    done = [0]

    def tick(n: int) -> None:
        if done[0] >= total:  # a second loudness pass reads the blocks again: bar stays full
            return
        done[0] += n
        bar.update(n)
        if done[0] >= total:
            bar.__exit__(None, None, None)

    return tick


def accept_verbosity(group: click.Group) -> None:
    """Give every subcommand -q and -v (`audiobrief brief -q` as a cron line writes it)."""
    for command in group.commands.values():
        if isinstance(command, click.Group):
            accept_verbosity(command)
            continue
        command.params += [
            click.Option(
                ["-q", "--quiet"], is_flag=True, expose_value=False, callback=set_flag,
                help="No progress on the terminal (the log keeps everything).",
            ),
            click.Option(
                ["-v", "--verbose"], is_flag=True, expose_value=False, callback=set_flag,
                help="Show each stage as it runs.",
            ),
        ]  # fmt: skip


def missing_library(exc: ImportError) -> str:
    """The one line for a library that is missing or broken: what to pip install."""
    # lxml 5.2 moved its HTML cleaner out to a package of its own
    renamed = {"lxml.html.clean": "lxml_html_clean"}
    package = renamed.get(exc.name or "") or (exc.name or "").split(".")[0] or "audiobrief"
    detail = (str(exc).splitlines() or [""])[0]
    return (
        f"a library audiobrief needs cannot be imported ({detail}); run: "
        f"pip install --upgrade {package}, or reinstall audiobrief."
    )


def summary(episode: Any) -> str:
    sentences = {(c.section, c.sentence) for c in episode.timeline.cues}
    return f"{episode.mp3_path} ({episode.duration_ms / 1000:.0f} s, {len(sentences)} sentences)"
