"""Piper engine: offline neural voices from a model file the user puts in voices/."""

from __future__ import annotations

import importlib
import importlib.util
import logging
import os
import threading
from pathlib import Path
from typing import Any

from pydub import AudioSegment

from audiobrief.errors import (
    ConfigError,
    EngineError,
    EngineUnavailableError,
    onnxruntime_errors,
)

logger = logging.getLogger(__name__)

EXAMPLE_MODEL = "ar_JO-kareem-medium.onnx"
# piper-tts is one of audiobrief's own dependencies: missing, the install is broken.
_INSTALL_HINT = "Piper is not installed; reinstall audiobrief, or run: pip install piper-tts"


class PiperEngine:
    """A Piper voice (ONNX model + .onnx.json config); never downloads anything.

    Piper diacritizes Arabic itself (its bundled tashkeel runs when the config's
    espeak voice is "ar"), so profiles for this engine set `diacritize = false`.
    """

    name = "piper"
    max_concurrency = 1
    """One synthesis at a time per engine: the model already uses every core."""

    def __init__(
        self,
        *,
        model: str | os.PathLike[str],
        voices_dir: str | os.PathLike[str] | None = None,
        config: str | os.PathLike[str] | None = None,
        speaker: int | None = None,
        length_scale: float | None = None,
        noise_scale: float | None = None,
        noise_w_scale: float | None = None,
        use_cuda: bool = False,
    ) -> None:
        model_path, config_path = model_paths(model, voices_dir, config)
        reason = _missing(model_path, config_path)
        if reason:
            raise EngineUnavailableError(self.name, reason)
        from piper import PiperVoice, SynthesisConfig

        # onnxruntime prints coloured error lines to stderr before raising; EngineError
        # carries the same message, so only fatal ones may print.
        importlib.import_module("onnxruntime").set_default_logger_severity(4)
        try:
            self._voice = PiperVoice.load(
                model_path,
                config_path,
                use_cuda=use_cuda,
                download_dir=model_path.parent,  # Piper defaults to the working directory
            )
        except _library_errors() as exc:
            raise EngineUnavailableError(
                self.name,
                f"{model_path} is not a usable Piper voice ({type(exc).__name__}: {exc}); "
                f"replace it and {config_path.name} with a matching pair of files.",
            ) from exc
        speakers = max(1, int(self._voice.config.num_speakers))
        if speaker is not None and not 0 <= speaker < speakers:
            raise ConfigError(
                f"piper: speaker {speaker} is not in {model_path.name}, which has "
                f"{speakers} speaker(s); use a number from 0 to {speakers - 1}."
            )
        self.model_path = model_path
        self.sample_rate_hz: int = int(self._voice.config.sample_rate)
        self._syn_config = SynthesisConfig(
            speaker_id=speaker,
            length_scale=length_scale,
            noise_scale=noise_scale,
            noise_w_scale=noise_w_scale,
        )
        self._lock = threading.Lock()  # Piper's lazy tashkeel setup is not thread-safe

    @classmethod
    def unavailable_reason(cls, **options: Any) -> str | None:
        """Why this voice cannot run here (Piper or its model missing), or None."""
        model = options.get("model")
        if not model:
            return (
                f'the voice profile names no model; set model = "{EXAMPLE_MODEL}" under '
                "[options] and put the file in voices/."
            )
        model_path, config_path = model_paths(
            model, options.get("voices_dir"), options.get("config")
        )
        return _missing(model_path, config_path)

    def synthesize(self, text: str) -> AudioSegment:
        """Speak *text* with the Piper voice; one mono 16-bit clip at the model's rate."""
        with self._lock:
            try:
                chunks = self._voice.synthesize(text, syn_config=self._syn_config)
                pcm = b"".join(chunk.audio_int16_bytes for chunk in chunks)
            except _library_errors() as exc:
                reason = (
                    f"{self.model_path.name} failed on «{' '.join(text.split()[:6])}» "
                    f"({type(exc).__name__}: {exc}); check the model and its .onnx.json "
                    "belong together, or pick another voice."
                )
                raise EngineError(self.name, reason) from exc
        return AudioSegment(data=pcm, sample_width=2, frame_rate=self.sample_rate_hz, channels=1)


def model_paths(
    model: str | os.PathLike[str],
    voices_dir: str | os.PathLike[str] | None = None,
    config: str | os.PathLike[str] | None = None,
) -> tuple[Path, Path]:
    """The model and config files: relative paths are taken under *voices_dir*."""
    base = Path(voices_dir).expanduser() if voices_dir is not None else None

    def resolve(path: str | os.PathLike[str]) -> Path:
        path = Path(path).expanduser()
        return path if path.is_absolute() or base is None else base / path

    model_path = resolve(model)
    config_path = resolve(config) if config is not None else Path(f"{model_path}.json")
    return model_path, config_path


def _missing(model_path: Path, config_path: Path) -> str | None:
    if importlib.util.find_spec("piper") is None:
        return f"{_INSTALL_HINT}."
    for path, what in ((model_path, "model"), (config_path, "config")):
        if not path.is_file():
            return (
                f"the Piper {what} file {path} is missing; put the voice's .onnx file and its "
                f".onnx.json next to each other in {model_path.parent} (e.g. {EXAMPLE_MODEL} "
                f"and {EXAMPLE_MODEL}.json). audiobrief never downloads voices."
            )
    return None


def _library_errors() -> tuple[type[BaseException], ...]:
    """What Piper and onnxruntime raise on a bad model, config or input."""
    return (OSError, ValueError, KeyError, TypeError, RuntimeError, *onnxruntime_errors())
