"""A real PostgreSQL server for the tests, from Debian's binaries (pytest-postgresql style).

`initdb` into a private folder, `pg_ctl start` on a free loopback port with its socket in
that folder (fsync off: the tests want speed, not durability), a fresh database for each
test, and `pg_ctl stop` plus the folder's removal at the end of the session. Where the
binaries or psycopg are missing, the tests that need a server skip and say what to install.
"""

from __future__ import annotations

import contextlib
import glob
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

MISSING = "PostgreSQL's initdb and pg_ctl are not installed (apt-get install postgresql)"
NO_DRIVER = "psycopg is not installed (pip install 'audiobrief[cluster]')"
PASSWORD = "brief-secret"
"""The superuser's password: TCP logins need it, so a wrong one is a real refusal."""
# fsync off is safe from a killed server (the OS keeps what was written), which is all
# these tests do; synchronous_commit stays on, or an immediate stop would lose commits.
_SETTINGS = ("fsync=off", "full_page_writes=off")


def binaries() -> Path | None:
    """The folder of initdb and pg_ctl: on PATH, else Debian's versioned folder."""
    found = shutil.which("pg_ctl")
    if found and shutil.which("initdb"):
        return Path(found).resolve().parent
    for folder in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if (Path(folder) / "pg_ctl").exists() and (Path(folder) / "initdb").exists():
            return Path(folder)
    return None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class PgServer:
    """One PostgreSQL cluster in a temporary folder, on 127.0.0.1 only."""

    def __init__(self, bin_dir: Path) -> None:
        self.bin_dir = bin_dir
        # Not under pytest's tmp folder: that one is private to root, and the server
        # runs as the postgres user when the tests run as root (it refuses root).
        self.root = Path(tempfile.mkdtemp(prefix="audiobrief-pg-"))
        self.data = self.root / "data"
        self.port = free_port()
        self._user = "postgres" if os.geteuid() == 0 else None
        self._names = itertools.count(1)
        if self._user:
            entry = pwd.getpwnam(self._user)
            os.chown(self.root, entry.pw_uid, entry.pw_gid)
        (self.root / "pw").write_text(PASSWORD + "\n", encoding="utf-8")
        self._run(
            "initdb", "-D", str(self.data), "-U", "postgres", "-E", "UTF8", "--no-sync",
            "--auth-local=trust", "--auth-host=scram-sha-256", f"--pwfile={self.root / 'pw'}",
        )  # fmt: skip
        self.start()

    def url(self, database: str = "postgres", password: str = PASSWORD) -> str:
        return f"postgresql://postgres:{password}@127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        options = " ".join(
            [f"-p {self.port}", "-c listen_addresses=127.0.0.1", f"-k {self.root}"]
            + [f"-c {setting}" for setting in _SETTINGS]
        )
        log = str(self.root / "server.log")
        self._run("pg_ctl", "-D", str(self.data), "-l", log, "-o", options, "-w", "start")

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def new_database(self) -> str:
        """A fresh, empty database (from template0); its URL."""
        import psycopg

        name = f"test_{next(self._names)}"
        with psycopg.connect(self.url(), autocommit=True) as admin:
            admin.execute(f"CREATE DATABASE {name} TEMPLATE template0")
        return self.url(name)

    @property
    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def close(self) -> None:
        """Stop the server if it runs (a test may have stopped it) and remove its folder."""
        if self.running:
            with contextlib.suppress(subprocess.SubprocessError, OSError, RuntimeError):
                self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)

    def _run(self, program: str, *args: str) -> None:
        command = [str(self.bin_dir / program), *args]
        if self._user:
            command = ["runuser", "-u", self._user, "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"{program} failed: {done.stdout}{done.stderr}")


def _skip_unless_ready() -> Path:
    found = binaries()
    if found is None:
        pytest.skip(MISSING)
    try:
        import psycopg  # noqa: F401
    except ImportError:
        pytest.skip(NO_DRIVER)
    return found


@contextlib.contextmanager
def running_server() -> Iterator[PgServer]:
    """A server of its own (for tests that stop it), removed afterwards."""
    server = PgServer(_skip_unless_ready())
    try:
        yield server
    finally:
        server.close()


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    """One server for the session; each test takes a database of its own (`pg_url`)."""
    with running_server() as server:
        yield server


@pytest.fixture
def pg_url(pg_server: PgServer) -> str:
    """The URL of a new, empty database on the session's server."""
    return pg_server.new_database()


@pytest.fixture(params=["sqlite", "postgresql"])
def catalog_backend(request: pytest.FixtureRequest, tmp_path: Path) -> Path | str:
    """Where a catalog goes, once per backend: a catalog.sqlite path, or a database URL."""
    if request.param == "sqlite":
        return tmp_path / "output" / "catalog.sqlite"
    url: str = request.getfixturevalue("pg_url")
    return url


def wait_until(check: object, timeout_s: float = 60.0) -> None:
    """Poll *check* (a callable) until it is true; fail after *timeout_s*."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return
        time.sleep(0.05)
    raise AssertionError(f"still not true after {timeout_s} s")
