"""Voice stage's front door: profiles, the voice factory, and rendering a script to audio.

The glue (`pipeline`, `ingest`) imports only the names below; the modules behind them
are `profiles` (voices/NAME.toml), `factory` (front end + engines for a profile),
`render` (one script to encoded audio), `pool` (several articles in worker processes)
and `briefing` (a briefing joined from the articles' encoded audio).
"""

from audiobrief.voice.briefing import render_briefing, render_greeting
from audiobrief.voice.factory import Voice, front_end, open_voice, voice_report
from audiobrief.voice.pool import render_sources
from audiobrief.voice.render import (
    Encoded,
    Progress,
    Rendered,
    cached_encoded,
    episode_key,
    render,
)

__all__ = [
    "Encoded",
    "Progress",
    "Rendered",
    "Voice",
    "cached_encoded",
    "episode_key",
    "front_end",
    "open_voice",
    "render",
    "render_briefing",
    "render_greeting",
    "render_sources",
    "voice_report",
]
