"""Shared fixtures: no network, a fake engine, golden files, a private working folder."""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import settings

from audiobrief import engines
from audiobrief.publish.catalog import Catalog, open_catalog
from audiobrief.voice import profiles
from support import GOLDEN_DIR, UPDATE_GOLDEN, FakeEngine, NetworkBlocked, check_golden

# CI runs the same examples every time, so a merge is never blocked by a chance find;
# developers' runs keep exploring new ones (and report what they find).
settings.register_profile("ci", derandomize=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

_LOOPBACK = ("127.0.0.1", "::1", "localhost")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        help=f"Write golden files (also {UPDATE_GOLDEN}=1); review the diff before committing.",
    )


@pytest.fixture(autouse=True)
def _no_network(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    if request.node.get_closest_marker("network"):
        return
    real_lookup, real_connect = socket.getaddrinfo, socket.socket.connect

    def lookup(host: object, *args: object, **kwargs: object) -> object:
        if host not in _LOOPBACK:
            raise NetworkBlocked(f"{host!r}: use FakeEngine, or mark the test 'network'")
        return real_lookup(host, *args, **kwargs)  # type: ignore[arg-type]

    def connect(sock: socket.socket, address: object) -> object:
        if sock.family == socket.AF_UNIX:  # a local socket (speak's fork server), not network
            return real_connect(sock, address)
        if not (isinstance(address, tuple) and address[0] in _LOOPBACK):
            raise NetworkBlocked(f"{address!r}: only loopback is open in tests")
        return real_connect(sock, address)

    monkeypatch.setattr(socket, "getaddrinfo", lookup)
    monkeypatch.setattr(socket.socket, "connect", connect)


@pytest.fixture(autouse=True, scope="session")
def _state_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Run logs go to a session folder, also for session fixtures that run commands."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_STATE_HOME", str(tmp_path_factory.mktemp("xdg-state")))
        yield


@pytest.fixture(autouse=True)
def _in_tmp_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run every test in its own folder, so nothing lands in the checkout."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg-state"))  # the run log
    # Each test brings its own voices/; the checkout's built-in ones would leak in
    # (an editable install finds them), so they are off unless a test turns them on.
    monkeypatch.setattr(profiles, "BUILTIN_VOICES", tmp_path / "no-builtin-voices")
    for name in list(os.environ):
        if name.startswith("AUDIOBRIEF_"):
            monkeypatch.delenv(name)


@pytest.fixture
def fake_engine(monkeypatch: pytest.MonkeyPatch) -> FakeEngine:
    engine = FakeEngine()
    monkeypatch.setitem(engines._extra, "fake", lambda **_: engine)
    return engine


@pytest.fixture
def golden(request: pytest.FixtureRequest) -> Callable[[str, str], None]:
    """Compare with tests/golden/NAME; a missing golden fails unless updating on purpose."""
    update = bool(request.config.getoption("--update-golden") or os.environ.get(UPDATE_GOLDEN))

    def check(name: str, actual: str) -> None:
        check_golden(GOLDEN_DIR / name, actual, update=update)

    return check


@pytest.fixture
def output(tmp_path: Path) -> Path:
    """An empty output folder."""
    folder = tmp_path / "output"
    folder.mkdir()
    return folder


@pytest.fixture
def catalog(output: Path) -> Iterator[Catalog]:
    """The catalog of the `output` folder, closed after the test."""
    with open_catalog(output / "catalog.sqlite") as opened:
        yield opened
