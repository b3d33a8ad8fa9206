"""Where a run's messages go: the terminal by verbosity, the log file always (for cli)."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Mapping
from pathlib import Path

from audiobrief.errors import ConfigError

_TAG = "_audiobrief"  # marks the handlers this module installed, to replace them per run
_FILE_ONLY = "file_only"
_TERMINAL_FORMAT = "%(levelname)s: %(message)s"
_FILE_FORMAT = "%(asctime)s %(process)d %(levelname)s %(name)s: %(message)s"


class Tally(logging.Handler):
    """Counts the run's warnings, for the exit summary: nothing that went wrong is silent."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []
        self.log_file: Path | None = None

    def emit(self, record: logging.LogRecord) -> None:
        if not getattr(record, _FILE_ONLY, False):
            self.messages.append(record.getMessage())


def default_log_file(environ: Mapping[str, str], home: Path) -> Path:
    """`$XDG_STATE_HOME/audiobrief/audiobrief.log`, else under `~/.local/state`."""
    state = environ.get("XDG_STATE_HOME") or str(home / ".local" / "state")
    return Path(state) / "audiobrief" / "audiobrief.log"


def configure(*, verbosity: int, debug: bool) -> Tally:
    """The terminal: warnings and errors; -v adds each stage, --debug everything.

    *verbosity* is -1 for -q, which only hides progress: warnings still show.
    """
    _remove()
    root, ours = logging.getLogger(), logging.getLogger("audiobrief")
    terminal = logging.StreamHandler(sys.stderr)
    terminal.setLevel(
        logging.DEBUG if debug else logging.INFO if verbosity > 0 else logging.WARNING
    )
    terminal.setFormatter(logging.Formatter(_TERMINAL_FORMAT))
    terminal.addFilter(lambda record: not getattr(record, _FILE_ONLY, False))
    tally = Tally()
    for handler in (terminal, tally):
        setattr(handler, _TAG, True)
        root.addHandler(handler)
    # Libraries (trafilatura, htmldate) log what audiobrief then reports as one Error line;
    # their records show with --debug only.
    root.setLevel(logging.DEBUG if debug else logging.CRITICAL + 1)
    ours.setLevel(logging.DEBUG if debug else logging.INFO)
    return tally


def open_log(path: Path, output_dir: Path, argv: list[str], tally: Tally) -> None:
    """Append this run's records (info and up, warnings and errors always) to *path*.

    Raises:
        ConfigError: *path* is inside the published folder, or cannot be written.
    """
    if path.resolve().is_relative_to(output_dir.resolve()):
        raise ConfigError(
            f"log_file {path} is inside the published folder {output_dir}; the log "
            "names files and errors that are not for the public: set log_file elsewhere."
        )
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.FileHandler(path, encoding="utf-8", delay=False)
    except OSError as exc:
        raise ConfigError(
            f"cannot write the log file {path} ({exc.strerror or exc}); set log_file to a "
            "writable path."
        ) from exc
    handler.setLevel(logging.INFO)
    handler.setFormatter(logging.Formatter(_FILE_FORMAT))
    setattr(handler, _TAG, True)
    logging.getLogger().addHandler(handler)
    tally.log_file = path
    logging.getLogger("audiobrief").info(
        "run: audiobrief %s (cwd %s)", " ".join(argv), os.getcwd(), extra={_FILE_ONLY: True}
    )


def file_only(message: str, *, level: int = logging.ERROR) -> None:
    """Write *message* to the log file only (the terminal shows it its own way)."""
    logging.getLogger("audiobrief").log(level, "%s", message, extra={_FILE_ONLY: True})


def close() -> None:
    """Flush and close the log file at the end of a command."""
    _remove()


def _remove() -> None:
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, _TAG, False):
            root.removeHandler(handler)
            handler.close()
