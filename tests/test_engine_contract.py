"""The engine contract: what TTSEngine and EngineClass declare is what engines provide."""

from __future__ import annotations

import importlib.metadata
import subprocess
import sys
import threading
import time
from importlib.metadata import EntryPoint
from pathlib import Path
from typing import Any

import pytest
from pydub import AudioSegment

from audiobrief import engines
from audiobrief.cache import Cache
from audiobrief.engines.base import EngineClass, TTSEngine
from audiobrief.engines.batch import synthesize_all
from audiobrief.engines.cache import CachedEngine
from audiobrief.errors import ArticleError, EngineError, onnxruntime_errors
from support import FakeEngine

ENGINE_MEMBERS = ("name", "max_concurrency", "synthesize")


def _members(protocol: type) -> set[str]:
    declared = set(protocol.__annotations__) | {
        name for name, value in vars(protocol).items() if callable(value) and name[0] != "_"
    }
    return declared


def test_the_protocols_declare_what_the_pipeline_asks_of_engines() -> None:
    assert _members(TTSEngine) == set(ENGINE_MEMBERS)
    assert "unavailable_reason" in _members(EngineClass)


@pytest.mark.parametrize(
    ("name", "options", "expected"),
    [
        ("espeak", {"voice": "ar"}, None),
        ("espeak", {"voice": "zz", "route": "lib"}, "zz"),  # a system program skips the check
        ("gtts", {}, "no network"),  # the tests block the network
        ("piper", {"model": "missing.onnx"}, "missing.onnx"),
    ],
)
def test_the_registry_asks_each_builtin_engine_class_why_it_cannot_run(
    name: str, options: dict[str, Any], expected: str | None
) -> None:
    reason = engines.unavailable_reason(name, options)
    if expected is None:
        assert reason is None
    else:
        assert reason is not None
        assert expected in reason


@pytest.mark.parametrize(("name", "options"), [("espeak", {}), ("gtts", {"concurrency": 3})])
def test_builtin_engines_have_every_member_of_the_protocol(
    name: str, options: dict[str, Any]
) -> None:
    engine = engines.load_engine(name, **options)
    for member in ENGINE_MEMBERS:
        assert hasattr(engine, member), member
    assert engine.name == name
    assert engine.max_concurrency == options.get("concurrency", 1)


def test_a_plugin_class_is_asked_its_own_unavailable_reason(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    plugin = EntryPoint("probe", "test_engine_contract:ProbeEngine", engines.GROUP)
    monkeypatch.setattr(engines, "_plugins", lambda: [plugin])
    assert engines.unavailable_reason("probe", {"level": 2}) == "level 2 is not wired here"
    assert engines.unavailable_reason("probe", {"level": 1}) is None


class ProbeEngine(FakeEngine):
    """A plugin engine that can run only at level 1."""

    name = "probe"

    def __init__(self, *, level: int = 1) -> None:
        super().__init__()
        self.level = level

    @classmethod
    def unavailable_reason(cls, **options: Any) -> str | None:
        level = options.get("level", 1)
        return None if level == 1 else f"level {level} is not wired here"


class _Overlap(FakeEngine):
    """Records how many synthesize() calls ran at the same time."""

    def __init__(self, max_concurrency: int) -> None:
        super().__init__()
        self.max_concurrency = max_concurrency
        self.running = self.most = 0
        self._lock = threading.Lock()

    def synthesize(self, text: str) -> AudioSegment:
        with self._lock:
            self.running += 1
            self.most = max(self.most, self.running)
        time.sleep(0.02)
        with self._lock:
            self.running -= 1
        return super().synthesize(text)


@pytest.mark.parametrize("limit", [1, 3])
def test_max_concurrency_bounds_the_calls_in_flight_also_through_the_cache(
    limit: int, tmp_path: Any
) -> None:
    engine = _Overlap(limit)
    cached = CachedEngine(engine, Cache(tmp_path), {"v": 1})
    assert cached.max_concurrency == limit
    synthesize_all(cached, [f"نص {i}" for i in range(8)])
    assert engine.most == limit


def test_article_errors_carry_their_parts() -> None:
    error = ArticleError("news.txt", "the file is empty")
    assert (error.source, error.reason) == ("news.txt", "the file is empty")
    assert str(error) == "news.txt: the file is empty"


def test_engine_errors_carry_their_parts() -> None:
    error = EngineError("gtts", "Google's voice did not answer")
    assert (error.engine, error.reason) == ("gtts", "Google's voice did not answer")
    assert str(error) == "gtts engine: Google's voice did not answer"


def test_onnxruntime_errors_are_its_own_classes_never_exception_itself() -> None:
    from onnxruntime.capi.onnxruntime_pybind11_state import Fail, InvalidArgument

    errors = onnxruntime_errors()
    assert {Fail, InvalidArgument} <= set(errors)
    assert Exception not in errors


def test_a_builtin_engine_loads_without_reading_package_metadata() -> None:
    # Scanning every installed package for plugins cost each speak and brief 20 ms.
    code = (
        "import sys; from audiobrief import engines; engines.load_engine('espeak'); "
        "print('importlib.metadata' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)

    assert done.stdout.strip() == "False"


def test_a_plugin_cannot_take_a_builtin_name(monkeypatch: pytest.MonkeyPatch) -> None:
    impostor = EntryPoint("espeak", "test_engine_contract:ProbeEngine", engines.GROUP)
    monkeypatch.setattr(importlib.metadata, "entry_points", lambda group: [impostor])

    assert engines._plugins() == []
    assert type(engines.load_engine("espeak")).__name__ == "EspeakEngine"


class _Quick(FakeEngine):
    """An engine quicker than the cache: its clips are not kept."""

    keeps_clips = False


def test_an_engine_quicker_than_the_cache_is_asked_every_time_and_writes_no_clip(
    tmp_path: Path,
) -> None:
    quick, kept = _Quick(), FakeEngine()
    cached_quick = CachedEngine(quick, Cache(tmp_path / "q"), {"engine": "fake"})
    cached_kept = CachedEngine(kept, Cache(tmp_path / "k"), {"engine": "fake"})
    for engine in (cached_quick, cached_kept):
        engine.synthesize("نص")
        engine.synthesize("نص")

    assert quick.calls == ["نص", "نص"]
    assert kept.calls == ["نص"]
    assert not list((tmp_path / "q").rglob("*.wav"))
    assert len(list((tmp_path / "k").rglob("*.wav"))) == 1
    # Its clips keep their keys: they name the episodes the episode cache keeps.
    assert cached_quick.key("نص") == cached_kept.key("نص")


@pytest.mark.skipif(
    engines.unavailable_reason("espeak", {}) is not None, reason="eSpeak NG is not usable here"
)
def test_espeak_clips_stay_out_of_the_cache() -> None:
    assert engines.load_engine("espeak").keeps_clips is False  # type: ignore[attr-defined]
