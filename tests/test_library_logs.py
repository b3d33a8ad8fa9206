"""Library log lines (trafilatura's, onnxruntime's) never reach the terminal before Error:."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from audiobrief.engines.piper_engine import PiperEngine
from audiobrief.text.diacritize import Diacritizer
from support import needs_piper
from test_piper_engine import write_voice

ort = pytest.importorskip("onnxruntime")
onnx = pytest.importorskip("onnx")


def test_page_that_trafilatura_cannot_parse_prints_only_the_error_line(tmp_path: Path) -> None:
    # In-process CLI tests cannot see this: pytest's log capture replaces the stderr handler.
    (tmp_path / "empty.html").write_text("<!-- -->", encoding="utf-8")
    command = [sys.executable, "-c", "from audiobrief.cli import cli; cli()"]
    done = subprocess.run(
        [*command, "speak", "empty.html", "-o", "out"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1
    assert done.stderr.startswith("Error: empty.html: ")
    assert len(done.stderr.splitlines()) == 1


def test_debug_still_shows_the_libraries_records(tmp_path: Path) -> None:
    (tmp_path / "empty.html").write_text("<!-- -->", encoding="utf-8")
    command = [sys.executable, "-c", "from audiobrief.cli import cli; cli()", "--debug"]
    done = subprocess.run(
        [*command, "speak", "empty.html", "-o", "out"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "empty HTML tree" in done.stderr


def _failing_session() -> Any:
    """An ONNX model whose run fails inside onnxruntime (a 4-value tensor reshaped to 3)."""
    helper = onnx.helper
    graph = helper.make_graph(
        [helper.make_node("Reshape", ["x", "shape"], ["y"])],
        "reshape",
        [helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, [None])],
        [helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, None)],
        [helper.make_tensor("shape", onnx.TensorProto.INT64, [1], [3])],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    return ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])


@pytest.fixture
def loud_onnxruntime() -> Iterator[None]:
    """onnxruntime's default severity (warning) before and after: the setting is global."""
    ort.set_default_logger_severity(2)
    yield
    ort.set_default_logger_severity(2)


def _run_failing_model() -> None:
    # onnxruntime's errors (Fail, InvalidArgument...) share no base but Exception.
    with pytest.raises(Exception, match="Reshape"):
        _failing_session().run(None, {"x": np.zeros(4, np.float32)})


def test_onnxruntime_would_print_its_errors(
    loud_onnxruntime: None, capfd: pytest.CaptureFixture[str]
) -> None:
    # The premise of the two tests below: without the adapters' setting, it prints.
    _run_failing_model()
    assert "onnxruntime" in capfd.readouterr().err


def test_diacritizer_keeps_onnxruntime_quiet(
    loud_onnxruntime: None, capfd: pytest.CaptureFixture[str]
) -> None:
    Diacritizer()("كتب الولد الدرس")
    _run_failing_model()
    assert capfd.readouterr().err == ""


@needs_piper
def test_piper_engine_keeps_onnxruntime_quiet(
    loud_onnxruntime: None, capfd: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    model = write_voice(tmp_path / "voices")
    PiperEngine(model=str(model))
    _run_failing_model()
    assert capfd.readouterr().err == ""
