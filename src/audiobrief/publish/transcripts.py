"""Publish stage: WebVTT and SRT captions and the plain transcript, all views of one Timeline."""

from __future__ import annotations

import functools
import itertools
import logging
import re
import unicodedata
from collections.abc import Iterator, Sequence

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


# Cached: the VTT and the SRT of an episode measure the same cues' words, char by char.
@functools.lru_cache(maxsize=4096)
def _units(text: str) -> tuple[str, ...]:
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
    return tuple(units)


def _is_mark(word: str) -> bool:
    return all(unicodedata.category(char)[0] in "PS" for char in word)


@functools.lru_cache(maxsize=16384)
def _width(text: str) -> int:
    """Characters a reader sees: harakat and bidi controls take no room on the line."""
    return sum(1 for char in text if not unicodedata.combining(char) and char != _RLM)


def _chunks(units: Sequence[str], line_chars: int) -> list[tuple[list[str], int]]:
    """Split *units* into the fewest cues of at most MAX_LINES lines, of even length.

    Each cue comes with its width, for sharing out the time.
    """
    # Widths add up: a run of units is its units and the spaces between them, so each
    # unit is measured once and any run's width is a difference of two running totals.
    ends = [0, *itertools.accumulate(_width(unit) + 1 for unit in units)]
    total = ends[-1] - 1
    count = max(1, -(-total // (line_chars * MAX_LINES)))
    while True:
        runs = _split_even(ends, count)
        laid = [_lay_out(units, ends, first, last, line_chars) for first, last in runs]
        if all(lines is not None for lines in laid):
            return [
                (lines, ends[last] - ends[first] - 1)
                for lines, (first, last) in zip(laid, runs, strict=True)
                if lines is not None
            ]
        count += 1  # ends by count == len(units) at the latest: one unit always fits


def _split_even(ends: list[int], count: int) -> list[tuple[int, int]]:
    """*count* non-empty runs of consecutive units (as index ranges), cut where the
    widths are most even; *ends* are the running widths of the units."""
    units = len(ends) - 1
    count = min(count, units)
    total = ends[-1]
    cuts = [0]
    for k in range(1, count):
        target = total * k / count
        low, high = cuts[-1] + 1, units - (count - k)
        best = min(range(low, high + 1), key=lambda i: abs(ends[i] - target))
        cuts.append(best)
    cuts.append(units)
    return list(itertools.pairwise(cuts))


def _lay_out(
    units: Sequence[str], ends: list[int], first: int, last: int, line_chars: int
) -> list[str] | None:
    """One line, or two balanced lines (MAX_LINES), or None when the units need more."""
    if ends[last] - ends[first] - 1 <= line_chars or last - first == 1:
        # A single unit wider than a line stays whole: never break a word.
        return [" ".join(units[first:last])]
    best, best_width = 0, 0
    for cut in range(first + 1, last):
        top, bottom = ends[cut] - ends[first] - 1, ends[last] - ends[cut] - 1
        top_fits = top <= line_chars or cut == first + 1
        bottom_fits = bottom <= line_chars or cut == last - 1
        widest = max(top, bottom)
        if top_fits and bottom_fits and (not best or widest < best_width):
            best, best_width = cut, widest
    if not best:
        return None
    return [" ".join(units[first:best]), " ".join(units[best:last])]


def _share_time(start_ms: int, end_ms: int, chunks: list[tuple[list[str], int]]) -> list[_Block]:
    """Divide [start, end) between *chunks* in proportion to their widths."""
    if len(chunks) == 1 or end_ms - start_ms < len(chunks):
        # Too short to give every part a millisecond: show everything in one cue.
        return [(start_ms, end_ms, [line for lines, _ in chunks for line in lines])]
    total = sum(weight for _, weight in chunks)
    blocks: list[_Block] = []
    cursor_ms, done = start_ms, 0
    for index, (lines, weight) in enumerate(chunks):
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
