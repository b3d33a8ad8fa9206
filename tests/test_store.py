"""The lower floor: atomic writes, canonical-JSON keys and the Timeline codec."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from audiobrief import store
from audiobrief.model import Chapter, Cue, Timeline

TIMELINE = Timeline(
    cues=(Cue(0, 900, section=1, paragraph=2, sentence=3, written="عنوان", lang="en"),),
    chapters=(Chapter(0, 1000, "عنوان", "https://example.org/a"), Chapter(1000, 2000, "ب")),
    duration_ms=2000,
    sample_rate_hz=22050,
)


@pytest.mark.parametrize("durable", [True, False])
def test_atomic_write_leaves_the_whole_file_and_no_temporary(tmp_path: Path, durable: bool) -> None:
    path = tmp_path / "a.bin"
    path.write_bytes(b"old")
    os.chmod(path, 0o600)

    store.write_atomic(path, "جديد", durable=durable)

    assert path.read_bytes() == "جديد".encode()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600  # the old file's permissions
    assert [p.name for p in tmp_path.iterdir()] == ["a.bin"]


def test_a_failed_write_leaves_the_old_file_and_raises_oserror(tmp_path: Path) -> None:
    path = tmp_path / "a.bin"
    path.write_bytes(b"old")
    source = tmp_path / "missing.mp3"

    with pytest.raises(OSError, match="missing"):
        store.write_atomic(path, source)

    assert path.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.bin"]


def test_digest_is_the_sha256_of_sorted_compact_json() -> None:
    one = store.digest({"b": [1, "نص"], "a": 2})
    assert one == store.digest({"a": 2, "b": [1, "نص"]})
    assert one != store.digest({"a": 2, "b": [1, "نصّ"]})
    assert store.canonical_json({"b": "نص", "a": 1}) == '{"a":1,"b":"نص"}'
    assert store.digest(Path("/x")) == store.digest("/x")  # paths by their text


def test_timeline_survives_json_and_unknown_keys_are_ignored() -> None:
    text = store.timeline_to_json(TIMELINE)
    assert store.timeline_from_json(text) == TIMELINE
    newer = json.loads(text)
    newer["loudness_lufs"] = -16
    newer["cues"][0]["speaker"] = "a"
    assert store.timeline_from_json(json.dumps(newer)) == TIMELINE


def test_a_temporary_file_holds_its_head_then_the_data_readable_by_the_web_server(
    tmp_path: Path,
) -> None:
    source = tmp_path / "audio.bin"
    source.write_bytes(b"frames" * 1000)
    tmp = store.write_temporary(tmp_path, "episode.mp3", source, head=b"ID3tag")
    assert tmp.read_bytes() == b"ID3tag" + b"frames" * 1000
    # Given before the flush: the move into place has no change of mode left to flush.
    assert stat.S_IMODE(tmp.stat().st_mode) == 0o644
    assert store.is_temporary(tmp.name)
