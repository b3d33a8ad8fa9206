"""Text stage: split an Article into sentences and make each speakable (a Script).

The front door: what the pipeline may call. Everything else here is the stage's own.
"""

import functools
import hashlib
from pathlib import Path

from audiobrief.text.briefing import (
    briefing_title,
    build_briefing,
    dated_title,
    shortened,
    spoken_opening,
)
from audiobrief.text.script import build_script


@functools.cache
@functools.cache
def front_end_code() -> str:
    """sha256 of the text stage's source: a new version may say a sentence otherwise."""
    code = hashlib.sha256()
    for path in sorted(Path(__file__).parent.glob("*.py")):
        code.update(path.name.encode("utf-8") + b"\0" + path.read_bytes())
    return code.hexdigest()


__all__ = [
    "briefing_title",
    "build_briefing",
    "build_script",
    "dated_title",
    "front_end_code",
    "shortened",
    "spoken_opening",
]
