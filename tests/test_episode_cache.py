"""Episode cache: finished MP3 files and their Timeline, moved in, found again, pruned."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from audiobrief.audio import episode_cache
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
    work = episode_cache.work_dir(tmp_path / "cache")
    made = _mp3(work)

    kept = episode_cache.store(tmp_path / "cache", "k1", made, TIMELINE)

    assert not made.exists()  # moved, not copied
    assert episode_cache.load(tmp_path / "cache", "k1") == (kept, TIMELINE)
    assert episode_cache.load(tmp_path / "cache", "other") is None


def test_an_entry_whose_audio_changed_size_is_a_miss(tmp_path: Path) -> None:
    kept = episode_cache.store(tmp_path, "k", _mp3(tmp_path), TIMELINE)
    kept.write_bytes(b"cut")

    assert episode_cache.load(tmp_path, "k") is None


def test_pruning_spares_entries_a_running_command_may_still_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(episode_cache, "KEEP", 2)
    for k in range(4):
        episode_cache.store(tmp_path, f"old{k}", _mp3(tmp_path), TIMELINE)
        meta = tmp_path / episode_cache.FOLDER / f"old{k}.json"
        os.utime(meta, (1_000_000 + k, 1_000_000 + k))  # long ago, oldest first
    for k in range(3):
        episode_cache.store(tmp_path, f"new{k}", _mp3(tmp_path), TIMELINE)

    left = sorted(p.stem for p in (tmp_path / episode_cache.FOLDER).glob("*.json"))
    assert left == ["new0", "new1", "new2"]
    assert sorted(p.stem for p in (tmp_path / episode_cache.FOLDER).glob("*.mp3")) == left


def test_work_folders_of_a_killed_run_go_after_a_day(tmp_path: Path) -> None:
    stale, fresh = episode_cache.work_dir(tmp_path), episode_cache.work_dir(tmp_path)
    os.utime(stale, (1_000_000, 1_000_000))

    episode_cache.store(tmp_path, "k", _mp3(tmp_path), TIMELINE)

    assert not stale.exists()
    assert fresh.is_dir()
