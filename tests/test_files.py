"""Atomic writes: readers see the old file or the new one, never half of either."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from audiobrief.errors import PublishError
from audiobrief.publish.files import replace_into, write_atomic, write_if_changed


def test_write_atomic_writes_text_as_utf8_and_bytes_as_they_are(tmp_path: Path) -> None:
    write_atomic(tmp_path / "a.txt", "نص عربي")
    write_atomic(tmp_path / "b.bin", b"\x00\xff")
    assert (tmp_path / "a.txt").read_bytes() == "نص عربي".encode()
    assert (tmp_path / "b.bin").read_bytes() == b"\x00\xff"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt", "b.bin"]


def test_new_files_are_readable_by_a_web_server(tmp_path: Path) -> None:
    write_atomic(tmp_path / "feed.xml", "<rss/>")
    assert stat.S_IMODE((tmp_path / "feed.xml").stat().st_mode) == 0o644


def test_replacing_keeps_the_permissions_of_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "feed.xml"
    target.write_text("old", encoding="utf-8")
    target.chmod(0o640)
    write_atomic(target, "new")
    assert (target.read_text(encoding="utf-8"), stat.S_IMODE(target.stat().st_mode)) == (
        "new",
        0o640,
    )


def test_failed_rename_keeps_the_old_file_and_leaves_no_temp_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "feed.xml"
    target.write_text("old", encoding="utf-8")

    def refuse(*_: object) -> None:
        raise OSError(13, "Permission denied")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(PublishError, match="Permission denied"):
        write_atomic(target, "new")
    assert target.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["feed.xml"]


def test_missing_folder_is_a_publish_error_with_the_fix(tmp_path: Path) -> None:
    with pytest.raises(PublishError, match="check that the folder exists"):
        write_atomic(tmp_path / "missing" / "feed.xml", "x")


def test_write_if_changed_skips_identical_content(tmp_path: Path) -> None:
    target = tmp_path / "page.html"
    assert write_if_changed(target, "<p>a</p>") is True
    os.utime(target, ns=(1_000_000_000, 1_000_000_000))
    assert write_if_changed(target, "<p>a</p>") is False
    assert target.stat().st_mtime_ns == 1_000_000_000
    assert write_if_changed(target, "<p>b</p>") is True


def test_replace_into_moves_a_finished_temp_file(tmp_path: Path) -> None:
    tmp = tmp_path / ".episode.mp3.tmp"
    tmp.write_bytes(b"audio")
    replace_into(tmp, tmp_path / "episode.mp3")
    assert (tmp_path / "episode.mp3").read_bytes() == b"audio"
    assert not tmp.exists()
