"""Text stage: split an Article into sentences and make each speakable (a Script).

The front door: what the pipeline may call. Everything else here is the stage's own.
"""

from audiobrief.text.briefing import (
    briefing_title,
    build_briefing,
    dated_title,
    shortened,
    spoken_opening,
)
from audiobrief.text.script import build_script

__all__ = [
    "briefing_title",
    "build_briefing",
    "build_script",
    "dated_title",
    "shortened",
    "spoken_opening",
]
