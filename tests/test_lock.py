"""One publishing run at a time per output folder; the others wait and say so."""

from __future__ import annotations

import fcntl
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from audiobrief.cli import cli
from audiobrief.errors import PublishError
from audiobrief.publish.lock import LOCK_NAME, output_lock


def test_a_run_that_must_wait_says_so_and_gives_up_with_advice(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    holder = os.open(tmp_path / LOCK_NAME, os.O_RDWR | os.O_CREAT)
    fcntl.flock(holder, fcntl.LOCK_EX)  # another run is publishing
    try:
        with (
            caplog.at_level(logging.WARNING),
            pytest.raises(PublishError, match="stuck"),
            output_lock(tmp_path, wait_s=0.2),
        ):
            pass
        assert "waiting for another audiobrief run" in caplog.text
    finally:
        os.close(holder)
    with output_lock(tmp_path, wait_s=0.2):  # free again: no wait, no message
        pass


def test_the_lock_is_held_for_the_block_and_released_after(tmp_path: Path) -> None:
    probe = os.open(tmp_path / LOCK_NAME, os.O_RDWR | os.O_CREAT)
    try:
        with output_lock(tmp_path), pytest.raises(BlockingIOError):
            fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)
        fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)
    finally:
        os.close(probe)


def test_an_editable_install_finds_the_built_in_voices_from_any_folder(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUDIOBRIEF_")}
    listed = subprocess.run(
        [sys.executable, "-c", "from audiobrief.cli import cli; cli(['voices'])"],
        cwd=tmp_path,  # no voices/ here
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert listed.returncode == 0, listed.stderr
    assert "ar-espeak (default) [espeak]" in listed.stdout


def test_a_library_that_cannot_be_imported_is_one_error_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from audiobrief import pipeline

    def broken(*_args: object, **_kwargs: object) -> None:
        raise ImportError(
            "lxml.html.clean module is now a separate project lxml_html_clean",
            name="lxml.html.clean",
        )

    monkeypatch.setattr(pipeline, "load_article", broken)
    result = CliRunner().invoke(cli, ["brief", "page.html"])
    assert result.exit_code == 1
    (line,) = result.output.strip().splitlines()
    assert line.startswith("Error: a library audiobrief needs cannot be imported")
    assert "pip install --upgrade lxml_html_clean" in line
