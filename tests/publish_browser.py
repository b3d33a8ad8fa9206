"""A headless Chromium driven over the DevTools protocol on a pipe: no driver, no package.

Chromium's `--remote-debugging-pipe` reads NUL-terminated JSON commands on fd 3 and
answers on fd 4; that is all the page tests need (load, evaluate, accessibility tree).
"""

from __future__ import annotations

import base64
import json
import os
import select
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")
AXE_PLACES = (
    REPO / "tests" / ".tools" / "node_modules" / "axe-core" / "axe.min.js",
    REPO / "node_modules" / "axe-core" / "axe.min.js",
)
FLAGS = (
    "--headless",
    "--no-sandbox",  # CI runs as root, where Chromium's sandbox cannot start
    "--disable-gpu",
    "--disable-dev-shm-usage",  # containers often give /dev/shm only 64 MB
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--mute-audio",
    "--remote-debugging-pipe",
)
_TRAMPOLINE = """
import os, sys
read_fd, write_fd = int(sys.argv[1]), int(sys.argv[2])
os.dup2(read_fd, 3)
os.dup2(write_fd, 4)
for fd in {read_fd, write_fd} - {3, 4}:
    os.close(fd)
os.execv(sys.argv[3], sys.argv[3:])
"""
REPLY_TIMEOUT_S = 60.0
"""A hang guard, not a measurement: a reply that never comes fails the test."""


def find_chromium() -> str | None:
    """The Chromium program on PATH (Debian's `chromium` package), or None."""
    return next((found for name in CHROMIUM_NAMES if (found := shutil.which(name))), None)


def find_axe() -> Path | None:
    """axe.min.js as `.ci/run` installs it (npm --prefix tests/.tools axe-core), or None."""
    extra = os.environ.get("AXE_CORE_JS")
    places = (Path(extra), *AXE_PLACES) if extra else AXE_PLACES
    return next((place for place in places if place.is_file()), None)


class Browser:
    """One headless Chromium with one page; use as a context manager."""

    def __init__(self, program: str, profile: Path) -> None:
        to_browser_r, to_browser_w = os.pipe()
        from_browser_r, from_browser_w = os.pipe()
        # A tiny Python trampoline moves our pipe ends to fds 3 and 4, where Chromium
        # expects them (dash, the usual sh, cannot name fds above 9), then runs it.
        self._process = subprocess.Popen(
            [sys.executable, "-c", _TRAMPOLINE, str(to_browser_r), str(from_browser_w),
             program, *FLAGS, f"--user-data-dir={profile}", "about:blank"],
            pass_fds=(to_browser_r, from_browser_w),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        os.close(to_browser_r)
        os.close(from_browser_w)
        self._out, self._in = to_browser_w, from_browser_r
        self._buffer = b""
        self._next_id = 0
        self._events: list[dict[str, Any]] = []
        target = self.send("Target.createTarget", url="about:blank")["targetId"]
        attached = self.send("Target.attachToTarget", targetId=target, flatten=True)
        self._session = attached["sessionId"]
        self.page("Page.enable")
        self.page("Runtime.enable")

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc_info: object) -> None:
        try:
            self.send("Browser.close")
        except (OSError, RuntimeError):
            self._process.kill()
        finally:
            self._process.wait(timeout=REPLY_TIMEOUT_S)
            os.close(self._out)
            os.close(self._in)

    def send(self, method: str, session: str | None = None, **params: Any) -> dict[str, Any]:
        """Send one DevTools command and return its result; RuntimeError on a DevTools error."""
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        os.write(self._out, json.dumps(message).encode() + b"\0")
        while True:
            reply = self._read()
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                result: dict[str, Any] = reply.get("result", {})
                return result
            self._events.append(reply)

    def page(self, method: str, **params: Any) -> dict[str, Any]:
        """A command for the page's session."""
        return self.send(method, self._session, **params)

    def open(
        self, url: str, *, width_px: int = 1280, height_px: int = 900, scheme: str = "light"
    ) -> None:
        """Load *url* at a viewport of *width_px*, in a light or dark colour scheme."""
        self.page(
            "Emulation.setEmulatedMedia",
            features=[{"name": "prefers-color-scheme", "value": scheme}],
        )
        self.page(
            "Emulation.setDeviceMetricsOverride",
            width=width_px,
            height=height_px,
            deviceScaleFactor=1,
            mobile=False,
        )
        # Via a blank page when a fragment is given: "#t=" alone would not load the page anew.
        for address in ("about:blank", url) if "#" in url else (url,):
            self._events.clear()
            self.page("Page.navigate", url=address)
            while not any(e.get("method") == "Page.loadEventFired" for e in self._events):
                self._events.append(self._read())

    def evaluate(self, expression: str) -> Any:
        """Run JavaScript in the page (awaiting a promise) and return its JSON value."""
        reply = self.page(
            "Runtime.evaluate", expression=expression, awaitPromise=True, returnByValue=True
        )
        if "exceptionDetails" in reply:
            raise RuntimeError(f"page script failed: {reply['exceptionDetails']}")
        return reply["result"].get("value")

    def accessible_names(self, selector: str) -> list[str]:
        """The accessible name Chromium computes for each element matching *selector*."""
        root = self.page("DOM.getDocument", depth=0)["root"]["nodeId"]
        nodes = self.page("DOM.querySelectorAll", nodeId=root, selector=selector)["nodeIds"]
        names = []
        for node in nodes:
            tree = self.page("Accessibility.getPartialAXTree", nodeId=node, fetchRelatives=False)
            names.append(str(tree["nodes"][0].get("name", {}).get("value", "")))
        return names

    def screenshot(self, path: Path) -> None:
        """Save the viewport as PNG (for a person to look at while developing)."""
        data = self.page("Page.captureScreenshot", format="png", captureBeyondViewport=True)
        path.write_bytes(base64.b64decode(data["data"]))

    def _read(self) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            ready, _, _ = select.select([self._in], [], [], REPLY_TIMEOUT_S)
            if not ready:
                raise RuntimeError(f"Chromium sent nothing for {REPLY_TIMEOUT_S} s")
            chunk = os.read(self._in, 1 << 16)
            if not chunk:
                raise RuntimeError("Chromium closed the DevTools pipe (did it crash?)")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        parsed: dict[str, Any] = json.loads(message)
        return parsed
