"""Audio stage: a chapter per section, from the sample where each section starts.

Apart from stitch (which needs numpy and pydub), so joining finished MP3s loads neither.
"""

from __future__ import annotations

from audiobrief.model import Chapter, Script


def section_chapters(
    script: Script, section_starts: dict[int, int], sample_rate_hz: int, duration_ms: int
) -> tuple[Chapter, ...]:
    """A chapter per section that is heard: from its first sample to the next chapter.

    *section_starts* maps a section's index to the frame where it starts.
    """
    # Whole milliseconds, floored, as Track.duration_ms counts them.
    starts = [(frame * 1000 // sample_rate_hz, index) for index, frame in section_starts.items()]
    # A section whose audio lasts under a millisecond would make an empty chapter, which
    # players show as a duplicate start: the section heard from that instant takes it.
    kept = [
        (start_ms, index)
        for k, (start_ms, index) in enumerate(starts)
        if start_ms < (starts[k + 1][0] if k + 1 < len(starts) else duration_ms)
    ]
    chapters = []
    for k, (start_ms, index) in enumerate(kept):
        section = script.sections[index]
        end_ms = kept[k + 1][0] if k + 1 < len(kept) else duration_ms
        chapters.append(
            Chapter(start_ms=start_ms, end_ms=end_ms, title=section.title, url=section.url)
        )
    return tuple(chapters)
