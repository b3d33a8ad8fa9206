"""Engines and audio for a briefing: the articles' own MP3s joined with new parts."""

from __future__ import annotations

import datetime as dt
import logging
import shutil
import weakref
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from audiobrief.audio import episode_cache
from audiobrief.config import Settings
from audiobrief.config_slices import AudioSettings
from audiobrief.errors import AudioError
from audiobrief.model import Script, Section, Segment, Timeline
from audiobrief.text.briefing import greeting
from audiobrief.voice.factory import Voice, settings_cache
from audiobrief.voice.render import Encoded, Progress, Rendered, render

if TYPE_CHECKING:
    from audiobrief.audio.mp3join import Part

logger = logging.getLogger(__name__)

_ARTICLE_TAIL_MS = 80  # what render() leaves after an article episode's last segment
_FRAME_SAMPLES = 576  # MPEG-2 and 2.5 Layer III; the check in _cut refuses MPEG-1
_PRIMING_MS = 26  # each part starts with its encoder delay, heard as silence


def render_briefing(
    script: Script,
    voice: Voice,
    settings: Settings,
    *,
    reuse: Sequence[Encoded | None],
    label: str,
    progress: Progress | None = None,
    music: Path | None = None,
) -> Rendered:
    """A briefing (intro, articles, outro) joined from the articles' own MP3s.

    *reuse* gives, for each article section of *script* (all but the first and the last),
    its published audio or None. Only the intro, each announcement, the outro and what
    an article section says beyond its episode (a pointer to the full story) are rendered.
    A section that reads the article's opening only (a lede) takes the first frames of
    its MP3, cut in the pause after the last sentence it reads: frames only borrow bits
    from earlier ones, so a stream's first frames are a valid stream. An article whose
    audio is missing, in another format or of other text is rendered again from its clips.
    Chapters start on frame boundaries, and the pauses between parts are the script's.
    """
    from audiobrief.audio.mp3join import Part, join_episode

    sections = script.sections
    if len(sections) < 2 or len(reuse) != len(sections) - 2:
        raise AudioError(
            f"{script.title!r} has {len(sections)} sections for {len(reuse)} articles; "
            "give one entry of reuse per article section, between an intro and an outro."
        )
    work = episode_cache.work_dir(settings_cache(settings))
    kept: list[Rendered] = []  # their files must stay until the join has read them
    pauses = _Pauses(work, settings.audio)
    parts: list[Part] = []

    made: dict[tuple[object, ...], Rendered] = {}

    def part(index: int, section: Section, tail_ms: int | None, **options: Any) -> None:
        alone = Script(title=script.title, sections=(section,), language=script.language)
        # The pointer ends every story and "the next story" announces most: rendered (or
        # looked up in the episode cache) once a briefing, joined as often as they come.
        key = (alone, tail_ms, *sorted(options.items()))
        if key not in made:
            made[key] = render(alone, voice, settings, label=label, tail_ms=tail_ms, **options)
            kept.append(made[key])
        parts.append(Part(made[key].mp3_path, made[key].timeline, index))

    try:
        intro, outro = sections[0], sections[-1]
        if music is None and len(intro.segments) > 1:
            # The greeting (the show and the date) apart from the count of stories: the
            # day's first speak renders the greeting ahead (render_greeting), and the
            # counts come back from other days. Under a music bed the intro is one part.
            hello = Section(intro.title, intro.segments[:1])
            part(0, hello, hello.segments[0].pause_after_ms)
            rest, moved = _alone(intro.segments[1:])
            part(0, rest, intro.segments[-1].pause_after_ms)
            parts[-1] = _moved_back(parts[-1], *moved)
        else:
            part(0, intro, intro.segments[-1].pause_after_ms, music=music)
        again = 0
        for index, (section, encoded) in enumerate(zip(sections[1:-1], reuse, strict=True), 1):
            head, body = section.segments[0], section.segments[1:]
            plan = _plan(encoded, section, settings.audio) if encoded is not None else None
            if encoded is None or plan is None:
                again += 1
                part(index, section, section.segments[-1].pause_after_ms, progress=progress)
                continue
            used, frames, heard_pause_ms = plan
            # Titled by its own words, not the article's: the chapter's title comes from
            # *script* in the join, and the same announcement is then rendered once, ever.
            part(index, Section(title=head.written, segments=(head,)), head.pause_after_ms)
            cues = encoded.timeline.cues[:used]
            timeline = Timeline(cues, (), encoded.timeline.duration_ms, settings.sample_rate_hz)
            parts.append(Part(encoded.mp3_path, timeline, index, 1, frames=frames))
            gap_ms = body[used - 1].pause_after_ms - heard_pause_ms
            if used < len(body):
                gap_ms -= _PRIMING_MS
            if gap_ms > _PRIMING_MS:
                parts.append(pauses.part(index, gap_ms))
            if used < len(body):  # what the episode does not say: rendered on its own
                rest, moved = _alone(body[used:])
                part(index, rest, body[-1].pause_after_ms)
                parts[-1] = _moved_back(parts[-1], *moved)
        part(len(sections) - 1, outro, None, music=music)
        mp3_path = work / "briefing.mp3"
        timeline = join_episode(parts, mp3_path, script=script)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    logger.info(
        "%s: joined the audio of %d articles, rendered %d again",
        label,
        len(reuse) - again,
        again,
    )
    rendered = Rendered(mp3_path, timeline)
    weakref.finalize(rendered, shutil.rmtree, work, ignore_errors=True)
    return rendered


def render_greeting(day: dt.date, voice: Voice, settings: Settings) -> None:
    """Render *day*'s briefing greeting into the episode cache, for `brief` to find.

    The day's `speak` has the voice and the audio stages loaded already; the evening's
    `brief` then renders nothing new on most days (the count of stories comes back from
    an earlier day), so it loads neither the voice's engine nor the audio stages. Only
    with the episode cache on, without a music bed (the intro is then one part), and for
    a voice that says a clip faster than the cache keeps it (eSpeak NG: 30 ms, once a
    day): an online voice would send a request the day may not need.
    """
    cheap = not getattr(voice.engine, "keeps_clips", True)
    if not cheap or settings.music is not None or settings_cache(settings) is None:
        return
    hello = greeting(
        day, show_title=settings.show_title, month_style=settings.month_style,
        **voice.text_options,
    )  # fmt: skip
    alone = Script(title=hello.title, sections=(hello,))
    try:
        render(alone, voice, settings, label=f"greeting {day.isoformat()}",
               tail_ms=hello.segments[-1].pause_after_ms)  # fmt: skip
    except Exception as exc:  # ahead of time only, after the day's episodes are published:
        # a full disk or any other failure leaves brief to render the greeting itself.
        logger.warning("the briefing's greeting was not rendered ahead (%s)", exc)


def _alone(said: tuple[Segment, ...]) -> tuple[Section, tuple[int, int]]:
    """*said*, the end of a story its episode does not say (the pointer to the full story),
    as a section of its own: numbered from its start and titled by its words, the same
    words are rendered once, ever, whichever story they end. Also how far it moved (see
    `_moved_back`)."""
    paragraphs, sentences = said[0].paragraph - 1, said[0].sentence
    alone = tuple(
        replace(s, paragraph=s.paragraph - paragraphs, sentence=s.sentence - sentences)
        for s in said
    )
    return Section(title=said[0].written, segments=alone), (paragraphs, sentences)


def _moved_back(part: Part, paragraphs: int, sentences: int) -> Part:
    """*part* with its cues numbered again as in the story that `_alone` took them from."""
    cues = tuple(
        replace(cue, paragraph=cue.paragraph + paragraphs, sentence=cue.sentence + sentences)
        for cue in part.timeline.cues
    )
    return replace(part, timeline=replace(part.timeline, cues=cues))


def _plan(
    encoded: Encoded, section: Section, audio: AudioSettings
) -> tuple[int, int | None, int] | None:
    """How to reuse *encoded* for *section*: (segments it says, frames to take or None for
    all, ms of pause already heard after them), or None when it cannot be reused."""
    from audiobrief.audio.mp3join import UnusableAudioError, read_stream

    cues, body = encoded.timeline.cues, section.segments[1:]
    used = 0
    while used < min(len(cues), len(body)) and cues[used].written == body[used].written:
        used += 1
    if used == 0 or encoded.timeline.sample_rate_hz != audio.sample_rate_hz:
        logger.warning(
            "%s: its text changed since it was spoken; rendering it again", section.title
        )
        return None
    try:
        stream = read_stream(
            encoded.mp3_path,
            sample_rate_hz=audio.sample_rate_hz,
            channels=audio.channels,
            bitrate_kbps=audio.bitrate_kbps,
        )
    except UnusableAudioError as exc:
        logger.warning("%s: %s; rendering it again", section.title, exc)
        return None
    if used == len(cues):
        return used, None, _ARTICLE_TAIL_MS
    if stream.first.samples_per_frame != _FRAME_SAMPLES:
        return None
    return _cut(encoded.timeline, used, audio.sample_rate_hz, section.title)


def _cut(timeline: Timeline, used: int, rate_hz: int, title: str) -> tuple[int, int, int] | None:
    """The frame count that ends the stream in the pause after cue *used* - 1, if any.

    The first N frames decode the part's samples below (N - 2) x 576 completely (the
    encoder delay takes one frame, the overlap of the next frame another): the last
    sentence must end a frame before that, and the next one start a frame after N x 576.
    """
    spoken_end = -(-(timeline.cues[used - 1].end_ms + 1) * rate_hz // 1000)
    next_start = timeline.cues[used].start_ms * rate_hz // 1000
    frames = -(-(spoken_end + _FRAME_SAMPLES) // _FRAME_SAMPLES) + 2
    if (frames + 1) * _FRAME_SAMPLES > next_start:
        logger.warning("%s: the pause to cut in is too short; rendering it again", title)
        return None
    heard_ms = (frames * _FRAME_SAMPLES - spoken_end) * 1000 // rate_hz
    return used, frames, heard_ms


class _Pauses:
    """The pauses joined between parts: each is the first frames of one silent stream,
    encoded once a briefing instead of once a story (a stream's first frames are a valid
    stream). Each takes as many frames as `silence_mp3` makes for its length."""

    _LONGEST_MS = 3000  # longer than the pauses of the default settings: one encode

    def __init__(self, work: Path, audio: AudioSettings) -> None:
        self._work, self._audio = work, audio
        self._path: Path | None = None
        self._frames = 0

    def part(self, index: int, ms: int) -> Part:
        from audiobrief.audio.mp3join import Part, silence_mp3

        audio = self._audio
        empty = Timeline(cues=(), chapters=(), duration_ms=ms, sample_rate_hz=audio.sample_rate_hz)
        frames = self._frames_for(ms)
        if frames is None or frames > self._frames:
            longest = ms if frames is None else max(ms, self._LONGEST_MS)
            path = silence_mp3(
                self._work / f"pause-{index}-{longest}.mp3",
                ms=longest,
                sample_rate_hz=audio.sample_rate_hz,
                channels=audio.channels,
                bitrate_kbps=audio.bitrate_kbps,
            )
            if frames is None:
                return Part(path, empty, index)
            self._path, self._frames = path, self._frames_for(longest) or 0
        assert self._path is not None
        return Part(self._path, empty, index, frames=frames)

    def _frames_for(self, ms: int) -> int | None:
        from audiobrief.audio.mp3join import silence_frames

        return silence_frames(ms, self._audio.sample_rate_hz)
