"""A real S3-compatible server for the tests: moto in server mode on a free loopback port.

In the style of pytest-postgresql: the session fixture starts `moto_server`, waits until
it answers, yields its URL and stops it at the end (moto keeps its objects in memory,
so nothing is left on disk). Each test gets its own bucket. Without moto the tests skip.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

INSTALL = "pip install 'moto[server]'"
_START_S = 60.0


@dataclass
class S3:
    """One test's bucket on the server, and a client that looks at it from outside."""

    endpoint: str
    bucket: str
    client: Any

    @property
    def url(self) -> str:
        return f"s3://{self.bucket}/site"

    def key(self, name: str) -> str:
        return f"site/{name}"

    def names(self) -> dict[str, int]:
        """Every object under the site's prefix: name -> size in bytes."""
        found = {}
        for page in self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix="site/"
        ):
            found.update({o["Key"][len("site/") :]: o["Size"] for o in page.get("Contents", [])})
        return found

    def head(self, name: str) -> dict[str, Any]:
        head: dict[str, Any] = self.client.head_object(Bucket=self.bucket, Key=self.key(name))
        return head

    def get(self, name: str) -> bytes:
        got = self.client.get_object(Bucket=self.bucket, Key=self.key(name))
        data: bytes = got["Body"].read()
        return data


def _moto_server() -> str | None:
    beside = Path(sys.executable).with_name("moto_server")
    return str(beside) if beside.is_file() else shutil.which("moto_server")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class NoServer(RuntimeError):
    """moto_server is missing, or did not answer in time."""


@contextmanager
def moto_server(start_s: float = _START_S) -> Iterator[tuple[str, int]]:
    """moto's S3 server on a free loopback port: its URL and process id (tests and benches)."""
    binary = _moto_server()
    if binary is None:
        raise NoServer(f"needs an S3-compatible server: {INSTALL}")
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [binary, "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + start_s
        while True:
            try:
                with urllib.request.urlopen(f"{url}/moto-api/", timeout=2):
                    break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise NoServer(
                        f"moto_server did not answer on {url} ({server.poll()=})"
                    ) from None
                time.sleep(0.2)
        yield url, server.pid
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """The URL of a running moto server, for the whole session."""
    if _moto_server() is None:
        pytest.skip(f"needs an S3-compatible server: {INSTALL}")
    try:
        with moto_server() as (url, _pid):
            yield url
    except NoServer as exc:
        pytest.fail(str(exc))


CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}


def no_aws_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Only what a test sets counts: no user profile, no cloud metadata service."""
    for name in [n for n in os.environ if n.startswith("AWS_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.fixture
def s3(s3_endpoint: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> S3:
    """A new empty bucket; audiobrief publishes to its `site/` prefix (set in the env)."""
    boto3 = pytest.importorskip("boto3", reason="needs boto3: pip install 'audiobrief[cluster]'")

    no_aws_config(monkeypatch, tmp_path)
    for name, value in CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    client = boto3.session.Session().client("s3", endpoint_url=s3_endpoint)
    bucket = f"test-{uuid.uuid4().hex[:12]}"
    client.create_bucket(Bucket=bucket)
    found = S3(s3_endpoint, bucket, client)
    monkeypatch.setenv("AUDIOBRIEF_OUTPUT_URL", found.url)
    monkeypatch.setenv("AUDIOBRIEF_S3_ENDPOINT_URL", s3_endpoint)
    return found
