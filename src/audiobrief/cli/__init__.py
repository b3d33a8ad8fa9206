"""Command line: resolves settings once, calls one pipeline function, echoes one line.

`app` holds the group and what every command shares; the commands live in `publishing`,
`queue` and `tools`, registered on import.
"""

from audiobrief.cli import publishing, queue, tools
from audiobrief.cli.app import accept_verbosity, cli

__all__ = ["cli", "publishing", "queue", "tools"]

accept_verbosity(cli)  # after every command is registered
