"""The render loop of one `speak`: each source loaded, scripted and rendered, two at a time.

LAME, the loudness passes and the front end hold the GIL, so threads barely help (about
10% measured); two worker processes use both cores. Workers are forked from a fork
server that has imported this module and nothing else: a plain fork of a process that
already ran the diacritizer's ONNX session hangs in the child (its thread pool does not
survive the fork), and spawning would import everything once per worker. Each worker
opens its own voice and copies its MP3 into a folder the command owns, so the file
outlives the worker. Sources the episode cache already holds are taken in the command;
the first that needs synthesis is rendered there too while the workers start on the rest.
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
from collections.abc import Generator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path
from typing import Any

from audiobrief.articles.limits import check_length
from audiobrief.articles.load import load_article
from audiobrief.config import Settings
from audiobrief.errors import AudiobriefError
from audiobrief.model import Article, Script, Timeline
from audiobrief.text.script import build_script
from audiobrief.voice.factory import Voice, open_voice
from audiobrief.voice.render import Progress, Rendered, cached_render, render

WORKERS = 2
"""Processes for a call with several sources: the two cores this tool is sized for."""

Made = tuple[Article, Script, Rendered]


def render_sources(
    sources: Sequence[str],
    voice: Voice,
    settings: Settings,
    *,
    folder: Path,
    stdin: bytes | None = None,
    progress: Progress | None = None,
) -> Generator[tuple[int, Made | AudiobriefError], None, None]:
    """Per source, in the order given: what it made, or the error that stopped it.

    A failure does not stop the others; a caller that stops early (fail fast) has the
    sources not yet started cancelled. *folder* must outlive the Rendered files.
    """
    workers = min(WORKERS, len(sources), os.cpu_count() or 1)
    if workers < 2 or "forkserver" not in multiprocessing.get_all_start_methods():
        for index, source in enumerate(sources):
            try:
                yield index, speak_source(source, voice, settings, stdin=stdin, progress=progress)
            except AudiobriefError as exc:
                yield index, exc
        return
    # Sources already rendered (a warm re-run) come from the episode cache here: starting
    # the workers would cost more than they save (1.1 s against 0.7 s for the corpus).
    # The first one that needs synthesis is rendered here too, once the workers have the
    # rest: this core works while they start, and no worker starts for nothing after it.
    first = len(sources)
    missed: tuple[Article, Script] | None = None
    for index, source in enumerate(sources):
        try:
            article, script = _scripted(source, voice, settings, stdin)
        except AudiobriefError as exc:
            yield index, exc
            continue
        if (hit := cached_render(script, voice, settings)) is None:
            first, missed = index, (article, script)
            break
        yield index, (article, script, hit)
    if missed is None:
        return
    later = range(first + 1, len(sources))
    # One bar for the call: a worker's own bars would fight over the terminal.
    tick = progress(f"speaking {len(later) + 1} articles", len(later) + 1) if progress else None
    pool: ProcessPoolExecutor | None = None
    if later:
        context = multiprocessing.get_context("forkserver")
        # text.warm compiles the front end's patterns once, there: workers inherit them.
        context.set_forkserver_preload([__name__, "audiobrief.text.warm"])
        pool = ProcessPoolExecutor(
            min(workers, len(later)),
            mp_context=context,
            initializer=_start_worker,
            initargs=(settings, os.getcwd()),
        )
    try:
        futures = {}
        # Longest first (by file size, where a source is a file): the last article to
        # finish is then a short one, and neither core idles long at the end.
        for index in sorted(later, key=lambda i: -_size(sources[i])):
            if pool is not None:  # there is one whenever there are later sources
                futures[index] = pool.submit(_worker_render, index, sources[index], stdin, folder)
        article, script = missed
        try:
            label = article.meta.url or article.meta.source
            yield first, (article, script, render(script, voice, settings, label=label))
        except AudiobriefError as exc:
            yield first, exc
        if tick is not None:
            tick(1)
        for index in later:
            try:
                yield index, _result(futures[index], sources[index], voice, settings, stdin)
            except AudiobriefError as exc:
                yield index, exc
            if tick is not None:
                tick(1)
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)


def _size(source: str) -> int:
    try:
        return os.stat(source).st_size
    except (OSError, ValueError):  # a URL, stdin's "-", a name too long for a path
        return 0


def speak_source(
    source: str,
    voice: Voice,
    settings: Settings,
    *,
    stdin: bytes | None = None,
    progress: Progress | None = None,
) -> Made:
    """Load one source, build its script and render it."""
    article, script = _scripted(source, voice, settings, stdin)
    label = article.meta.url or article.meta.source
    return article, script, render(script, voice, settings, label=label, progress=progress)


def _scripted(
    source: str, voice: Voice, settings: Settings, stdin: bytes | None
) -> tuple[Article, Script]:
    article = check_length(load_article(source, stdin=stdin), settings.max_article_words)
    return article, build_script(article, **voice.text_options)


# In a worker process: the voice it opened, and the settings.
_worker: dict[str, Any] = {}


def _start_worker(settings: Settings, cwd: str) -> None:
    os.chdir(cwd)  # the fork server stays where the first call started it; paths may be relative
    _worker["settings"] = settings
    try:
        _worker["voice"] = open_voice(settings)
    except Exception:  # e.g. an engine registered in the command only, not in a new process
        _worker["voice"] = None  # its sources are rendered in the command instead


def _worker_render(
    index: int, source: str, stdin: bytes | None, folder: Path
) -> tuple[Article, Script, Path, Timeline, str | None] | _Failure | None:
    voice, settings = _worker["voice"], _worker["settings"]
    if voice is None:
        return None
    try:
        article, script, rendered = speak_source(source, voice, settings, stdin=stdin)
    except AudiobriefError as exc:
        return _Failure(exc)
    kept = folder / f"{index}.mp3"
    # The worker's Rendered may lie in a temporary folder removed with it: copy it out.
    shutil.copyfile(rendered.mp3_path, kept)
    return article, script, kept, rendered.timeline, rendered.key


def _result(
    future: Future[Any], source: str, voice: Voice, settings: Settings, stdin: bytes | None
) -> Made | AudiobriefError:
    done = future.result()
    if done is None:  # the worker could not open the voice: render it here
        return speak_source(source, voice, settings, stdin=stdin)
    if isinstance(done, _Failure):
        return done.error()
    article, script, path, timeline, key = done
    return article, script, Rendered(path, timeline, key)


class _Failure:
    """An AudiobriefError carried across processes.

    Most subclasses take other arguments than their message, so pickle could not
    rebuild them by calling the class: the class, message and fields travel instead.
    """

    def __init__(self, exc: AudiobriefError) -> None:
        self._type: type[AudiobriefError] = type(exc)
        self._args = exc.args
        self._fields = {k: v for k, v in vars(exc).items() if _plain(v)}

    def error(self) -> AudiobriefError:
        exc = self._type.__new__(self._type)
        exc.args = self._args
        vars(exc).update(self._fields)
        return exc


def _plain(value: object) -> bool:
    return isinstance(value, str | int | float | bool | type(None) | tuple | Path)
