"""Publish stage: WebVTT and SRT captions and the plain transcript, all views of one Timeline."""

from __future__ import annotations

import itertools
import logging
import re
import unicodedata
from collections.abc import Iterator

from audiobrief.model import Script, Segment, Timeline

logger = logging.getLogger(__name__)

VTT_LINE_CHARS = 65
"""Apple's WebVTT ingest guideline: at most 65 characters a line."""
SRT_LINE_CHARS = 32
"""The podcast namespace's transcript guide asks SRT for at most 2 lines of 32 characters.

Stricter than the 42 of broadcast subtitles, but our SRT exists for podcast:transcript, so
its own consumers' rule wins; an Arabic line of 32 characters still holds 5-6 words.
"""
MAX_LINES = 2
"""Lines per caption cue, in both formats; longer text becomes more cues."""

_RTL_LANGUAGES = frozenset({"ar", "fa", "he", "ur", "ps", "yi", "dv", "ckb"})
_RLM = "\u200f"
_LONG_ARROW = re.compile(r"-{2,}>")
# Alone between spaces, an opening mark belongs to the next word and any other mark
# to the previous one, so no line starts with "،" or ":" or ends with "«".
_OPENING = frozenset({"Ps", "Pi"})

_Block = tuple[int, int, list[str]]  # start_ms, end_ms, lines


def webvtt(timeline: Timeline) -> str:
    """Captions as WebVTT: the written text, at most 2 lines of 65 characters a cue."""
    parts = [
        "WEBVTT",
        "NOTE\nCaptions show the text as the article printed it, timed from the audio.",
    ]
    for start_ms, end_ms, lines in _blocks(timeline, VTT_LINE_CHARS):
        text = "\n".join(_escape_vtt(line) for line in lines)
        parts.append(f"{_timestamp(start_ms, '.')} --> {_timestamp(end_ms, '.')}\n{text}")
    return "\n\n".join(parts) + "\n"


def srt(timeline: Timeline) -> str:
    """Captions as SRT: numbered from 1, at most 2 lines of 32 characters a cue."""
    parts = []
    for number, (start_ms, end_ms, lines) in enumerate(_blocks(timeline, SRT_LINE_CHARS), 1):
        # SRT has no escaping; an arrow inside the text would read as a timing line. Every
        # run of dashes before ">" shrinks at once: "--->" with "-->" replaced is "-->" again.
        text = "\n".join(_LONG_ARROW.sub("->", line) for line in lines)
        parts.append(f"{number}\n{_timestamp(start_ms, ',')} --> {_timestamp(end_ms, ',')}\n{text}")
    return "\n\n".join(parts) + "\n" if parts else ""


def plain_transcript(script: Script) -> str:
    """The episode as text: each section's title on its own line, then its paragraphs.

    Paragraphs join the written text of their segments, i.e. what the article printed.
    A heading segment (paragraph 0) that only repeats the section title is not repeated.
    """
    blocks: list[str] = []
    for section in script.sections:
        title = " ".join(section.title.split())
        if title:
            blocks.append(title)
        for paragraph, segments in itertools.groupby(section.segments, _paragraph_of):
            text = " ".join(word for segment in segments for word in segment.written.split())
            if text and not (paragraph == 0 and text == title):
                blocks.append(text)
    return "\n\n".join(blocks) + "\n" if blocks else ""


def _paragraph_of(segment: Segment) -> int:
    return segment.paragraph


def _blocks(timeline: Timeline, line_chars: int) -> Iterator[_Block]:
    """Caption blocks in time order, disjoint and inside [0, duration]."""
    previous_end_ms = 0
    for cue in sorted(timeline.cues, key=lambda cue: cue.start_ms):
        # The Timeline should already be ordered and disjoint; clamp so a caption file
        # stays valid even if it is not (players drop files whose cues go backwards).
        start_ms = max(cue.start_ms, previous_end_ms, 0)
        end_ms = min(cue.end_ms, timeline.duration_ms)
        units = _units(cue.written)
        if not units or end_ms <= start_ms:
            logger.debug("No caption for cue at %d ms: empty or zero length", cue.start_ms)
            continue
        rtl = cue.lang.split("-")[0].lower() in _RTL_LANGUAGES
        chunks = _chunks(units, line_chars)
        for sub_start_ms, sub_end_ms, lines in _share_time(start_ms, end_ms, chunks):
            yield sub_start_ms, sub_end_ms, [_anchor(line) if rtl else line for line in lines]
        previous_end_ms = end_ms


def _units(text: str) -> list[str]:
    """Words of *text*, with marks that stand alone glued to their word (never broken)."""
    units: list[str] = []
    pending_opening = ""
    for word in text.split():
        if not _is_mark(word):
            units.append(f"{pending_opening} {word}" if pending_opening else word)
            pending_opening = ""
        elif unicodedata.category(word[0]) in _OPENING or not units:
            pending_opening = f"{pending_opening} {word}" if pending_opening else word
        else:
            units[-1] = f"{units[-1]} {word}"
    if pending_opening:  # a text that is nothing but marks, or ends with an opening one
        if units:
            units[-1] = f"{units[-1]} {pending_opening}"
        else:
            units.append(pending_opening)
    return units


def _is_mark(word: str) -> bool:
    return all(unicodedata.category(char)[0] in "PS" for char in word)


def _width(text: str) -> int:
    """Characters a reader sees: harakat and bidi controls take no room on the line."""
    return sum(1 for char in text if not unicodedata.combining(char) and char != _RLM)


def _chunks(units: list[str], line_chars: int) -> list[list[str]]:
    """Split *units* into the fewest cues of at most MAX_LINES lines, of even length."""
    total = _width(" ".join(units))
    count = max(1, -(-total // (line_chars * MAX_LINES)))
    while True:
        laid = [_lay_out(part, line_chars) for part in _split_even(units, count)]
        if all(lines is not None for lines in laid):
            return [lines for lines in laid if lines is not None]
        count += 1  # ends by count == len(units) at the latest: one unit always fits


def _split_even(units: list[str], count: int) -> list[list[str]]:
    """*count* non-empty runs of consecutive units, cut where widths are most even."""
    count = min(count, len(units))
    ends = list(itertools.accumulate(_width(unit) + 1 for unit in units))
    total = ends[-1]
    cuts = [0]
    for k in range(1, count):
        target = total * k / count
        low, high = cuts[-1] + 1, len(units) - (count - k)
        best = min(range(low, high + 1), key=lambda i: abs(ends[i - 1] - target))
        cuts.append(best)
    cuts.append(len(units))
    return [units[a:b] for a, b in itertools.pairwise(cuts)]


def _lay_out(units: list[str], line_chars: int) -> list[str] | None:
    """One line, or two balanced lines (MAX_LINES), or None when the units need more."""
    whole = " ".join(units)
    if _width(whole) <= line_chars or len(units) == 1:
        return [whole]  # a single unit wider than a line stays whole: never break a word
    best: list[str] | None = None
    best_width = 0
    for i in range(1, len(units)):
        top, bottom = " ".join(units[:i]), " ".join(units[i:])
        top_fits = _width(top) <= line_chars or i == 1
        bottom_fits = _width(bottom) <= line_chars or i == len(units) - 1
        widest = max(_width(top), _width(bottom))
        if top_fits and bottom_fits and (best is None or widest < best_width):
            best, best_width = [top, bottom], widest
    return best


def _share_time(start_ms: int, end_ms: int, chunks: list[list[str]]) -> list[_Block]:
    """Divide [start, end) between *chunks* in proportion to their characters."""
    if len(chunks) == 1 or end_ms - start_ms < len(chunks):
        # Too short to give every part a millisecond: show everything in one cue.
        return [(start_ms, end_ms, [line for lines in chunks for line in lines])]
    weights = [_width(" ".join(lines)) for lines in chunks]
    total = sum(weights)
    blocks: list[_Block] = []
    cursor_ms, done = start_ms, 0
    for index, (weight, lines) in enumerate(zip(weights, chunks, strict=True)):
        done += weight
        boundary_ms = start_ms + (end_ms - start_ms) * done // total
        remaining = len(chunks) - index - 1
        boundary_ms = min(max(boundary_ms, cursor_ms + 1), end_ms - remaining)
        blocks.append((cursor_ms, boundary_ms, lines))
        cursor_ms = boundary_ms
    return blocks


def _anchor(line: str) -> str:
    """Prefix a right-to-left mark when a line of RTL text starts with a Latin word.

    Players pick a line's direction from its first strong character, so "BBC قالت" would
    otherwise be laid out left to right.
    """
    for char in line:
        direction = unicodedata.bidirectional(char)
        if direction in ("R", "AL"):
            return line
        if direction == "L":
            return _RLM + line
    return line


def _escape_vtt(line: str) -> str:
    # WebVTT cue text: "&" and "<" start entities and tags; ">" guards against "-->".
    return line.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _timestamp(ms: int, separator: str) -> str:
    hours, rest = divmod(ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    seconds, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}{separator}{millis:03d}"
