"""Lower floor: the shared tier of the cache, a bucket behind `cache_url` (boto3).

Workers on several machines fetch each other's clips, episodes and diacritized
sentences from `s3://bucket/prefix/<kind>/<ab>/<key><suffix>`, the local layout. Keys
are content hashes, so two workers that upload one key upload the same bytes and no
write can make an entry wrong. The tier only saves work: the first failure (a store
that is down, a refused upload) logs one warning and turns it off for RETRY_S, and the
run goes on with the local folder alone; a store that times out on every sentence
would otherwise cost more than the synthesis it saves. A command ends well before
that; a long-lived `audiobrief worker` tries the store again afterwards.

boto3 is imported on first use, so the CLI's --help and the lower floor stay light;
credentials come the usual boto3 way (environment, profile, role), as for output_url.
"""

from __future__ import annotations

import importlib.util
import logging
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from audiobrief import store
from audiobrief.errors import INSTALL_CLUSTER, ConfigError

logger = logging.getLogger(__name__)

_MISSING = frozenset({"404", "NoSuchKey", "NotFound"})
_CHUNK = 1024 * 1024
RETRY_S = 600.0
"""How long a failure turns the tier off before the next try."""


class SharedTier:
    """`s3://bucket/prefix` as the cache's second tier; `fetched` and `uploaded` count
    the entry files that came down and went up (for the bench and the tests)."""

    def __init__(self, url: str, endpoint_url: str = "") -> None:
        if importlib.util.find_spec("boto3") is None:
            raise ConfigError(f"cache_url = {url!r} needs boto3: {INSTALL_CLUSTER}")
        parts = urlsplit(url)
        self.url, self.bucket = url, parts.netloc
        self.prefix = parts.path.strip("/")
        self.endpoint = endpoint_url
        self.fetched = self.uploaded = 0
        self._lock = threading.Lock()
        self._client: Any = None
        self._retry_at: float | None = None  # set while a failure keeps the tier off
        self._errors: tuple[type[Exception], ...] = (OSError,)  # boto3's join on connect

    def fetch(self, name: str, path: Path) -> bool:
        """Download the object *name* to *path* (whole or not at all); False when absent."""
        client = self._connected()
        if client is None:
            return False
        tmp: Path | None = None
        try:
            got = client.get_object(Bucket=self.bucket, Key=self._key(name))
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = store.write_temporary(path.parent, path.name, b"", durable=False)
            with tmp.open("wb") as stream:
                for block in got["Body"].iter_chunks(_CHUNK):
                    stream.write(block)
            store.replace_into(tmp, path, durable=False)  # an entry's mode, as Cache.put
        except self._errors as exc:
            if tmp is not None:
                tmp.unlink(missing_ok=True)
            if not _missing(exc):
                self._fail(f"cannot read the shared cache {self.url}", exc)
            return False
        with self._lock:
            self.fetched += 1
        return True

    def upload(self, name: str, path: Path) -> None:
        """Put the local file *path* up as the object *name*; a failure only warns."""
        client = self._connected()
        if client is None:
            return
        try:
            client.upload_file(Filename=str(path), Bucket=self.bucket, Key=self._key(name))
        except self._errors as exc:
            self._fail(f"cannot upload {name} to the shared cache {self.url}", exc)
            return
        with self._lock:
            self.uploaded += 1

    @property
    def off(self) -> bool:
        """Whether a recent failure keeps the tier off."""
        return self._retry_at is not None and time.monotonic() < self._retry_at

    def _key(self, name: str) -> str:
        return f"{self.prefix}/{name}" if self.prefix else name

    def _connected(self) -> Any:
        """The boto3 client, made on first use (None once the tier is off)."""
        with self._lock:
            if self._retry_at is not None:
                if time.monotonic() < self._retry_at:
                    return None
                self._retry_at = None
                logger.info("trying the shared cache at %s again", self.url)
            if self._client is not None:
                return self._client
            import boto3
            from boto3.exceptions import S3UploadFailedError
            from botocore.config import Config
            from botocore.exceptions import BotoCoreError, ClientError

            self._errors = (OSError, BotoCoreError, ClientError, S3UploadFailedError)
            # One quick try each: a missing entry is worth a render, not a long wait.
            config = Config(connect_timeout=3, read_timeout=30, retries={"max_attempts": 2})
            try:
                self._client = boto3.session.Session().client(
                    "s3", endpoint_url=self.endpoint or None, config=config
                )
                return self._client
            except self._errors as exc:
                failed = exc
        self._fail(f"cannot open {self.url}", failed)
        return None

    def _fail(self, what: str, exc: Exception) -> None:
        with self._lock:
            if self._retry_at is not None:  # another thread's failure already warned
                return
            self._retry_at = time.monotonic() + RETRY_S
        logger.warning(
            "%s (%s); the shared cache is off for this run (%d minutes at most), which goes "
            "on without it: check cache_url, s3_endpoint_url and the credentials",
            what,
            _reason(exc, self.endpoint),
            RETRY_S // 60,
        )


def _missing(exc: Exception) -> bool:
    response = getattr(exc, "response", None)
    code = str(response.get("Error", {}).get("Code", "")) if isinstance(response, dict) else ""
    return code in _MISSING


def _reason(exc: Exception, endpoint: str) -> str:
    """Short: boto3's own message repeats the object's whole URL."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        return str(response.get("Error", {}).get("Code", "")) or type(exc).__name__
    if type(exc).__name__ in _UNREACHABLE:
        return f"no answer from {endpoint or 'Amazon S3'}"
    return type(exc).__name__ if len(str(exc)) > 80 else f"{type(exc).__name__}: {exc}"


_UNREACHABLE = frozenset({"EndpointConnectionError", "ConnectTimeoutError", "ReadTimeoutError"})
"""botocore's errors for a store that does not answer (by name: botocore loads lazily)."""
