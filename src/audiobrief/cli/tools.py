"""Command line: the tools around publishing (say, voices, cache, serve, init)."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path
from typing import Any

import click

from audiobrief.cli.app import cli, default_cache, out_option, run_of, voice_option
from audiobrief.errors import ConfigError


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
@voice_option
@click.pass_obj
def say(obj: dict[str, Any], text: str, show: bool, output_file: Path, voice: str | None) -> None:
    """Check how TEXT is pronounced: print what the voice receives, or speak it to an MP3.

    Put -- before a TEXT that starts with a minus sign: audiobrief say --show -- "-5 درجات"

    \b
    Example:
        audiobrief say "يوم 25 شتنبر 2023" --show
    """
    from audiobrief import pipeline

    run = run_of(obj, {"voice": voice})
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
    from audiobrief.voice.factory import voice_report

    settings = run_of(obj, {}).settings
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
    """Inspect or empty the cache (clips, episodes, diacritized sentences)."""


@cache.command("info")
@click.pass_obj
def cache_info(obj: dict[str, Any]) -> None:
    """Show where the cache is, what it holds and its size on disk against the limit."""
    from audiobrief.cache import Cache

    settings = run_of(obj, {}).settings
    found = Cache(settings.cache_dir or default_cache()).info()
    held = ", ".join(f"{found.entries.get(kind, 0)} {kind}" for kind in KINDS)
    size = found.size_bytes
    click.echo(
        f"{found.path}: {held}; {size / 1e6:.1f} MB ({size} bytes) of the limit, "
        f"{settings.cache_max_mb} MiB"
    )
    click.echo(f"shared tier: {settings.cache_url or 'none (cache_url is not set)'}")


@cache.command("clear")
@click.pass_obj
def cache_clear(obj: dict[str, Any]) -> None:
    """Delete every cached clip, episode and diacritized sentence in the local folder.

    The shared tier (cache_url) is left as it is: other machines use it.
    """
    from audiobrief.cache import Cache

    settings = run_of(obj, {}).settings
    removed = Cache(settings.cache_dir or default_cache()).clear()
    kept = f"; the shared tier {settings.cache_url} is untouched" if settings.cache_url else ""
    click.echo(f"removed {removed} entries from the local folder{kept}")


KINDS = ("clips", "episodes", "marks", "templates", "patterns", "models")
"""What `cache info` names, in this order, even when there are none of a kind."""


@cli.command()
@out_option
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

    folder = run_of(obj, {"output_dir": output_dir}).settings.output_dir
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
