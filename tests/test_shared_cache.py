"""The one cache: one limit over every kind, info that adds up to the disk, clear, processes."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from audiobrief.audio import episode_cache
from audiobrief.cache import IN_USE_S, Cache, open_cache
from audiobrief.engines.cache import CachedEngine
from audiobrief.model import Chapter, Cue, Timeline
from audiobrief.text.diacritize_cache import CachedDiacritizer
from support import FakeEngine

TIMELINE = Timeline(
    cues=(Cue(0, 900, section=0, paragraph=0, sentence=0, written="عنوان"),),
    chapters=(Chapter(0, 1000, "عنوان"),),
    duration_ms=1000,
    sample_rate_hz=22050,
)


def _on_disk(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def _age(folder: Path, seconds: float) -> None:
    for path in folder.rglob("*"):
        if path.is_file():
            old = path.stat().st_mtime - seconds
            os.utime(path, (old, old))


def _fill(cache: Cache, tag: str) -> None:
    """One entry of each kind, through the stages' own adapters."""
    CachedEngine(FakeEngine(), cache, {"v": tag}).synthesize(f"نص {tag}")
    CachedDiacritizer(lambda text: text + "\u064e", cache, "m")(f"باب {tag}")
    work = episode_cache.work_dir(cache)
    (work / "e.mp3").write_bytes(b"\xff\xf3" * 500)
    episode_cache.store(cache, f"episode-{tag}", work / "e.mp3", TIMELINE)


def test_info_adds_up_to_every_file_under_the_folder(tmp_path: Path) -> None:
    cache = Cache(tmp_path / "c")
    _fill(cache, "a")
    _fill(cache, "b")
    (tmp_path / "c" / "clips" / "left-by-someone").write_bytes(b"x" * 77)
    work = cache.work_dir()
    (work / "track.pcm").write_bytes(b"\0" * 1234)  # a run in progress

    found = cache.info()

    assert found.size_bytes == _on_disk(tmp_path / "c")
    assert found.size_bytes > 1234 + 77 + 2000
    assert found.entries == {"clips": 2, "marks": 2, "episodes": 2, "other": 1}


def test_files_of_an_older_layout_are_pruned_like_entries(tmp_path: Path) -> None:
    folder = tmp_path / "c"
    legacy = [folder / "ab" / f"ab{'0' * 62}.wav", folder / "diacritized.sqlite"]
    for path in legacy:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x" * 5000)
    _age(folder, 2 * IN_USE_S)
    cache = Cache(folder, max_bytes=8000)

    _fill(cache, "new")

    assert cache.info().entries == {"clips": 1, "marks": 1, "episodes": 1}
    assert not any(path.exists() for path in legacy)


def test_clear_empties_every_kind(tmp_path: Path) -> None:
    cache = Cache(tmp_path / "c")
    _fill(cache, "a")
    cache.work_dir()

    assert cache.clear() == 3
    assert cache.info().size_bytes == 0
    assert not list((tmp_path / "c").iterdir())
    assert Cache(tmp_path / "nothing").clear() == 0


def test_one_limit_bounds_all_kinds_least_recently_used_first(tmp_path: Path) -> None:
    folder = tmp_path / "c"
    _fill(Cache(folder), "old")
    _age(folder, 3 * IN_USE_S)
    _fill(Cache(folder), "used")
    _age(folder, 2 * IN_USE_S)  # both sets are out of use; "used" is the more recent one
    size_of_both = _on_disk(folder)
    limit = int(size_of_both * 0.95)  # one more entry of any kind passes it
    cache = Cache(folder, max_bytes=limit)
    assert episode_cache.load(cache, "episode-used") is not None  # used just now

    CachedDiacritizer(lambda text: text, cache, "m")("جديد")

    assert cache.info().size_bytes <= limit
    assert sum(cache.info().entries.values()) < 7  # some of "old" went, no more was needed
    assert CachedEngine(FakeEngine(), cache, {"v": "used"}).path("نص used").is_file()
    assert episode_cache.load(cache, "episode-used") is not None

    def no_model(text: str) -> str:
        raise AssertionError(f"{text} was pruned")

    assert CachedDiacritizer(no_model, cache, "m")("باب used") == "باب used\u064e"
    assert CachedDiacritizer(no_model, cache, "m")("جديد") == "جديد"


def test_entries_in_use_stay_even_over_the_limit(tmp_path: Path) -> None:
    cache = Cache(tmp_path / "c", max_bytes=1)
    _fill(cache, "a")
    _fill(cache, "b")

    assert cache.info().entries == {"clips": 2, "marks": 2, "episodes": 2}
    assert cache.info().size_bytes > 1


def test_the_cli_and_the_stages_share_one_cache_per_folder(tmp_path: Path) -> None:
    first = open_cache(tmp_path, 5)
    assert first is open_cache(tmp_path, 5)
    assert first is not None
    assert first.max_bytes == 5 * 1024 * 1024
    assert open_cache(None, 5) is None


WORKER = textwrap.dedent("""
    import os, sys, time
    from pathlib import Path
    from audiobrief.audio import episode_cache
    from audiobrief.cache import Cache
    from audiobrief.model import Timeline
    from audiobrief.text.diacritize_cache import CachedDiacritizer

    role, folder = sys.argv[1], Path(sys.argv[2])
    cache = Cache(folder, max_bytes=int(sys.argv[3]))
    if role == "reader":  # a run that was handed an episode's path and reads it slowly
        found = episode_cache.load(cache, "held")
        print("loaded", flush=True)
        sys.stdin.readline()  # until the writer is done
        print(found[0].read_bytes() == b"held" * 2000)
    else:
        marks = CachedDiacritizer(lambda text: text[::-1], cache, "m")
        for i in range(80):
            assert marks(f"sentence {i}" * 20) == (f"sentence {i}" * 20)[::-1]
            work = episode_cache.work_dir(cache)
            (work / "e.mp3").write_bytes(bytes([i % 256]) * 3000)
            episode_cache.store(cache, f"{role}{i % 7}", work / "e.mp3", Timeline((), (), 1, 1))
        print("done")
""")


def test_processes_share_the_cache_and_pruning_spares_what_a_run_reads(tmp_path: Path) -> None:
    folder = tmp_path / "shared"
    work = episode_cache.work_dir(Cache(folder))
    (work / "e.mp3").write_bytes(b"held" * 2000)
    episode_cache.store(Cache(folder), "held", work / "e.mp3", TIMELINE)
    _fill(Cache(folder), "stale")
    _age(folder, 2 * IN_USE_S)  # everything is old: the reader's load makes "held" fresh
    limit = 40_000

    def start(*args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, "-c", WORKER, *args, str(folder), str(limit)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    reader = start("reader")
    assert reader.stdout is not None
    assert reader.stdout.readline().strip() == "loaded"
    writers = [start("w1"), start("w2")]
    outputs = [w.communicate(timeout=120)[0] for w in writers]
    reader_out = reader.communicate("go\n", timeout=60)[0]

    assert [w.returncode for w in (*writers, reader)] == [0, 0, 0]
    assert [out.strip() for out in outputs] == ["done", "done"]
    assert reader_out.strip() == "True"
    cache = Cache(folder)
    assert episode_cache.load(cache, "episode-stale") is None  # pruned: over the limit
    for name in ("w1", "w2"):
        for i in range(7):
            hit = episode_cache.load(cache, f"{name}{i}")
            if hit is not None:  # whole, never half written or mixed
                data = hit[0].read_bytes()
                assert len(data) == 3000
                assert len(set(data)) == 1
    assert not [p for p in folder.rglob("*.tmp")]
    assert cache.info().size_bytes == _on_disk(folder)


@pytest.mark.parametrize("kind", ["clips", "marks", "episodes"])
def test_an_unwritable_cache_costs_only_speed(tmp_path: Path, kind: str) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("", encoding="utf-8")
    cache = Cache(blocker)
    if kind == "clips":
        assert len(CachedEngine(FakeEngine(), cache, {}).synthesize("نص")) == 20
    elif kind == "marks":
        assert CachedDiacritizer(lambda text: text + "!", cache, "m")("باب") == "باب!"
    else:
        work = episode_cache.work_dir(cache)
        (work / "e.mp3").write_bytes(b"abc")
        assert episode_cache.store(cache, "k", work / "e.mp3", TIMELINE) == work / "e.mp3"
        assert (work / "e.mp3").read_bytes() == b"abc"
