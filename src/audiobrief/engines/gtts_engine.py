"""gTTS engine: Google Translate's online voice, chunked for Arabic, retried, decoded in memory."""

from __future__ import annotations

import importlib.util
import io
import logging
import math
import re
import socket
import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from typing import Any

import tenacity
from pydub import AudioSegment

from audiobrief.errors import ConfigError, EngineError, EngineUnavailableError

logger = logging.getLogger(__name__)

MAX_CHARS = 100
"""Google's limit per request (gTTS.GOOGLE_TTS_MAX_CHARS)."""

# A clause ends after an Arabic mark, after a Latin mark followed by a space (so "3.5",
# "U.S." and "1,000" stay whole) and at a line break. gTTS itself ignores ؛ and ؟.
_CLAUSE_END = re.compile(r"(?<=[؟؛،!\n])|(?<=[.?!;,])(?=\s)")
_WORD = re.compile(r"\w")
_MARKS = "؟؛،.?!;,:…"
_SPOKEN_WORDS = 6  # how much of a failing chunk an error message quotes
_GTTS_HINT = "run: pip install gTTS miniaudio (both are audiobrief dependencies)"


def split_chunks(text: str, max_chars: int = MAX_CHARS) -> list[str]:
    """Cut *text* into chunks of at most *max_chars*, at clause marks first, then at spaces.

    Whole clauses are packed together while they fit; a longer clause is cut at spaces
    into pieces of similar length. A word is cut only when it alone exceeds *max_chars*.
    """
    clauses: list[str] = []
    pending = ""  # leading symbols with no word yet ("« ..."): they join the next clause
    for piece in _CLAUSE_END.split(text):
        piece = " ".join(piece.split())
        if not piece:
            continue
        if _WORD.search(piece):
            clauses.append(f"{pending} {piece}".strip())
            pending = ""
        elif clauses:  # a stray mark ("؟!"): keep it with its clause
            clauses[-1] += piece if piece[0] in _MARKS else " " + piece
        else:
            pending = f"{pending} {piece}".strip()
    chunks: list[str] = []
    for clause in clauses:
        if len(clause) > max_chars:
            chunks.extend(_balanced_wrap(clause, max_chars))
        elif chunks and len(chunks[-1]) + 1 + len(clause) <= max_chars:
            chunks[-1] += " " + clause
        else:
            chunks.append(clause)
    return chunks


def _balanced_wrap(clause: str, max_chars: int) -> list[str]:
    """Fewest lines of at most *max_chars*, as even as possible (no short tail)."""
    words: list[str] = []
    for word in clause.split():
        words.extend(word[i : i + max_chars] for i in range(0, len(word), max_chars))
    fewest = len(_greedy_wrap(words, max_chars))
    for width in range(math.ceil(len(clause) / fewest), max_chars):
        lines = _greedy_wrap(words, width)
        if len(lines) == fewest:
            return lines
    return _greedy_wrap(words, max_chars)


def _greedy_wrap(words: list[str], width: int) -> list[str]:
    lines: list[str] = []
    for word in words:
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines


class _Cancelled(EngineError):
    """Another chunk of the same text failed; this one stops early."""


NETWORK_CHECK_S = 2.0
"""How long `audiobrief voices` waits for Google before saying there is no network."""


class GTTSEngine:
    """Google Translate's voice through gTTS (online); text goes to Google's servers."""

    name = "gtts"

    def __init__(
        self,
        *,
        lang: str = "ar",
        tld: str = "com",
        slow: bool = False,
        timeout_s: float = 15.0,
        retries: int = 5,
        backoff_s: float = 1.0,
        max_backoff_s: float = 30.0,
        concurrency: int = 4,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        reason = _missing_library()
        if reason:
            raise EngineUnavailableError(self.name, reason)
        if timeout_s <= 0 or retries < 0 or concurrency < 1 or backoff_s < 0:
            raise ConfigError(
                "gtts options: timeout_s must be > 0, retries >= 0, backoff_s >= 0 and "
                f"concurrency >= 1 (got {timeout_s}, {retries}, {backoff_s}, {concurrency})."
            )
        from gtts.lang import tts_langs

        languages = tts_langs()  # a static table in gTTS: no request
        if lang not in languages:
            raise ConfigError(
                f"gtts: language {lang!r} is not offered by Google's voice; use 'ar' "
                f"(known: {', '.join(sorted(languages))})."
            )
        self.lang, self.tld, self.slow = lang, tld, slow
        self.timeout_s, self.retries = timeout_s, retries
        self.backoff_s, self.max_backoff_s = backoff_s, max_backoff_s
        self.max_concurrency = concurrency
        """Requests in flight at once, over all synthesize() calls on this engine."""
        self._slots = threading.BoundedSemaphore(concurrency)
        self._sleep = sleep
        self._jitter = tenacity.wait_exponential_jitter(
            initial=backoff_s, max=max_backoff_s, jitter=backoff_s
        )
        self._offline: str | None = None
        """Why Google could not be reached, once a connection failed: no more tries."""

    @classmethod
    def unavailable_reason(cls, **options: Any) -> str | None:
        """Why this engine cannot run here (a missing library, no network), or None.

        The network check is one TCP connection to Google's host with a short timeout;
        only `audiobrief voices` asks, never synthesis.
        """
        missing = _missing_library()
        if missing:
            return missing
        host = f"translate.google.{options.get('tld', 'com')}"
        try:
            socket.create_connection((host, 443), timeout=NETWORK_CHECK_S).close()
        except OSError as exc:
            return (
                f"no network: cannot reach {host} ({type(exc).__name__}); connect to the "
                "internet, or use the offline voice ar-espeak."
            )
        return None

    def synthesize(self, text: str) -> AudioSegment:
        """Speak *text* through Google: one request per chunk, in parallel, decoded in order."""
        if self._offline is not None:  # the fallback's texts arrive here too: fail at once
            raise EngineError(self.name, self._offline)
        chunks = split_chunks(text)
        if not chunks:
            return AudioSegment.silent(duration=0, frame_rate=24000).set_sample_width(2)
        cancel = threading.Event()
        workers = min(self.max_concurrency, len(chunks))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="gtts") as pool:
            futures = [pool.submit(self._fetch, chunk, cancel) for chunk in chunks]
            wait(futures, return_when=FIRST_EXCEPTION)
            failed = [f for f in futures if f.done() and f.exception() is not None]
            if failed:
                cancel.set()
                pool.shutdown(wait=True, cancel_futures=True)
                raise _error_of(failed[0])
            mp3s = [f.result() for f in futures]
        return _decode(mp3s, chunks, self.name)

    def _fetch(self, chunk: str, cancel: threading.Event) -> bytes:
        """One chunk's MP3 bytes, retried with backoff on 429, 5xx, timeouts, lost connections."""
        from gtts.tts import gTTSError

        retrying = tenacity.Retrying(
            sleep=self._sleep,
            stop=tenacity.stop_after_attempt(self.retries + 1)
            | tenacity.stop_when_event_set(cancel),
            wait=self._wait,
            retry=tenacity.retry_if_exception(_is_transient),
            before_sleep=_log_retry,
            reraise=True,
        )
        try:
            data: bytes = retrying(self._fetch_once, chunk, cancel)
        except gTTSError as exc:
            attempts = int(retrying.statistics.get("attempt_number", 1))
            raise EngineError(self.name, self._reason(chunk, exc, attempts)) from exc
        if not data:
            raise EngineError(
                self.name,
                f"Google answered without audio for «{_first_words(chunk)}»; check lang "
                f'{self.lang!r}, or set on_engine_failure = "fallback".',
            )
        return data

    def _fetch_once(self, chunk: str, cancel: threading.Event) -> bytes:
        from gtts import gTTS

        if cancel.is_set():
            raise _Cancelled(self.name, "stopped: another part of the same text failed.")
        tts = gTTS(
            chunk,
            tld=self.tld,
            lang=self.lang,
            slow=self.slow,
            lang_check=False,  # checked once in __init__
            pre_processor_funcs=[],  # its defaults are English-only; text arrives normalized
            tokenizer_func=lambda part: [part],  # the chunk is already cut: send it whole
            timeout=self.timeout_s,  # gTTS's default is None: a stalled reply hangs forever
        )
        buffer = io.BytesIO()  # never gTTS.save(): it creates the file before the request
        with self._slots:
            tts.write_to_fp(buffer)
        return buffer.getvalue()

    def _wait(self, state: tenacity.RetryCallState) -> float:
        """Exponential backoff with jitter, stretched to the server's Retry-After if longer."""
        wait_s: float = self._jitter(state)
        outcome = state.outcome
        if outcome is not None:
            wait_s = max(wait_s, _retry_after_s(outcome.exception()))
        return min(wait_s, self.max_backoff_s)

    def _reason(self, chunk: str, exc: BaseException, attempts: int) -> str:
        words = _first_words(chunk)
        fallback = 'or set on_engine_failure = "fallback" to use the offline voice instead.'
        cause = _unreachable(exc)
        if cause is not None:
            self._offline = (
                f"cannot connect to Google's voice at translate.google.{self.tld} ({cause}); "
                "this machine seems to be offline or behind a firewall: connect to the "
                f"internet, or speak with the offline voice (--voice ar-espeak), {fallback}"
            )
            return self._offline
        if not _is_transient(exc):
            return (
                f"Google's voice refused «{words}» ({exc}); check the gtts options "
                f"(lang, tld), update gTTS, {fallback}"
            )
        if getattr(exc, "rsp", None) is None:  # no answer at all
            return (
                f"Google's voice did not answer for «{words}» after {attempts} attempts "
                f"({exc}); check the internet connection, raise timeout_s (now "
                f"{self.timeout_s:g} s), {fallback}"
            )
        return (
            f"Google's voice failed for «{words}» after {attempts} attempts ({exc}); "
            "slow down (lower concurrency, speak fewer articles at once), let the "
            f"synthesis cache reuse clips, {fallback}"
        )


def _is_transient(exc: BaseException | None) -> bool:
    """Worth retrying: HTTP 429 or 5xx, a timeout or a lost connection; not other 4xx."""
    import gtts.tts

    if not isinstance(exc, gtts.tts.gTTSError) or _unreachable(exc) is not None:
        return False
    response = exc.rsp
    if response is not None:
        status: int = response.status_code
        return status == 429 or status >= 500
    # Without a response gTTS raised inside `except RequestException`: the cause is chained.
    # gtts.tts.requests is the requests module gTTS itself uses.
    requests_errors = gtts.tts.requests.exceptions
    transient = (requests_errors.Timeout, requests_errors.ConnectionError)
    return isinstance(exc.__context__, transient)


def _unreachable(exc: BaseException) -> str | None:
    """What stopped the connection from being made (a refused port, a failed name
    lookup, no route), or None when it was made, or only timed out.

    Such a failure is not retried: with no network the next try fails the same way, and
    retrying like a rate limit kept an offline run waiting over a minute.
    """
    from urllib3.exceptions import NameResolutionError, NewConnectionError

    seen: set[int] = set()
    pending: list[object] = [exc]
    found: str | None = None
    while pending:
        current = pending.pop()
        if not isinstance(current, BaseException) or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, NameResolutionError | socket.gaierror):
            return "the name lookup failed"
        if isinstance(current, ConnectionRefusedError):
            return "the connection was refused"
        if isinstance(current, NewConnectionError):  # its cause may say more: look on
            found = "no connection could be made"
        # requests wraps urllib3's MaxRetryError, which keeps the cause in .reason
        pending += [current.__cause__, current.__context__, getattr(current, "reason", None)]
        pending += list(current.args)
    return found


def _retry_after_s(exc: BaseException | None) -> float:
    response = getattr(exc, "rsp", None)
    value = response.headers.get("Retry-After", "") if response is not None else ""
    return float(value) if value.strip().isdigit() else 0.0


def _log_retry(state: tenacity.RetryCallState) -> None:
    exc = state.outcome.exception() if state.outcome else None
    wait_s = state.next_action.sleep if state.next_action else 0.0
    logger.warning(
        "gtts: attempt %d failed (%s); retrying in %.1f s", state.attempt_number, exc, wait_s
    )


def _error_of(future: Future[bytes]) -> BaseException:
    exc = future.exception()
    return exc if exc is not None else EngineError("gtts", "a request failed; try again.")


def _first_words(chunk: str) -> str:
    words = chunk.split()
    shown = " ".join(words[:_SPOKEN_WORDS])
    return shown + (" …" if len(words) > _SPOKEN_WORDS else "")


def _decode(mp3s: list[bytes], chunks: list[str], engine: str) -> AudioSegment:
    """Decode Google's MP3 parts in memory (no ffmpeg) and join them at one sample rate."""
    import miniaudio  # type: ignore[import-untyped]

    clips: list[AudioSegment] = []
    for mp3, chunk in zip(mp3s, chunks, strict=True):
        try:
            decoded = miniaudio.mp3_read_s16(mp3)
        except miniaudio.DecodeError as exc:
            reason = (
                f"Google's reply for «{_first_words(chunk)}» is not MP3 audio ({exc}); "
                'update gTTS, or set on_engine_failure = "fallback".'
            )
            raise EngineError(engine, reason) from exc
        clip = AudioSegment(
            data=decoded.samples.tobytes(),
            sample_width=2,
            frame_rate=decoded.sample_rate,
            channels=decoded.nchannels,
        )
        clips.append(clip.set_channels(1))
    rate_hz = clips[0].frame_rate
    joined = clips[0]
    for clip in clips[1:]:
        joined += clip.set_frame_rate(rate_hz)
    return joined


def _missing_library() -> str | None:
    for module in ("gtts", "miniaudio"):
        if importlib.util.find_spec(module) is None:
            return f"the {module} library is not installed; {_GTTS_HINT}."
    return None
