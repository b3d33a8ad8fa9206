"""Piper engine: the whole path offline, through a tiny Piper-shaped model made in the test."""

from __future__ import annotations

import functools
import importlib.util
import json
import math
from pathlib import Path
from typing import Any

import pytest

from audiobrief.engines import load_engine
from audiobrief.engines.piper_engine import PiperEngine, model_paths
from audiobrief.errors import ConfigError, EngineError, EngineUnavailableError
from support import needs_piper

RATE_HZ = 16000
HOP = 256  # samples per phoneme id at length_scale 1, like a real voice's hop length
SENTENCE = "مرحبا بكم في موجز الأخبار."


@functools.cache
def tiny_model(speakers: int = 1) -> bytes:
    """An ONNX graph with Piper's inputs: a 440 Hz tone, HOP samples per phoneme id.

    The tone's length follows scales[1] (length_scale), its pitch the speaker id + 1.
    """
    onnx = pytest.importorskip("onnx", reason="the onnx package builds the test voice")
    helper, tp = onnx.helper, onnx.TensorProto

    def const(name: str, value: Any, kind: int, dims: tuple[int, ...] = ()) -> Any:
        values = value if isinstance(value, list) else [value]
        tensor = helper.make_tensor(name, kind, dims, values)
        return helper.make_node("Constant", [], [name], value=tensor)

    radians_per_sample = 2 * math.pi * 440 / RATE_HZ
    nodes = [
        const("one_i", 1, tp.INT64),
        const("zero_i", 0, tp.INT64),
        const("hop", float(HOP), tp.FLOAT),
        const("step", radians_per_sample, tp.FLOAT),
        const("half", 0.5, tp.FLOAT),
        const("out_shape", [1, 1, -1], tp.INT64, (3,)),
        helper.make_node("Shape", ["input"], ["in_shape"]),
        helper.make_node("Gather", ["in_shape", "one_i"], ["ids"], axis=0),
        helper.make_node("Cast", ["ids"], ["ids_f"], to=tp.FLOAT),
        helper.make_node("Gather", ["scales", "one_i"], ["length_scale"], axis=0),
        helper.make_node("Mul", ["ids_f", "hop"], ["samples_1x"]),
        helper.make_node("Mul", ["samples_1x", "length_scale"], ["samples_f"]),
        helper.make_node("Cast", ["samples_f"], ["samples"], to=tp.INT64),
        helper.make_node("Range", ["zero_i", "samples", "one_i"], ["index"]),
        helper.make_node("Cast", ["index"], ["index_f"], to=tp.FLOAT),
        helper.make_node("Mul", ["index_f", "step"], ["phase_1"]),
    ]
    inputs = [
        helper.make_tensor_value_info("input", tp.INT64, [1, "phonemes"]),
        helper.make_tensor_value_info("input_lengths", tp.INT64, [1]),
        helper.make_tensor_value_info("scales", tp.FLOAT, [3]),
    ]
    if speakers > 1:
        inputs.append(helper.make_tensor_value_info("sid", tp.INT64, [1]))
        nodes += [
            helper.make_node("Add", ["sid", "one_i"], ["pitch_i"]),
            helper.make_node("Cast", ["pitch_i"], ["pitch"], to=tp.FLOAT),
            helper.make_node("Mul", ["phase_1", "pitch"], ["phase"]),
        ]
    else:
        nodes.append(helper.make_node("Identity", ["phase_1"], ["phase"]))
    nodes += [
        helper.make_node("Sin", ["phase"], ["wave"]),
        helper.make_node("Mul", ["wave", "half"], ["quiet"]),
        helper.make_node("Reshape", ["quiet", "out_shape"], ["output"]),
    ]
    output = helper.make_tensor_value_info("output", tp.FLOAT, [1, 1, "samples"])
    graph = helper.make_graph(nodes, "tiny_piper", inputs, [output])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8  # old enough for any onnxruntime Piper supports
    onnx.checker.check_model(model)
    serialized: bytes = model.SerializeToString()
    return serialized


def tiny_config(speakers: int = 1, **changes: Any) -> dict[str, Any]:
    from piper.phoneme_ids import DEFAULT_PHONEME_ID_MAP

    config: dict[str, Any] = {
        "audio": {"sample_rate": RATE_HZ},
        "espeak": {"voice": "ar"},  # Piper then runs its own Arabic tashkeel
        "phoneme_type": "espeak",
        "num_symbols": len(DEFAULT_PHONEME_ID_MAP),
        "num_speakers": speakers,
        "inference": {"noise_scale": 0.667, "length_scale": 1.0, "noise_w": 0.8},
        "phoneme_id_map": DEFAULT_PHONEME_ID_MAP,
        "piper_version": "1.0.0",
    }
    config.update(changes)
    return config


def write_voice(
    folder: Path, name: str = "ar_test-tiny.onnx", speakers: int = 1, **changes: Any
) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    model = folder / name
    model.write_bytes(tiny_model(speakers))
    config = tiny_config(speakers, **changes)
    Path(f"{model}.json").write_text(json.dumps(config, ensure_ascii=False), encoding="utf-8")
    return model


@pytest.fixture
def voices(tmp_path: Path) -> Path:
    folder = tmp_path / "voices"
    write_voice(folder)
    return folder


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> PiperEngine:
    """One loaded voice for tests that only speak: Piper's tashkeel loads once (~0.4 s)."""
    folder = tmp_path_factory.mktemp("voices")
    write_voice(folder)
    return PiperEngine(model="ar_test-tiny.onnx", voices_dir=str(folder))


# --- the whole path through a real Piper ------------------------------------------------


@needs_piper
def test_tiny_voice_speaks_arabic_offline(engine: PiperEngine) -> None:
    clip = engine.synthesize(SENTENCE)
    assert clip.frame_rate == RATE_HZ
    assert clip.channels == 1
    assert clip.sample_width == 2
    assert len(clip) > 500  # about 2 * 25 letters' phonemes * 16 ms each
    assert clip.max > 30000  # Piper scales each sentence to full range


@needs_piper
def test_length_scale_reaches_the_model(engine: PiperEngine) -> None:
    normal = engine.synthesize(SENTENCE)
    slow = PiperEngine(model=str(engine.model_path), length_scale=2.0)
    assert abs(slow.synthesize(SENTENCE).frame_count() - 2 * normal.frame_count()) <= 2


@needs_piper
def test_speaker_reaches_a_multi_speaker_model(tmp_path: Path) -> None:
    # An English espeak voice skips Piper's Arabic tashkeel: two engines load faster.
    model = write_voice(tmp_path / "voices", speakers=2, espeak={"voice": "en-us"})
    first = PiperEngine(model=str(model), speaker=0).synthesize("one two three")
    second = PiperEngine(model=str(model), speaker=1).synthesize("one two three")
    assert first.frame_count() == second.frame_count()
    assert first.raw_data != second.raw_data  # the second speaker is an octave higher


@needs_piper
def test_speaker_outside_the_model_is_a_config_error(voices: Path) -> None:
    with pytest.raises(ConfigError, match=r"speaker 3 .* 1 speaker\(s\); use a number from 0 to 0"):
        PiperEngine(model="ar_test-tiny.onnx", voices_dir=voices, speaker=3)


@needs_piper
def test_text_with_nothing_to_say_gives_an_empty_clip(engine: PiperEngine) -> None:
    assert len(engine.synthesize("  ")) == 0


@needs_piper
def test_registry_builds_the_engine_from_profile_options(voices: Path) -> None:
    engine = load_engine("piper", model="ar_test-tiny.onnx", voices_dir=str(voices))
    assert isinstance(engine, PiperEngine)
    assert engine.sample_rate_hz == RATE_HZ


@needs_piper
def test_config_with_a_separate_name_is_found_under_voices_dir(voices: Path) -> None:
    (voices / "ar_test-tiny.onnx.json").rename(voices / "tiny.json")
    engine = PiperEngine(model="ar_test-tiny.onnx", voices_dir=voices, config="tiny.json")
    assert engine.sample_rate_hz == RATE_HZ


# --- failures become our errors, with the fix -------------------------------------------


@needs_piper
def test_missing_model_is_unavailable_with_the_fix(tmp_path: Path) -> None:
    with pytest.raises(EngineUnavailableError) as caught:
        PiperEngine(model="ar_JO-kareem-medium.onnx", voices_dir=tmp_path / "voices")
    message = str(caught.value)
    assert message.startswith("piper engine: the Piper model file ")
    assert "ar_JO-kareem-medium.onnx and ar_JO-kareem-medium.onnx.json" in message
    assert "never downloads" in message


@needs_piper
def test_missing_config_is_unavailable(voices: Path) -> None:
    (voices / "ar_test-tiny.onnx.json").unlink()
    reason = PiperEngine.unavailable_reason(model="ar_test-tiny.onnx", voices_dir=voices)
    assert reason is not None
    assert "config file" in reason
    assert "ar_test-tiny.onnx.json" in reason


@needs_piper
def test_unavailable_reason_is_none_for_a_complete_voice(voices: Path) -> None:
    assert PiperEngine.unavailable_reason(model="ar_test-tiny.onnx", voices_dir=voices) is None


def test_profile_without_a_model_is_reported() -> None:
    reason = PiperEngine.unavailable_reason()
    assert reason is not None
    assert 'model = "ar_JO-kareem-medium.onnx"' in reason


@needs_piper
def test_corrupt_model_is_unavailable(voices: Path) -> None:
    (voices / "ar_test-tiny.onnx").write_bytes(b"not an onnx model")
    with pytest.raises(EngineUnavailableError, match="is not a usable Piper voice"):
        PiperEngine(model="ar_test-tiny.onnx", voices_dir=voices)


@needs_piper
def test_failure_inside_piper_is_an_engine_error(tmp_path: Path) -> None:
    from piper.phoneme_ids import DEFAULT_PHONEME_ID_MAP

    no_start = {k: v for k, v in DEFAULT_PHONEME_ID_MAP.items() if k != "^"}
    model = write_voice(tmp_path / "voices", phoneme_id_map=no_start, espeak={"voice": "en-us"})
    engine = PiperEngine(model=str(model))
    with pytest.raises(EngineError, match="failed on «one two three") as caught:
        engine.synthesize("one two three")
    assert not isinstance(caught.value, EngineUnavailableError)


def test_missing_piper_says_to_install_piper_tts(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    real_find_spec = importlib.util.find_spec

    def find_spec(name: str, *args: Any) -> Any:
        return None if name == "piper" else real_find_spec(name, *args)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)
    with pytest.raises(EngineUnavailableError, match=r"pip install piper-tts\.$"):
        PiperEngine(model="voice.onnx", voices_dir=tmp_path)


def test_model_paths_resolve_under_voices_dir_unless_absolute(tmp_path: Path) -> None:
    assert model_paths("v.onnx", tmp_path) == (tmp_path / "v.onnx", tmp_path / "v.onnx.json")
    absolute = tmp_path / "elsewhere" / "v.onnx"
    assert model_paths(str(absolute), "voices")[0] == absolute
    assert model_paths("v.onnx", tmp_path, "c.json")[1] == tmp_path / "c.json"
