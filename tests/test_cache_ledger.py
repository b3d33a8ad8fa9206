"""The cache folder's size ledger: a command's first write reads it instead of walking."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from audiobrief import cache as cache_module
from audiobrief import cache_ledger
from audiobrief.cache import Cache, open_cache
from audiobrief.config import Settings
from audiobrief.voice import open_voice
from audiobrief.voice.pool import render_sources

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def walks(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Every walk of a whole cache folder for its size."""
    walked: list[Path] = []
    real = cache_module._total

    def counting(folder: Path) -> int:
        walked.append(folder)
        return real(folder)

    monkeypatch.setattr(cache_module, "_total", counting)
    return walked


def _fill(folder: Path, entries: int, size: int = 1000) -> None:
    for k in range(entries):
        path = folder / "clips" / f"{k:02x}"[:2] / f"{k:064x}.wav"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(bytes(size))


def _on_disk(folder: Path) -> int:
    """What the cache holds: every file but the ledger."""
    ledger = folder / cache_ledger.LEDGER
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and p != ledger)


def test_only_the_first_process_walks_the_folder_the_next_ones_read_the_ledger(
    tmp_path: Path, walks: list[Path]
) -> None:
    folder = tmp_path / "c"
    _fill(folder, 50)
    first = Cache(folder, max_bytes=10**9)
    first.put("clips", "a" * 64, ".wav", bytes(500))
    assert walks == [folder]
    first.save_size()

    later = Cache(folder, max_bytes=10**9)  # another command, the next day
    later.put("clips", "b" * 64, ".wav", bytes(700))
    later.save_size()
    assert walks == [folder]  # read, not walked
    assert cache_ledger.read(folder) == _on_disk(folder)


@pytest.mark.parametrize("ledger", [b"", b"garbage\n", b"12 34 56\n", b"-5 1\n", "stale"])
def test_a_missing_damaged_or_stale_ledger_means_a_walk(
    tmp_path: Path, walks: list[Path], ledger: bytes | str
) -> None:
    folder = tmp_path / "c"
    _fill(folder, 5)
    day_old = time.time() - cache_ledger.WALK_EVERY_S - 60
    content = f"123 {day_old:.0f}\n".encode() if ledger == "stale" else ledger
    (folder / cache_ledger.LEDGER).write_bytes(content)  # type: ignore[arg-type]

    Cache(folder, max_bytes=10**9).put("clips", "a" * 64, ".wav", bytes(10))

    assert walks == [folder]
    assert cache_ledger.read(folder) == _on_disk(folder)


def test_the_ledger_is_no_entry_and_goes_with_clear(tmp_path: Path) -> None:
    folder = tmp_path / "c"
    cache = Cache(folder, max_bytes=10**9)
    cache.put("clips", "a" * 64, ".wav", bytes(10))
    assert (folder / cache_ledger.LEDGER).is_file()
    assert cache.info().entries == {"clips": 1}
    assert cache.clear() == 1
    assert not (folder / cache_ledger.LEDGER).exists()


def test_a_ledger_that_says_the_cache_is_full_prunes_it_and_is_walked_anew(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "c"
    _fill(folder, 40)
    old = time.time() - 3 * 3600  # not in use: prunable
    for path in folder.rglob("*.wav"):
        os.utime(path, (old, old))
    cache_ledger.walked(folder, 40_000)
    cache = Cache(folder, max_bytes=20_000)

    cache.put("clips", "f" * 64, ".wav", bytes(1000))

    assert _on_disk(folder) <= 20_000 * 0.9
    assert cache_ledger.read(folder) == _on_disk(folder)


def test_a_forked_worker_adds_its_own_writes_not_its_parent_s(tmp_path: Path) -> None:
    folder = tmp_path / "c"
    cache = Cache(folder, max_bytes=10**9)
    cache.put("clips", "a" * 64, ".wav", bytes(100))  # walks: the ledger starts at 100
    cache.put("clips", "b" * 64, ".wav", bytes(1000))  # the parent's, not added yet
    child = os.fork()
    if child == 0:  # pragma: no cover - the child's exit status is the result
        cache.put("clips", "c" * 64, ".wav", bytes(10))
        cache.save_size()
        os._exit(0)
    assert os.waitpid(child, 0)[1] == 0
    cache.save_size()
    assert cache_ledger.read(folder) == 1110


WRITER = textwrap.dedent("""
    import sys
    from pathlib import Path
    from audiobrief import cache_ledger
    from audiobrief.cache import Cache
    cache_ledger.SAVE_EVERY_BYTES = 1  # every write is added at once: the most contention
    cache = Cache(Path(sys.argv[1]), max_bytes=10**9)
    for k in range(200):
        cache.put("marks", f"{sys.argv[2]}{k:063x}", ".json", bytes(k + 1))
""")


def test_two_processes_writing_at_once_both_have_their_writes_counted(tmp_path: Path) -> None:
    folder = tmp_path / "c"
    _fill(folder, 3)
    cache_ledger.walked(folder, 3000)
    writers = [subprocess.Popen([sys.executable, "-c", WRITER, str(folder), tag]) for tag in "ab"]
    assert [w.wait(timeout=120) for w in writers] == [0, 0]
    assert cache_ledger.read(folder) == 3000 + 2 * sum(range(1, 201))


def test_the_writes_of_speak_s_worker_processes_are_counted(tmp_path: Path) -> None:
    # Workers end without running exit handlers: each adds its writes after each episode.
    shutil.copytree(REPO / "voices", tmp_path / "voices")
    folder = tmp_path / "cache"
    folder.mkdir()
    cache_ledger.walked(folder, 0)  # no walk during the run: the figure is all additions
    settings = Settings(voices_dir=tmp_path / "voices", cache_dir=folder)
    sources = []
    for k, title in enumerate(("الخبر الأول عن المدينة", "الخبر الثاني", "الخبر الثالث")):
        path = tmp_path / f"{k}.txt"
        path.write_text(f"{title}\n\nقال المسؤول إن العمل مستمر في المدينة.\n", encoding="utf-8")
        sources.append(str(path))
    made = tmp_path / "made"
    made.mkdir()

    results = list(render_sources(sources, open_voice(settings), settings, folder=made))

    assert all(not isinstance(result, Exception) for _, result in results)
    open_cache(folder, settings.cache_max_mb).save_size()  # this process's, as at its exit
    assert cache_ledger.read(folder) == _on_disk(folder)
