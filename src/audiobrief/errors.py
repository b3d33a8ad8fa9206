"""The package's exceptions: one base, built-in mix-ins, messages that say the fix."""

import importlib
from collections.abc import Iterable

INSTALL_CLUSTER = "pip install 'audiobrief[cluster]'"
"""What to run when a cluster setting needs a library that is not installed."""


class AudiobriefError(Exception):
    """Base of every deliberate error; the CLI prints its message after "Error: "."""


class ConfigError(AudiobriefError, ValueError):
    """A setting, a voice profile or the config file is wrong."""


class ArticleError(AudiobriefError, ValueError):
    """An article source cannot be read or holds no speakable Arabic text."""

    def __init__(self, source: str, reason: str) -> None:
        super().__init__(f"{source}: {reason}")
        self.source = source
        self.reason = reason


class EngineError(AudiobriefError):
    """A voice engine could not produce audio."""

    def __init__(self, engine: str, reason: str) -> None:
        super().__init__(f"{engine} engine: {reason}")
        self.engine = engine
        self.reason = reason
        """The message without its "<engine> engine: " prefix, for callers that add one."""


class EngineUnavailableError(EngineError):
    """A library, program or model is missing; `audiobrief voices` shows which."""


class UnknownEngineError(AudiobriefError, LookupError):  # not KeyError: str() adds quotes
    """No engine of that name is built in or registered as a plugin."""

    def __init__(self, name: str, available: Iterable[str]) -> None:
        names = ", ".join(sorted(available)) or "none"
        super().__init__(f"Unknown engine {name!r} (installed: {names}); check the voice profile.")
        self.name = name


class UnknownVoiceError(AudiobriefError, LookupError):
    """No voice profile of that name exists in the voices folder."""

    def __init__(self, name: str, available: Iterable[str]) -> None:
        names = ", ".join(sorted(available)) or "none"
        super().__init__(
            f"Unknown voice {name!r} (available: {names}); "
            "run 'audiobrief voices' or add voices/NAME.toml."
        )
        self.name = name


class AudioError(AudiobriefError):
    """Audio could not be stitched, measured or encoded."""


class PublishError(AudiobriefError):
    """Tags, transcripts, the catalog, the feeds or the page could not be written."""


class CatalogUnavailable(PublishError):
    """The catalog's server cannot be reached right now; nothing was half-published.

    Transient: the same run succeeds once the server is back (a worker retries it).
    """


def onnxruntime_errors() -> tuple[type[Exception], ...]:
    """onnxruntime's own exceptions (Fail, InvalidArgument, ...); () when it is absent.

    They derive from Exception only and onnxruntime ships no type hints, so the adapters
    that run ONNX models (the diacritizer, Piper) look them up here to wrap them.
    """
    try:
        state = importlib.import_module("onnxruntime.capi.onnxruntime_pybind11_state")
    except ImportError:
        return ()
    found = (value for value in vars(state).values() if isinstance(value, type))
    return tuple(v for v in found if issubclass(v, Exception) and v is not Exception)
