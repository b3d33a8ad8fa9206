"""What a run tells its caller: one JSON object per episode, and the exit summary."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from audiobrief.model import Episode

if TYPE_CHECKING:
    from audiobrief.logs import Tally
    from audiobrief.pipeline import Outcome

SPOKEN = ("new", "updated")
_ORDER = ("new", "updated", "unchanged", "not modified", "unpublished", "failed")


def episode_json(
    episode: Episode | None,
    output_dir: Path,
    *,
    status: str,
    source: str | None = None,
    error: str | None = None,
) -> str:
    """One line of JSON a CMS can store: the episode's URLs, its length and what happened."""
    row: dict[str, Any] = dict.fromkeys(
        ("guid", "title", "date", "mp3_url", "page_url", "embed_url", "duration_s")
    )
    if episode is not None:
        base = episode.base_url
        page = next((f for f in episode.files if f.suffix == ".html"), None)
        row.update(
            guid=episode.info.guid,
            title=episode.info.title,
            date=episode.info.date.isoformat(),
            mp3_url=base + _url_path(episode.mp3_path, output_dir),
            duration_s=round(episode.duration_ms / 1000, 1),
        )
        if page is not None:
            row["page_url"] = base + _url_path(page, output_dir)
        if page is not None and episode.info.kind == "article":
            # Articles have an embeddable player page, next to the episode page.
            row["embed_url"] = base + _url_path(page.with_suffix(".embed.html"), output_dir)
    row.update(status=status, error=error)
    if source is not None:
        row["source"] = source
    return json.dumps(row, ensure_ascii=False)


def outcome_json(outcome: Outcome, output_dir: Path) -> str:
    error = None if outcome.error is None else str(outcome.error)
    return episode_json(
        outcome.episode, output_dir, status=outcome.state, source=outcome.source, error=error
    )


def summary(outcomes: Sequence[Outcome], tally: Tally | None) -> str:
    """`2 new, 1 updated, 5 not modified, 1 failed; 2 warnings (see LOG)`."""
    counts = Counter(o.state for o in outcomes)
    parts = [f"{counts[state]} {state}" for state in _ORDER if counts[state]]
    parts += [f"{n} {state}" for state, n in counts.items() if state not in _ORDER]
    line = ", ".join(parts) or "no entries"
    return line + warnings_note(tally)


def worth_telling(outcomes: Sequence[Outcome], tally: Tally | None) -> bool:
    """Something failed, was skipped, was spoken again, or warned."""
    noted = ("failed", "updated", "unpublished")
    return any(o.state in noted for o in outcomes) or bool(tally and tally.messages)


def warnings_note(tally: Tally | None) -> str:
    """`; 2 warnings: ... (see LOG)`, or "" when the run had none."""
    if tally is None or not tally.messages:
        return ""
    count = len(tally.messages)
    first = tally.messages[0].splitlines()[0]
    shown = first if len(first) <= 120 else first[:119] + "…"
    where = f" (see {tally.log_file})" if tally.log_file else ""
    return f"; {count} warning{'s' * (count > 1)}, first: {shown}{where}"


def _url_path(path: Path, output_dir: Path) -> str:
    try:
        relative = path.resolve().relative_to(output_dir.resolve()).as_posix()
    except ValueError:
        relative = path.name
    return quote(relative)
