"""The synthesis cache: hits skip the engine, keys, LRU pruning, corruption, shared folders."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from pydub import AudioSegment

from audiobrief.cache import Cache, default_cache_dir
from audiobrief.engines.cache import CachedEngine
from support import FakeEngine


class ToneEngine(FakeEngine):
    """Like FakeEngine, but every clip holds text-dependent non-zero samples."""

    name = "tone"

    def synthesize(self, text: str) -> AudioSegment:
        self.calls.append(text)
        seed = hashlib.sha256(text.encode("utf-8")).digest()
        return AudioSegment(data=seed * 40, sample_width=2, frame_rate=22050, channels=1)


def _cached(engine: FakeEngine, tmp_path: Path, **options: object) -> CachedEngine:
    return CachedEngine(engine, Cache(tmp_path / "cache"), {"voice": "ar", **options})


def test_second_call_makes_no_engine_call(tmp_path: Path) -> None:
    engine = FakeEngine()
    cache = _cached(engine, tmp_path)

    first = cache.synthesize("مرحبا")
    second = cache.synthesize("مرحبا")

    assert engine.calls == ["مرحبا"]
    assert (cache.hits, cache.misses) == (1, 1)
    assert second.raw_data == first.raw_data
    assert (second.frame_rate, second.channels, second.sample_width) == (22050, 1, 2)


def test_cached_clip_comes_back_sample_for_sample(tmp_path: Path) -> None:
    engine = ToneEngine()
    made = engine.synthesize("نص")

    _cached(engine, tmp_path).synthesize("نص")
    fresh = _cached(engine, tmp_path)  # a new run: only the files are shared
    again = fresh.synthesize("نص")

    assert again.raw_data == made.raw_data
    assert (fresh.hits, fresh.misses) == (1, 0)
    assert cache_name(tmp_path, fresh, "نص").parent.name == fresh.key("نص")[:2]


def cache_name(tmp_path: Path, cache: CachedEngine, text: str) -> Path:
    path = cache.path(text)
    assert path.parent.parent == tmp_path / "cache" / "clips"
    assert path.name == f"{cache.key(text)}.wav"
    assert path.is_file()
    return path


def test_key_changes_with_text_options_and_engine(tmp_path: Path) -> None:
    base = _cached(FakeEngine(), tmp_path, rate_wpm=165)

    assert base.key("أ") != base.key("ب")
    assert base.key("أ") != _cached(FakeEngine(), tmp_path, rate_wpm=170).key("أ")
    assert base.key("أ") != _cached(ToneEngine(), tmp_path, rate_wpm=165).key("أ")
    reordered = CachedEngine(FakeEngine(), Cache(tmp_path), {"rate_wpm": 165, "voice": "ar"})
    assert base.key("أ") == reordered.key("أ")
    # Harakat are part of the spoken text: a different diacritization is a different clip.
    assert base.key("كتب") != base.key("كَتَبَ")


def test_other_options_miss_the_cache(tmp_path: Path) -> None:
    engine = FakeEngine()

    _cached(engine, tmp_path, pitch=50).synthesize("نص")
    _cached(engine, tmp_path, pitch=60).synthesize("نص")

    assert engine.calls == ["نص", "نص"]


def test_least_recently_used_clips_are_pruned_first(tmp_path: Path) -> None:
    engine = FakeEngine()
    entry_bytes = 44 + 2 * 2205  # WAV header + 100 ms of 22,050 Hz 16-bit mono
    store = Cache(tmp_path / "c", max_bytes=int(3.5 * entry_bytes))
    cache = CachedEngine(engine, store, {})
    texts = ["aaaaaaaaaa", "bbbbbbbbbb", "cccccccccc", "dddddddddd"]
    for text in texts[:3]:
        cache.synthesize(text)
    # a oldest, c newest; all older than the hour in which an entry counts as in use
    for age_s, text in zip((3 * 3600, 2 * 3600, 3600 + 60), texts[:3], strict=True):
        old = cache.path(text).stat().st_mtime - age_s
        os.utime(cache.path(text), (old, old))

    cache.synthesize(texts[0])  # a hit makes "a" the most recently used
    cache.synthesize(texts[3])  # the fourth clip passes max_bytes

    assert [cache.path(t).exists() for t in texts] == [True, False, True, True]
    assert store.info().size_bytes <= 3.5 * entry_bytes
    assert engine.calls == ["aaaaaaaaaa", "bbbbbbbbbb", "cccccccccc", "dddddddddd"]


def test_pruning_removes_abandoned_temporary_files_only(tmp_path: Path) -> None:
    cache = CachedEngine(FakeEngine(), Cache(tmp_path / "c", max_bytes=1), {})
    cache.synthesize("a")
    folder = cache.path("a").parent
    abandoned, in_progress = folder / ".x.wav.dead.tmp", folder / ".x.wav.live.tmp"
    abandoned.write_bytes(b"RIFF")
    in_progress.write_bytes(b"RIFF")
    old = cache.path("a").stat().st_mtime - 7200
    os.utime(abandoned, (old, old))

    cache.synthesize("b")

    assert not abandoned.exists()
    assert in_progress.exists()


@pytest.mark.parametrize("damage", ["truncate", "garbage", "empty"])
def test_corrupt_entry_is_a_miss_and_is_replaced(tmp_path: Path, damage: str) -> None:
    engine = ToneEngine()
    cache = _cached(engine, tmp_path)
    good = cache.synthesize("نص")
    path = cache.path("نص")
    data = path.read_bytes()
    path.write_bytes(
        {"truncate": data[: len(data) // 2], "garbage": b"x" * 100, "empty": b""}[damage]
    )

    assert cache.synthesize("نص").raw_data == good.raw_data
    assert path.read_bytes() == data  # rewritten whole
    assert cache.synthesize("نص").raw_data == good.raw_data
    assert (len(engine.calls), cache.hits, cache.misses) == (2, 1, 2)


def test_unwritable_cache_still_speaks(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("", encoding="utf-8")
    engine = FakeEngine()
    cache = CachedEngine(engine, Cache(blocker), {})

    assert len(cache.synthesize("نص")) == 20
    assert len(cache.synthesize("نص")) == 20
    assert engine.calls == ["نص", "نص"]


WORKER = textwrap.dedent("""
    import hashlib, sys
    from pathlib import Path
    from pydub import AudioSegment
    from audiobrief.cache import Cache
    from audiobrief.engines.cache import CachedEngine

    class Tone:
        name = "tone"
        max_concurrency = 1
        def synthesize(self, text):
            seed = hashlib.sha256(text.encode("utf-8")).digest()
            return AudioSegment(data=seed * 400, sample_width=2, frame_rate=22050, channels=1)

    cache = CachedEngine(Tone(), Cache(Path(sys.argv[1]), 10**9), {"voice": "ar"})
    for round_ in range(3):
        for i in range(40):
            cache.synthesize(f"جملة رقم {i}")
    print(cache.hits + cache.misses)
""")


def test_two_processes_sharing_the_cache_leave_one_intact_entry_per_key(tmp_path: Path) -> None:
    folder = tmp_path / "shared"
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, str(folder)], stdout=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    outputs = [worker.communicate(timeout=120)[0] for worker in workers]

    assert [w.returncode for w in workers] == [0, 0]
    assert [out.strip() for out in outputs] == ["120", "120"]
    reader = CachedEngine(ToneEngine(), Cache(folder), {"voice": "ar"})
    for i in range(40):
        text = f"جملة رقم {i}"
        expected = hashlib.sha256(text.encode("utf-8")).digest() * 400
        assert reader.synthesize(text).raw_data == expected
    assert reader.misses == 0
    assert Cache(folder).info().entries == {"clips": 40}
    assert not [p for p in folder.rglob("*") if p.name.endswith(".tmp")]


@pytest.mark.parametrize(
    ("xdg", "expected"),
    [
        ("/var/cache/me", Path("/var/cache/me/audiobrief")),
        (None, Path("/home/u/.cache/audiobrief")),
        ("", Path("/home/u/.cache/audiobrief")),
        ("relative/cache", Path("/home/u/.cache/audiobrief")),  # the XDG spec says ignore it
    ],
)
def test_default_cache_dir_follows_xdg(xdg: str | None, expected: Path) -> None:
    assert default_cache_dir(xdg, Path("/home/u")) == expected
