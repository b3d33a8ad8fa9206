"""A real redis-server on a free loopback port for the queue tests (as pytest-redis does).

Started from Debian's `redis-server` binary in a folder of its own; the tests that need it
skip, naming the package, where it is not installed.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

BINARY = shutil.which("redis-server")
needs_redis = pytest.mark.skipif(
    BINARY is None, reason="needs redis-server: apt-get install redis-server"
)
needs_cluster = pytest.mark.skipif(
    importlib.util.find_spec("celery") is None or importlib.util.find_spec("redis") is None,
    reason="needs Celery and redis-py: pip install 'audiobrief[cluster]'",
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class RedisServer:
    """One redis-server process; `restart` keeps its port and data folder."""

    def __init__(self, folder: Path, *, appendonly: bool = True) -> None:
        self.folder = folder
        self.port = free_port()
        self.appendonly = appendonly
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        command = [
            str(BINARY), "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
            "--appendonly", "yes" if self.appendonly else "no", "--dir", str(self.folder),
        ]  # fmt: skip
        self.process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, cwd=self.folder
        )
        deadline = time.monotonic() + 10
        while not self._answers():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"redis-server did not start on port {self.port}")
            time.sleep(0.05)

    def stop(self) -> None:
        """SIGTERM: Redis writes its append-only file out and exits."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as conn:
                conn.sendall(b"PING\r\n")
                return conn.recv(16).startswith(b"+PONG")
        except OSError:
            return False


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    """A fresh append-only Redis for the test; stopped and its folder removed after."""
    if BINARY is None:
        pytest.skip("needs redis-server: apt-get install redis-server")
    with tempfile.TemporaryDirectory(prefix="audiobrief-redis-") as folder:
        server = RedisServer(Path(folder))
        server.start()
        try:
            yield server
        finally:
            server.stop()


class Worker:
    """`audiobrief worker` in a process group of its own (the pool processes are in it)."""

    def __init__(self, cwd: Path, env: dict[str, str], *args: str, prelude: str = "") -> None:
        code = f"{prelude}\nfrom audiobrief.cli import cli\ncli({['worker', *args]!r})"
        self.log = cwd / f"worker-{len(list(cwd.glob('worker-*.log')))}.log"
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-c", code], cwd=cwd, env=env, stdout=out,
                stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
        self._terminated = False

    @property
    def node(self) -> str:
        """The Celery node name the worker gives itself, as jobs record it."""
        return f"audiobrief-{self.process.pid}@{socket.gethostname()}"

    def terminate(self) -> None:
        """SIGTERM, as systemd stops it, once: a second one mid-shutdown kills Celery (-15)."""
        if self.process.poll() is None and not self._terminated:
            self.process.send_signal(signal.SIGTERM)
            self._terminated = True

    def stop(self, timeout_s: float = 60) -> int:
        """`terminate`; the exit status (the group is killed if it hangs)."""
        if self.process.poll() is None:
            self.terminate()
            try:
                self.process.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                self.kill()
        return self.process.returncode

    def kill(self) -> None:
        """SIGKILL to the worker and its pool processes: a machine that vanished."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


def worker_env(queue_url: str, cache: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUDIOBRIEF_")}
    env["AUDIOBRIEF_QUEUE_URL"] = queue_url
    env["AUDIOBRIEF_CACHE_DIR"] = str(cache)
    return env


CITIES = (
    "الرباط", "فاس", "طنجة", "مراكش", "أكادير", "وجدة", "مكناس", "تطوان", "القنيطرة", "الجديدة",
    "آسفي", "الناظور", "بني ملال", "خريبكة", "تازة", "الحسيمة", "العيون", "الداخلة", "ورزازات",
    "الصويرة",
)  # fmt: skip


def write_articles(folder: Path, count: int, *, paragraphs: int = 1) -> list[str]:
    """*count* short articles, each its own headline and city; their paths."""
    paths = []
    for city in CITIES[:count]:
        body = f"شهدت مدينة {city} أمطارا غزيرة صباح اليوم، وتدخلت السلطات لتصريف المياه."
        text = f"أمطار في {city}\n\n" + "\n\n".join([body] * paragraphs) + "\n"
        path = folder / f"{CITIES.index(city):02d}.txt"
        path.write_text(text, encoding="utf-8")
        paths.append(str(path))
    return paths
