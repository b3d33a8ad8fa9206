"""publish/storage.py and bucket.py: the output folder and an S3 bucket behind one seam.

The bucket is a real S3-compatible server (moto in server mode, tests/s3_server.py).
"""

from __future__ import annotations

import hashlib
import json
import socket
from pathlib import Path

import pytest
from click.testing import CliRunner

import s3_server
from audiobrief.cli import cli
from audiobrief.config import settings_from_mapping
from audiobrief.errors import ConfigError, PublishError
from audiobrief.publish.bucket import Bucket
from audiobrief.publish.catalog import open_catalog
from audiobrief.publish.journal import UPLOADS, collect_orphans, upload_first
from audiobrief.publish.storage import LONG_CACHE, SHORT_CACHE, LocalFolder, headers
from publish_fixtures import publish_episode
from s3_server import CREDENTIALS, S3, no_aws_config

s3_endpoint, s3 = s3_server.s3_endpoint, s3_server.s3  # the fixtures, by name


def _bucket(s3: S3) -> Bucket:
    return Bucket(s3.url, s3.endpoint)


@pytest.mark.parametrize(
    ("name", "content_type", "cache"),
    [
        ("2026/11/28/articles/a.v2.mp3", "audio/mpeg", LONG_CACHE),
        ("2026/11/28/articles/a.vtt", "text/vtt; charset=utf-8", LONG_CACHE),
        ("2026/11/28/articles/a.srt", "application/x-subrip; charset=utf-8", LONG_CACHE),
        ("2026/11/28/articles/a.chapters.json", "application/json+chapters", LONG_CACHE),
        ("2026/11/28/articles/a.html", "text/html; charset=utf-8", SHORT_CACHE),
        ("2026/11/28/articles/a.embed.html", "text/html; charset=utf-8", SHORT_CACHE),
        ("feed.xml", "application/rss+xml; charset=utf-8", SHORT_CACHE),
        ("cover.png", "image/png", SHORT_CACHE),
        ("cover.jpg", "image/jpeg", SHORT_CACHE),
    ],
)
def test_each_kind_of_file_gets_its_type_and_cache_rule(
    name: str, content_type: str, cache: str
) -> None:
    assert headers(name) == (content_type, cache)


def test_versioned_episode_files_are_immutable_and_feeds_are_not() -> None:
    assert "immutable" in LONG_CACHE
    assert "immutable" not in SHORT_CACHE
    assert "max-age=300" in SHORT_CACHE


def test_bucket_writes_carry_type_cache_and_a_sha256(s3: S3, tmp_path: Path) -> None:
    bucket = _bucket(s3)
    mp3 = tmp_path / "a.mp3"
    mp3.write_bytes(b"ID3" + bytes(range(256)) * 40)
    expected = hashlib.sha256(mp3.read_bytes()).hexdigest()
    copy = tmp_path / "copy.mp3"
    copy.write_bytes(mp3.read_bytes())
    bucket.move_in("2026/11/28/a.mp3", mp3)
    bucket.put_bytes("feed.xml", "<rss/>")

    assert not mp3.exists()  # consumed, as a rename would
    head = s3.head("2026/11/28/a.mp3")
    assert (head["ContentType"], head["CacheControl"]) == ("audio/mpeg", LONG_CACHE)
    assert head["Metadata"]["sha256"] == expected
    assert s3.head("feed.xml")["ContentType"] == "application/rss+xml; charset=utf-8"
    assert s3.get("feed.xml") == b"<rss/>"
    assert bucket.same("2026/11/28/a.mp3", copy)
    copy.write_bytes(copy.read_bytes()[:-1] + b"X")  # same size, other bytes
    assert not bucket.same("2026/11/28/a.mp3", copy)
    assert not bucket.same("2026/11/28/missing.mp3", copy)


def test_a_long_episode_goes_up_in_parts_with_its_headers(s3: S3, tmp_path: Path) -> None:
    mp3 = tmp_path / "long.mp3"
    mp3.write_bytes(bytes(range(256)) * (40 * 1024))  # 10 MiB: past boto3's 8 MiB threshold
    expected = hashlib.sha256(mp3.read_bytes()).hexdigest()
    _bucket(s3).move_in("long.v3.mp3", mp3)
    head = s3.head("long.v3.mp3")
    assert head["ETag"].strip('"').endswith("-2")  # two parts, not one PUT
    assert (head["ContentType"], head["CacheControl"]) == ("audio/mpeg", LONG_CACHE)
    assert head["Metadata"]["sha256"] == expected
    assert head["ContentLength"] == 10 * 1024 * 1024


def test_same_bytes_is_one_head_request_not_a_download(s3: S3) -> None:
    bucket = _bucket(s3)
    assert bucket.put_if_changed("index.html", "<p>1</p>")
    before = bucket.requests
    assert not bucket.put_if_changed("index.html", "<p>1</p>")
    assert bucket.requests - before == 1
    assert bucket.put_if_changed("index.html", "<p>2</p>")
    assert s3.get("index.html") == b"<p>2</p>"


def test_exists_delete_read_local_and_names(s3: S3, tmp_path: Path) -> None:
    bucket = _bucket(s3)
    bucket.put_bytes("a/one.json", b"1")
    bucket.put_bytes("a/b/two.json", b"2")
    bucket.put_bytes("ab.json", b"3")
    assert bucket.names("a") == ["a/b/two.json", "a/one.json"]  # not ab.json
    assert bucket.exists("a/one.json")
    assert bucket.read("a/b/two.json") == b"2"
    local = bucket.local("a/b/two.json", tmp_path / "scratch")
    assert local is not None
    assert local.read_bytes() == b"2"
    bucket.delete("a/one.json")
    bucket.delete("a/one.json")  # already gone: fine
    assert not bucket.exists("a/one.json")
    assert bucket.read("a/one.json") is None
    assert bucket.local("a/one.json", tmp_path / "scratch") is None
    assert set(s3.names()) == {"a/b/two.json", "ab.json"}


def test_a_name_outside_the_site_is_refused(s3: S3) -> None:
    with pytest.raises(PublishError, match="not a name inside the site"):
        _bucket(s3).put_bytes("../other/feed.xml", b"x")


def test_local_folder_is_todays_output_folder(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    folder = LocalFolder(tmp_path / "out")
    assert folder.put_if_changed("a/b.html", "x")
    assert not folder.put_if_changed("a/b.html", "x")
    staged = tmp_path / "out" / "a" / ".b.mp3.123.tmp"
    staged.write_bytes(b"mp3")
    folder.move_in("a/b.mp3", staged)
    assert (tmp_path / "out/a/b.mp3").read_bytes() == b"mp3"
    assert folder.names("a") == ["a/b.html", "a/b.mp3"]
    (tmp_path / "outside.txt").write_text("keep")
    folder.delete("../outside.txt")  # refused with a warning, not deleted
    assert (tmp_path / "outside.txt").exists()
    assert any("not deleting" in r.getMessage() for r in caplog.records)


def test_orphans_of_a_dead_upload_are_collected_and_committed_files_kept(
    s3: S3, tmp_path: Path
) -> None:
    bucket = _bucket(s3)
    staged = {}
    for name in ("x/a.v2.mp3", "x/a.v2.vtt"):
        staged[name] = tmp_path / name.replace("/", "-")
        staged[name].write_bytes(name.encode())
    note = upload_first(bucket, "article", "key-1", staged)
    assert note.startswith(f"{UPLOADS}/")
    assert json.loads(s3.get(note))["files"] == ["x/a.v2.mp3", "x/a.v2.vtt"]
    with open_catalog(tmp_path / "catalog.sqlite") as catalog:  # the commit never came
        before = bucket.requests
        assert collect_orphans(catalog, bucket) == ["x/a.v2.mp3", "x/a.v2.vtt"]
        assert s3.names() == {}
        # list the notes, read one, delete its two files and itself
        assert bucket.requests - before == 5
        before = bucket.requests
        assert collect_orphans(catalog, bucket) == []
        assert bucket.requests - before == 1  # a clean run pays one listing of the notes


def test_a_note_left_after_the_commit_keeps_the_committed_files(s3: S3, tmp_path: Path) -> None:
    bucket = _bucket(s3)
    with open_catalog(tmp_path / "catalog.sqlite") as catalog:
        record = publish_episode(catalog, tmp_path / "staged")  # committed
        owned = [record.mp3, *record.files.values()]
        stray = record.mp3.replace(".mp3", ".v2.mp3")
        for name in [*owned, stray]:
            bucket.put_bytes(name, b"x")
        note = f"{UPLOADS}/dead.json"  # the run died before deleting its note
        bucket.put_bytes(
            note, json.dumps({"kind": "article", "key": record.key, "files": [*owned, stray]})
        )
        assert collect_orphans(catalog, bucket) == [stray]
    assert set(s3.names()) == set(owned)


@pytest.mark.parametrize(
    ("value", "fine"),
    [("s3://bucket/prefix/", "s3://bucket/prefix"), ("s3://bucket", "s3://bucket"), ("", "")],
)
def test_output_url_accepts_s3_urls(value: str, fine: str) -> None:
    assert settings_from_mapping({"output_url": value}).output_url == fine


@pytest.mark.parametrize("value", ["http://bucket/x", "bucket/prefix", "s3://", "file:///tmp/x"])
def test_output_url_of_another_scheme_is_one_config_error(value: str) -> None:
    with pytest.raises(ConfigError, match=r"output_url = .* is not an s3:// URL; accepted: "):
        settings_from_mapping({"output_url": value})


def test_endpoint_must_be_http() -> None:
    with pytest.raises(ConfigError, match=r"s3_endpoint_url .* accepted"):
        settings_from_mapping({"s3_endpoint_url": "127.0.0.1:9000"})


def _error(env: dict[str, str]) -> str:
    result = CliRunner().invoke(cli, ["feed", "-o", "work"], env=env)
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    (line,) = result.output.strip().splitlines()
    assert line.startswith("Error: ")
    return line


def test_an_unreachable_store_is_one_error_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    no_aws_config(monkeypatch, tmp_path)
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {
        **CREDENTIALS,
        "AUDIOBRIEF_OUTPUT_URL": "s3://site",
        "AUDIOBRIEF_S3_ENDPOINT_URL": f"http://127.0.0.1:{port}",
    }
    line = _error(env)
    assert "cannot reach the object store" in line
    assert "s3_endpoint_url" in line


def test_a_missing_bucket_is_one_error_line(s3: S3) -> None:
    line = _error({"AUDIOBRIEF_OUTPUT_URL": "s3://no-such-bucket/site"})
    assert "bucket 'no-such-bucket' does not exist" in line


def test_missing_credentials_are_one_error_line(s3: S3, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    line = _error({})
    assert "no credentials" in line
    assert "AWS_ACCESS_KEY_ID" in line
