"""speak's render loop in worker processes: order, per-source errors, files that outlive them."""

from __future__ import annotations

import shutil
from concurrent.futures import Future
from pathlib import Path
from typing import Any, ClassVar

import pytest

from audiobrief.config import Settings
from audiobrief.errors import ArticleError
from audiobrief.voice import pool as render_pool
from audiobrief.voice.factory import open_voice

REPO = Path(__file__).resolve().parents[1]


def _news(folder: Path, name: str, title: str) -> str:
    path = folder / f"{name}.txt"
    path.write_text(f"{title}\n\nقال المسؤول إن العمل مستمر.\n", encoding="utf-8")
    return str(path)


def test_workers_keep_the_order_and_each_source_s_error(tmp_path: Path) -> None:
    shutil.copytree(REPO / "voices", tmp_path / "voices")
    settings = Settings(voices_dir=tmp_path / "voices", cache_dir=tmp_path / "cache")
    first = _news(tmp_path, "a", "الخبر الأول عن المدينة")
    second = _news(tmp_path, "b", "الخبر الثاني عن الجهة")
    sources = [first, str(tmp_path / "missing.txt"), second]
    folder = tmp_path / "made"
    folder.mkdir()
    results = list(
        render_pool.render_sources(sources, open_voice(settings), settings, folder=folder)
    )
    assert [index for index, _ in results] == [0, 1, 2]
    error = results[1][1]
    assert isinstance(error, ArticleError)  # rebuilt in the command, its class kept
    assert "missing.txt" in str(error)
    for index, title in ((0, "الخبر الأول"), (2, "الخبر الثاني")):
        made = results[index][1]
        assert not isinstance(made, Exception)
        article, _, rendered = made
        assert article.title.startswith(title)
        assert rendered.mp3_path.stat().st_size > 1000
        assert rendered.timeline.duration_ms > 1000
    second = results[2][1]
    assert not isinstance(second, Exception)
    assert second[2].mp3_path.parent == folder  # the worker is gone; its file is not


def test_failure_crosses_processes_with_its_fields() -> None:
    carried = render_pool._Failure(ArticleError("x.txt", "no text"))
    rebuilt = carried.error()
    assert type(rebuilt) is ArticleError
    assert str(rebuilt) == "x.txt: no text"
    with pytest.raises(ArticleError):
        raise rebuilt


def test_a_warm_rerun_starts_no_worker_and_gives_the_same_audio(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copytree(REPO / "voices", tmp_path / "voices")
    settings = Settings(voices_dir=tmp_path / "voices", cache_dir=tmp_path / "cache")
    sources = [
        _news(tmp_path, "a", "الخبر الأول عن المدينة"),
        str(tmp_path / "missing.txt"),
        _news(tmp_path, "b", "الخبر الثاني عن الجهة"),
    ]
    voice = open_voice(settings)
    folder = tmp_path / "made"
    folder.mkdir()
    cold = dict(render_pool.render_sources(sources, voice, settings, folder=folder))
    started: list[object] = []
    monkeypatch.setattr(render_pool, "ProcessPoolExecutor", lambda *a, **k: started.append(a))

    warm = dict(render_pool.render_sources(sources, voice, settings, folder=folder))

    assert started == []
    assert isinstance(warm[1], ArticleError)
    for index in (0, 2):
        before, after = cold[index], warm[index]
        assert not isinstance(before, Exception)
        assert not isinstance(after, Exception)
        assert after[2].mp3_path.read_bytes() == before[2].mp3_path.read_bytes()
        assert after[2].timeline == before[2].timeline
        assert after[0].title == before[0].title


class _InlinePool:
    """A pool that runs each job at once, in this process, and notes the order given."""

    submitted: ClassVar[list[int]] = []

    def __init__(self, workers: int, *, mp_context: object, initializer: Any, initargs: Any):
        initializer(*initargs)
        _InlinePool.submitted = []

    def submit(self, job: Any, index: int, *args: Any) -> Future[Any]:
        _InlinePool.submitted.append(index)
        done: Future[Any] = Future()
        done.set_result(job(index, *args))
        return done

    def shutdown(self, wait: bool, cancel_futures: bool) -> None:
        pass


def test_the_longest_articles_go_to_the_workers_first_and_come_back_in_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copytree(REPO / "voices", tmp_path / "voices")
    settings = Settings(voices_dir=tmp_path / "voices", cache_dir=tmp_path / "cache")
    monkeypatch.setattr(render_pool, "ProcessPoolExecutor", _InlinePool)
    sources = [_news(tmp_path, "a", "الخبر الأول")]
    for name, words in (("short", 3), ("long", 40), ("mid", 12)):
        path = tmp_path / f"{name}.txt"
        path.write_text(f"خبر {name}\n\n" + " ".join(["كلمة"] * words) + ".\n", encoding="utf-8")
        sources.append(str(path))
    folder = tmp_path / "made"
    folder.mkdir()

    results = list(
        render_pool.render_sources(sources, open_voice(settings), settings, folder=folder)
    )

    assert _InlinePool.submitted == [2, 3, 1]  # by size; the first is rendered here
    assert [index for index, _ in results] == [0, 1, 2, 3]


def test_one_new_article_after_rendered_ones_is_rendered_without_workers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copytree(REPO / "voices", tmp_path / "voices")
    settings = Settings(voices_dir=tmp_path / "voices", cache_dir=tmp_path / "cache")
    voice = open_voice(settings)
    old = _news(tmp_path, "a", "الخبر الأول عن المدينة")
    folder = tmp_path / "made"
    folder.mkdir()
    list(render_pool.render_sources([old], voice, settings, folder=folder))
    started: list[object] = []
    monkeypatch.setattr(render_pool, "ProcessPoolExecutor", lambda *a, **k: started.append(a))
    new = _news(tmp_path, "b", "الخبر الثاني عن الجهة")

    results = dict(render_pool.render_sources([old, new], voice, settings, folder=folder))

    assert started == []
    made = results[1]
    assert not isinstance(made, Exception)
    assert made[0].title.startswith("الخبر الثاني")
    assert made[2].timeline.duration_ms > 1000
