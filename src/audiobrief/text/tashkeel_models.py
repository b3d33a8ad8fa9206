"""Text stage: the diacritizer models, which one "auto" takes, and loading one.

The models run on onnxruntime through text2tashkeel; piper-tashkeel is piper-tts's copy
of libtashkeel's model, registered with text2tashkeel under a name of its own.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import logging
import os
import platform
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from audiobrief.cache import Cache
from audiobrief.errors import EngineUnavailableError, onnxruntime_errors
from audiobrief.store import digest

logger = logging.getLogger(__name__)

Model = Callable[[str], str]

OPTIMIZED = "models"
"""The cache folder's kind for models as onnxruntime optimized them."""

PIPER_TASHKEEL = "piper-tashkeel"
"""libtashkeel's ONNX model as shipped inside the piper-tts wheel (GPL-3.0-or-later)."""
TEXT2TASHKEEL_MODELS = (
    "rawi-ensemble",
    "rawi-v3-int8",
    "rawi-v2-int8",
    "rawi-v2-int8+rawi-v3-int8",
    "rawi-v2-int8+rawi-int8",
    "rawi-int8",
    "bilstm-int8",
    "bilstm-int8+rawi-int8",
)
"""text2tashkeel models whose weights ship in its wheel; the others download at run time."""
MODELS = (PIPER_TASHKEEL, *TEXT2TASHKEEL_MODELS)
# "auto" takes the first installed one. On the WikiNews 2014 gold (bench/diacritization.py)
# piper-tashkeel scores DER 2.4% with case endings, rawi-ensemble 4.3% after the letter guard.
_AUTO_ORDER = (PIPER_TASHKEEL, "rawi-ensemble")


def installed_models() -> list[str]:
    """The models of MODELS that can load on this machine, best first."""
    return [name for name in MODELS if _installed(name)]


def resolve(requested: str) -> str:
    if requested != "auto":
        return requested
    for name in _AUTO_ORDER:
        if _installed(name):
            return name
    raise EngineUnavailableError(
        "diacritizer", "no diacritizer model is installed; run: pip install text2tashkeel"
    )


def _installed(name: str) -> bool:
    if name == PIPER_TASHKEEL:
        return piper_tashkeel_dir() is not None
    return importlib.util.find_spec("text2tashkeel") is not None


def piper_tashkeel_dir() -> Path | None:
    # Only the model files of piper-tts are used, never its code: piper is an engine
    # library and loads only with its engine. find_spec locates it without importing it.
    spec = importlib.util.find_spec("piper")
    for root in (spec.submodule_search_locations or []) if spec else []:
        folder = Path(root) / "tashkeel"
        if (folder / "model.onnx").is_file():
            return folder
    return None


def load_model(name: str, cache: Cache | None = None) -> Model:
    """The model's diacritize function, its session built now (a broken file fails here).

    With *cache*, piper-tashkeel is loaded from its optimized copy there (_optimized).
    """
    try:
        import text2tashkeel
    except ImportError as exc:
        raise EngineUnavailableError(
            "diacritizer", "text2tashkeel is not installed; run: pip install text2tashkeel"
        ) from exc
    # onnxruntime prints its own coloured error lines to stderr before raising; the
    # exception carries the same message into EngineError, so only fatal ones may print.
    importlib.import_module("onnxruntime").set_default_logger_severity(4)
    if name == PIPER_TASHKEEL:
        kept = _register_piper_tashkeel(text2tashkeel, cache)
        if kept is not None:
            try:
                return _session(text2tashkeel, name)
            except EngineUnavailableError:  # a damaged copy (a power cut): the original
                logger.warning("the optimized %s in %s is unusable; removed", name, kept)
                kept.unlink(missing_ok=True)
                _register_piper_tashkeel(text2tashkeel, None)
    return _session(text2tashkeel, name)


def _session(text2tashkeel: Any, name: str) -> Model:
    try:
        with _one_onnx_thread():
            model = text2tashkeel.Diacritizer(name)
            _ = model.backend  # build the ONNX session now, so a broken file fails at load
    except model_errors() as exc:
        raise EngineUnavailableError(
            "diacritizer", f"cannot load model {name} ({exc}); reinstall text2tashkeel."
        ) from exc
    diacritize: Model = model.diacritize
    return diacritize


@contextmanager
def _one_onnx_thread() -> Iterator[None]:
    """Sessions built inside get one intra-op thread (text2tashkeel's knob is a variable).

    Its default pool spins after every call (one per sentence piece), burning the CPU of
    speak's other worker: a cold 6-article speak took 6.2 CPU seconds, not 7.7 (2 cores).
    A value the user set is kept: on a machine with cores to spare it may be faster.
    """
    if "TT_ORT_THREADS" in os.environ:
        yield
        return
    os.environ["TT_ORT_THREADS"] = "1"
    try:
        yield
    finally:
        os.environ.pop("TT_ORT_THREADS", None)


def _register_piper_tashkeel(text2tashkeel: Any, cache: Cache | None) -> Path | None:
    """Register piper's model with text2tashkeel; the optimized copy used, if one."""
    folder = piper_tashkeel_dir()
    if folder is None:
        raise EngineUnavailableError(
            "diacritizer",
            f"model {PIPER_TASHKEEL} needs piper-tts; run: pip install piper-tts"
            " or choose the model rawi-ensemble.",
        )
    # text2tashkeel decodes libtashkeel models and bundles the same id maps as piper;
    # its "libtashkeel" name would download, so the piper copy gets a name of its own.
    maps = Path(text2tashkeel.__file__).parent / "models" / "libtashkeel.maps.json"
    try:
        ours = json.loads(maps.read_text(encoding="utf-8"))
        theirs = {
            key: json.loads((folder / f"{key}_id_map.json").read_text(encoding="utf-8"))
            for key in ("input", "hint", "target")
        }
    except (OSError, ValueError) as exc:
        raise EngineUnavailableError(
            "diacritizer", f"cannot read the {PIPER_TASHKEEL} maps ({exc}); reinstall piper-tts."
        ) from exc
    if any(ours.get(key) != value for key, value in theirs.items()):
        # Other ids would silently put every mark on the wrong letter.
        raise EngineUnavailableError(
            "diacritizer",
            f"this piper-tts ships {PIPER_TASHKEEL} maps that text2tashkeel does not decode;"
            " choose the model rawi-ensemble.",
        )
    original = folder / "model.onnx"
    model = _optimized(original, cache)
    text2tashkeel.register_model(PIPER_TASHKEEL, model, maps, arch="libtashkeel")
    return None if model == original else model


def model_errors() -> tuple[type[BaseException], ...]:
    return (OSError, RuntimeError, ValueError, LookupError, ImportError, *onnxruntime_errors())


def _optimized(model: Path, cache: Cache | None) -> Path:
    """*model* as onnxruntime optimizes its graph at every load, kept in *cache*.

    Optimizing took 30 ms of the 56 ms a session took to build, every run; built on the
    optimized copy, a session takes 26 ms and gives the same marks (checked on the
    corpus). Extended optimizations only: the full level would tie the file to this CPU.
    The entry is keyed by the model file and the onnxruntime version, and lives in this
    machine's folder only (the caller's cache has no shared tier).
    """
    if cache is None:
        return model
    onnxruntime = importlib.import_module("onnxruntime")  # untyped: kept as Any
    stat = model.stat()
    made_from = {"model": str(model), "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}
    # The machine too: a cache folder on a share may be read by another kind of CPU.
    key = digest({**made_from, "onnxruntime": onnxruntime.__version__, "cpu": platform.machine()})
    found = cache.find(OPTIMIZED, key, ".onnx")
    if found is not None:
        return found
    folder = cache.work_dir()
    try:
        work = folder / model.name
        options = onnxruntime.SessionOptions()
        options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_EXTENDED
        options.optimized_model_filepath = str(work)
        with _one_onnx_thread():
            onnxruntime.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])
        with work.open("rb+") as written:  # whole on disk before the entry names it
            os.fsync(written.fileno())
        return cache.put(OPTIMIZED, key, ".onnx", work, quiet=True) or model
    except model_errors() as exc:
        logger.debug("cannot keep an optimized %s (%s); loading the original", model, exc)
        return model
    finally:
        shutil.rmtree(folder, ignore_errors=True)
