"""Text stage: importing this compiles every pattern of the front end, for a fork server.

Patterns compile on first use (text/lazy.py), so a worker forked from a process that
never used them would compile them itself: about 60 ms per worker. `speak`'s fork server
(voice/pool.py) preloads this module, and each worker starts with them compiled.
"""

from audiobrief.text import diacritize, lexicon, normalize, script  # noqa: F401  (their patterns)
from audiobrief.text.lazy import compile_all

compile_all()
