"""Episode cache: finished MP3 files and their Timeline, moved in, found again, pruned."""

from __future__ import annotations

import os
from pathlib import Path

from audiobrief.audio import episode_cache
from audiobrief.cache import Cache
from audiobrief.model import Chapter, Cue, Timeline

TIMELINE = Timeline(
    cues=(Cue(0, 900, section=0, paragraph=0, sentence=0, written="عنوان"),),
    chapters=(Chapter(0, 1000, "عنوان", "https://example.org/a"),),
    duration_ms=1000,
    sample_rate_hz=22050,
)


def _mp3(folder: Path, data: bytes = b"\xff\xf3 not really audio") -> Path:
    path = folder / "episode.mp3"
    path.write_bytes(data)
    return path


def test_a_stored_episode_moves_in_and_comes_back_with_its_timeline(tmp_path: Path) -> None:
    cache = Cache(tmp_path / "cache")
    work = episode_cache.work_dir(cache)
    made = _mp3(work)

    kept = episode_cache.store(cache, "k1", made, TIMELINE)

    assert not made.exists()  # moved, not copied
    assert kept.read_bytes() == b"\xff\xf3 not really audio"
    assert episode_cache.load(cache, "k1") == (kept, TIMELINE)
    assert episode_cache.load(Cache(tmp_path / "cache"), "k1") == (kept, TIMELINE)  # next run
    assert episode_cache.load(cache, "other") is None


def test_an_entry_is_found_for_a_front_end_only_when_that_front_end_stored_it_last(
    tmp_path: Path,
) -> None:
    cache = Cache(tmp_path / "cache")
    kept = episode_cache.store(cache, "k", _mp3(tmp_path), TIMELINE, front_end="old")

    assert episode_cache.load(cache, "k", front_end="old") == (kept, TIMELINE)
    assert episode_cache.load(cache, "k", front_end="new") is None
    assert episode_cache.load(cache, "k") == (kept, TIMELINE)  # the audio is the same
    episode_cache.load(cache, "k", made_by="newer")  # the same script from another one
    assert episode_cache.load(cache, "k", front_end="newer") == (kept, TIMELINE)
    episode_cache.store(cache, "k", _mp3(tmp_path), TIMELINE, front_end="new")
    assert episode_cache.load(cache, "k", front_end="new") == (kept, TIMELINE)


def test_an_entry_whose_audio_changed_size_is_a_miss(tmp_path: Path) -> None:
    cache = Cache(tmp_path / "cache")
    kept = episode_cache.store(cache, "k", _mp3(tmp_path), TIMELINE)
    kept.write_bytes(b"\xff\xf3 cut")

    assert episode_cache.load(cache, "k") is None


def test_an_entry_without_its_timeline_is_a_miss(tmp_path: Path) -> None:
    cache = Cache(tmp_path / "cache")
    kept = episode_cache.store(cache, "k", _mp3(tmp_path), TIMELINE)
    kept.with_suffix(".json").unlink()

    assert episode_cache.load(cache, "k") is None


def test_pruning_takes_an_episodes_audio_and_timeline_together(tmp_path: Path) -> None:
    cache = Cache(tmp_path / "cache", max_bytes=10**6)
    old = episode_cache.store(cache, "old", _mp3(tmp_path, b"o" * 1000), TIMELINE)
    for path in (old, old.with_suffix(".json")):
        os.utime(path, (1e9, 1e9))  # unused for years
    new = episode_cache.store(cache, "new", _mp3(tmp_path, b"n" * 1000), TIMELINE)

    cache.prune(0)

    assert not old.exists()
    assert not old.with_suffix(".json").exists()
    assert episode_cache.load(cache, "new") == (new, TIMELINE)  # in use: it stays
