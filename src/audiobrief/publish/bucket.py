"""Publish stage: the S3 bucket behind `output_url` (boto3; any S3-compatible store).

Every object carries its Content-Type and Cache-Control (see storage.headers) and a
sha256 of its bytes in its metadata: "same bytes?" and "changed?" are one HEAD each,
never a download. boto3 finds credentials its usual way (environment, profile, role).
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from audiobrief.errors import INSTALL_CLUSTER, PublishError
from audiobrief.publish.storage import headers, sha256_file

logger = logging.getLogger(__name__)

_MISSING = frozenset({"404", "NoSuchKey", "NotFound"})
_DENIED = frozenset(
    {"403", "AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "Forbidden"}
)


class Bucket:
    """`s3://bucket/prefix` as a Storage; `requests` counts the HTTP requests sent, for
    the scaling figures."""

    uploads_first = True

    def __init__(self, url: str, endpoint_url: str = "") -> None:
        try:
            import boto3
            from botocore.config import Config
        except ImportError as exc:
            raise PublishError(f"output_url = {url!r} needs boto3: {INSTALL_CLUSTER}.") from exc
        parts = urlsplit(url)
        self.bucket = parts.netloc
        self.prefix = parts.path.strip("/")
        self.where = url
        self.endpoint = endpoint_url or "Amazon S3"
        self.requests = 0
        # Few, quick retries: a store that is down should fail the run in seconds, and
        # the publish journal makes the next run finish or collect what this one left.
        config = Config(
            connect_timeout=5,
            read_timeout=60,
            retries={"max_attempts": 3, "mode": "standard"},
        )
        self._client: Any = boto3.session.Session().client(
            "s3", endpoint_url=endpoint_url or None, config=config
        )
        self._client.meta.events.register("before-send.s3", self._count)
        self._call("head_bucket", "", Bucket=self.bucket)

    def move_in(self, name: str, path: Path) -> None:
        extra = self._args(name, sha256_file(path))
        self._call("upload_file", name, Filename=str(path), Key=self._key(name), ExtraArgs=extra)
        logger.info("uploaded %s/%s", self.where, name)
        path.unlink(missing_ok=True)

    def put_bytes(self, name: str, data: bytes | str) -> None:
        payload = data.encode("utf-8") if isinstance(data, str) else data
        digest = hashlib.sha256(payload).hexdigest()
        args = self._args(name, digest)
        self._call("put_object", name, Key=self._key(name), Body=payload, **args)

    def put_if_changed(self, name: str, data: bytes | str) -> bool:
        payload = data.encode("utf-8") if isinstance(data, str) else data
        head = self._head(name)
        if head is not None and _digest(head) == hashlib.sha256(payload).hexdigest():
            return False
        self.put_bytes(name, payload)
        return True

    def exists(self, name: str) -> bool:
        return self._head(name) is not None

    def same(self, name: str, path: Path) -> bool:
        head = self._head(name)
        if head is None or head.get("ContentLength") != path.stat().st_size:
            return False
        return _digest(head) == sha256_file(path)

    def delete(self, name: str) -> None:
        self._call("delete_object", name, Key=self._key(name))
        logger.info("deleted %s/%s", self.where, name)

    def read(self, name: str) -> bytes | None:
        try:
            got = self._call("get_object", name, Key=self._key(name))
        except _Missing:
            return None
        data: bytes = got["Body"].read()
        return data

    def local(self, name: str, scratch: Path) -> Path | None:
        path = scratch / name
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._call("download_file", name, Key=self._key(name), Filename=str(path))
        except _Missing:
            return None
        return path

    def names(self, prefix: str) -> list[str]:
        pages = self._client.get_paginator("list_objects_v2")
        folder = self._key(prefix.rstrip("/") + "/")
        found: list[str] = []
        try:
            for page in pages.paginate(Bucket=self.bucket, Prefix=folder):
                found += [item["Key"] for item in page.get("Contents", [])]
        except Exception as exc:
            raise self._error(exc, prefix) from exc
        cut = len(self.prefix) + 1 if self.prefix else 0
        return sorted(key[cut:] for key in found)

    def _head(self, name: str) -> dict[str, Any] | None:
        try:
            head: dict[str, Any] = self._call("head_object", name, Key=self._key(name))
        except _Missing:
            return None
        return head

    def _key(self, name: str) -> str:
        if name.startswith("/") or ".." in name.split("/"):
            raise PublishError(f"{name!r} is not a name inside the site; nothing was written.")
        return f"{self.prefix}/{name}" if self.prefix else name

    def _args(self, name: str, digest: str) -> dict[str, Any]:
        content_type, cache = headers(name)
        return {"ContentType": content_type, "CacheControl": cache, "Metadata": {"sha256": digest}}

    def _call(self, method: str, name: str, **kwargs: Any) -> Any:
        if method != "head_bucket":
            kwargs["Bucket"] = self.bucket
        try:
            return getattr(self._client, method)(**kwargs)
        except Exception as exc:
            error = self._error(exc, name)
            if error is exc:
                raise
            raise error from exc

    def _count(self, request: Any = None, **_: Any) -> None:
        self.requests += 1

    def _error(self, exc: Exception, name: str) -> Exception:
        """*exc* from boto3 as one line that says what to fix (or _Missing for a 404)."""
        from boto3.exceptions import S3UploadFailedError
        from botocore import exceptions as boto

        target = f"{self.where}/{name}" if name else self.where
        if isinstance(exc, boto.NoCredentialsError | boto.PartialCredentialsError):
            return PublishError(
                f"no credentials for {self.where}; set AWS_ACCESS_KEY_ID and "
                "AWS_SECRET_ACCESS_KEY (or AWS_PROFILE) for the bucket."
            )
        if isinstance(exc, boto.EndpointConnectionError | boto.ConnectTimeoutError):
            return PublishError(
                f"cannot reach the object store ({self.endpoint}) for {self.where}; check "
                "s3_endpoint_url and that the store is running."
            )
        if isinstance(exc, boto.ClientError):
            code = str(exc.response.get("Error", {}).get("Code", ""))
            if name and code in _MISSING:
                return _Missing(target)
            if code in (*_MISSING, "NoSuchBucket"):
                return PublishError(
                    f"bucket {self.bucket!r} does not exist at {self.endpoint}; create it or "
                    "fix output_url."
                )
            if code in _DENIED:
                return PublishError(
                    f"the object store refused {target} ({code}); check the credentials and "
                    "the bucket's policy."
                )
            return PublishError(f"the object store failed on {target} ({code}: {exc}).")
        if isinstance(exc, boto.BotoCoreError | S3UploadFailedError):
            return PublishError(f"the object store failed on {target} ({exc}).")
        if isinstance(exc, OSError):
            return PublishError(f"cannot copy {target} ({exc.strerror or exc}).")
        return exc


class _Missing(PublishError):
    """The object is not there (404): a question's answer, not a failure."""


def _digest(head: dict[str, Any]) -> str | None:
    metadata: dict[str, str] = head.get("Metadata", {})
    return metadata.get("sha256")
