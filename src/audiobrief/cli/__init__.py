"""Command line: resolves settings once, calls one pipeline function, echoes one line.

`app` holds the group and what every command shares; the commands live in `publishing`,
`queue` and `tools`, registered on import.
"""

import os

# numpy loads OpenBLAS, whose pool starts a thread per core at import and spins them for
# a while; audiobrief does no linear algebra (its filters use numpy's FFT), so a command
# on two cores spends ~0.07 s of CPU on nothing. Set before any command imports numpy;
# a user's own setting wins.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from audiobrief.cli import publishing, queue, tools
from audiobrief.cli.app import accept_verbosity, cli

__all__ = ["cli", "publishing", "queue", "tools"]

accept_verbosity(cli)  # after every command is registered
