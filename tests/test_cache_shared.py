"""cache_url: the synthesis cache shared through a real S3-compatible server (moto).

Each "worker" is the CLI with its own empty cache folder and the same cache_url, the way
two machines would run; the bucket is moto in server mode on loopback (tests/s3_server.py).
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

import s3_server
from audiobrief import cache_remote
from audiobrief.audio import episode_cache
from audiobrief.cache import Cache, open_cache
from audiobrief.cache_remote import SharedTier
from audiobrief.cli import cli
from audiobrief.model import Chapter, Cue, Timeline
from s3_server import S3
from state_support import freeze
from support import FakeEngine

s3_endpoint, s3 = s3_server.s3_endpoint, s3_server.s3  # the fixtures, by name

ARTICLE = "اجتماع في فاس\n\nترأست السيدة خديجة اجتماعا. وقدمت الحصيلة للمجلس.\n"
FAKE_VOICE = 'engine = "fake"\ndiacritize = false\n'
NOW = dt.datetime(2026, 11, 28, 9, 30, tzinfo=dt.UTC)
TIMELINE = Timeline(
    cues=(Cue(0, 900, section=0, paragraph=0, sentence=0, written="عنوان"),),
    chapters=(Chapter(0, 1000, "عنوان"),),
    duration_ms=1000,
    sample_rate_hz=22050,
)


@pytest.fixture
def shared(s3: S3, fake_engine: FakeEngine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> S3:
    """The fake voice and the article in the working folder; the cache shared via *s3*."""
    (tmp_path / "voices").mkdir()
    (tmp_path / "voices" / "fake.toml").write_text(FAKE_VOICE, encoding="utf-8")
    (tmp_path / "article.txt").write_text(ARTICLE, encoding="utf-8")
    monkeypatch.delenv("AUDIOBRIEF_OUTPUT_URL")  # the site stays local: only the cache is shared
    monkeypatch.setenv("AUDIOBRIEF_CACHE_URL", f"s3://{s3.bucket}/cache")
    freeze(monkeypatch, NOW)
    return s3


def _speak(worker: str, code: int = 0, **env: str) -> Result:
    """`speak` as *worker* would run it: its own cache folder and site folder."""
    result = CliRunner(mix_stderr=False).invoke(
        cli,
        ["speak", "article.txt", "--voice", "fake", "-o", f"site-{worker}"],
        env={"AUDIOBRIEF_CACHE_DIR": f"cache-{worker}", **env},
    )
    assert result.exit_code == code, result.output + result.stderr
    assert "Traceback" not in result.stderr
    return result


def _cached(s3: S3) -> dict[str, int]:
    """Every object under the cache prefix: name -> size."""
    pages = s3.client.get_paginator("list_objects_v2").paginate(Bucket=s3.bucket, Prefix="cache/")
    return {o["Key"][len("cache/") :]: o["Size"] for p in pages for o in p.get("Contents", [])}


def _audio(mp3: Path) -> bytes:
    """The MPEG frames of a published episode, without its ID3v2 tag."""
    data = mp3.read_bytes()
    assert data[:3] == b"ID3"
    size = (data[6] << 21) | (data[7] << 14) | (data[8] << 7) | data[9]  # syncsafe
    assert data[10 + size] == 0xFF  # an MPEG frame starts right after the tag
    return data[10 + size :]


def _only(folder: str, pattern: str) -> Path:
    (found,) = Path(folder).rglob(pattern)
    return found


def test_a_second_worker_synthesizes_nothing_and_gets_the_same_mp3(
    shared: S3, fake_engine: FakeEngine
) -> None:
    _speak("a")
    spoken = len(fake_engine.calls)
    assert spoken > 0
    in_bucket = _cached(shared)
    kinds = {name.split("/")[0] for name in in_bucket}
    assert kinds == {"clips", "episodes"}
    assert sum(1 for name in in_bucket if name.startswith("clips/")) == len(set(fake_engine.calls))

    _speak("b")

    assert len(fake_engine.calls) == spoken  # worker B: not one engine call
    a_entry, b_entry = _only("cache-a", "*.mp3"), _only("cache-b", "*.mp3")
    assert b_entry.relative_to("cache-b") == a_entry.relative_to("cache-a")
    assert b_entry.read_bytes() == a_entry.read_bytes()  # kept locally, byte for byte
    # Published: the audio after the tags is the same (each catalog gives its own guid).
    assert _audio(_only("site-b", "*.mp3")) == _audio(_only("site-a", "*.mp3"))


def test_a_new_episode_is_made_from_the_shared_clips(shared: S3, fake_engine: FakeEngine) -> None:
    _speak("a")
    spoken = len(fake_engine.calls)

    _speak("b", AUDIOBRIEF_BITRATE_KBPS="96")  # another episode key; the same sentences

    assert len(fake_engine.calls) == spoken
    assert len(list(Path("cache-b").rglob("*.wav"))) == len(set(fake_engine.calls))
    assert len([n for n in _cached(shared) if n.endswith(".mp3")]) == 2


def test_an_unreachable_store_warns_once_and_speaks(
    fake_engine: FakeEngine,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    (tmp_path / "voices").mkdir()
    (tmp_path / "voices" / "fake.toml").write_text(FAKE_VOICE, encoding="utf-8")
    (tmp_path / "article.txt").write_text(ARTICLE, encoding="utf-8")
    s3_server.no_aws_config(monkeypatch, tmp_path)
    for name, value in s3_server.CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AUDIOBRIEF_CACHE_URL", "s3://nowhere/cache")
    monkeypatch.setenv("AUDIOBRIEF_S3_ENDPOINT_URL", f"http://127.0.0.1:{s3_server._free_port()}")

    with caplog.at_level(logging.WARNING, logger="audiobrief.cache_remote"):
        _speak("a")

    warned = [r.getMessage() for r in caplog.records if r.name == "audiobrief.cache_remote"]
    assert len(warned) == 1, warned
    assert "s3://nowhere/cache" in warned[0]
    assert "off for this run" in warned[0]
    assert "no answer from http://127.0.0.1:" in warned[0]
    assert fake_engine.calls  # spoken all the same, and kept in the local folder
    assert len(list(Path("cache-a").rglob("*.wav"))) == len(set(fake_engine.calls))
    assert len(list(Path("site-a").rglob("*.mp3"))) == 1


@pytest.mark.parametrize("url", ["http://bucket/cache", "s3:///cache", "s3://b/c?x=1"])
def test_a_bad_cache_url_is_one_error_line(
    fake_engine: FakeEngine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    (tmp_path / "article.txt").write_text(ARTICLE, encoding="utf-8")
    monkeypatch.setenv("AUDIOBRIEF_CACHE_URL", url)

    result = _speak("a", code=1)

    (line,) = result.stderr.strip().splitlines() or result.output.strip().splitlines()
    assert line.startswith("Error: ")
    assert "cache_url" in line
    assert "s3://bucket/prefix" in line
    assert fake_engine.calls == []


def test_info_names_the_shared_tier_and_clear_leaves_it(
    shared: S3, fake_engine: FakeEngine
) -> None:
    _speak("a")
    in_bucket = _cached(shared)
    runner = CliRunner(mix_stderr=False)
    env = {"AUDIOBRIEF_CACHE_DIR": "cache-a"}

    info = runner.invoke(cli, ["cache", "info"], env=env).output
    cleared = runner.invoke(cli, ["cache", "clear"], env=env).output

    assert f"shared tier: s3://{shared.bucket}/cache" in info
    assert "from the local folder" in cleared
    assert "untouched" in cleared
    assert not list(Path("cache-a").rglob("*.wav"))
    assert _cached(shared) == in_bucket


def test_the_mp3_goes_up_after_its_timeline(s3: S3, tmp_path: Path) -> None:
    """A worker that finds an episode's MP3 in the bucket finds its JSON too."""
    cache = Cache(tmp_path / "one", shared=SharedTier(f"s3://{s3.bucket}/c", s3.endpoint))
    assert cache.shared is not None
    order: list[str] = []
    upload = cache.shared.upload
    cache.shared.upload = lambda name, path: (order.append(name), upload(name, path))[1]  # type: ignore[method-assign]
    work = cache.work_dir()
    (work / "e.mp3").write_bytes(b"\xff\xf3" * 500)

    episode_cache.store(cache, "k" * 64, work / "e.mp3", TIMELINE)

    assert [Path(name).suffix for name in order] == [".json", ".mp3"]
    other = Cache(tmp_path / "two", shared=SharedTier(f"s3://{s3.bucket}/c", s3.endpoint))
    found = episode_cache.load(other, "k" * 64)
    assert found is not None
    assert found[0].read_bytes() == b"\xff\xf3" * 500
    assert found[1] == TIMELINE


def test_a_half_uploaded_episode_is_a_miss(s3: S3, tmp_path: Path) -> None:
    first = Cache(tmp_path / "one", shared=SharedTier(f"s3://{s3.bucket}/c", s3.endpoint))
    work = first.work_dir()
    (work / "e.mp3").write_bytes(b"\xff\xf3" * 500)
    episode_cache.store(first, "h" * 64, work / "e.mp3", TIMELINE)
    s3.client.delete_object(Bucket=s3.bucket, Key=f"c/episodes/hh/{'h' * 64}.mp3")

    second = Cache(tmp_path / "two", shared=SharedTier(f"s3://{s3.bucket}/c", s3.endpoint))

    assert episode_cache.load(second, "h" * 64) is None
    assert not list((tmp_path / "two").rglob("*.mp3"))


def test_open_cache_gives_one_tier_per_folder_and_url(tmp_path: Path) -> None:
    plain = open_cache(tmp_path / "c", 10)
    shared = open_cache(tmp_path / "c", 10, "s3://bucket/x", "http://127.0.0.1:9")
    assert plain is not None
    assert plain.shared is None
    assert shared is not None
    assert shared.shared is not None
    assert shared is open_cache(tmp_path / "c", 10, "s3://bucket/x", "http://127.0.0.1:9")


def test_a_missing_bucket_turns_the_tier_off_until_it_is_time_to_try_again(
    s3: S3, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A long-lived worker is not cut off for good by one outage of the store."""
    bucket = f"{s3.bucket}-later"
    tier = SharedTier(f"s3://{bucket}/c", s3.endpoint)
    cache = Cache(tmp_path / "c", shared=tier)
    clock = [1000.0]
    monkeypatch.setattr(cache_remote.time, "monotonic", lambda: clock[0])

    with caplog.at_level(logging.WARNING, logger="audiobrief.cache_remote"):
        assert cache.find("clips", "a" * 64, ".wav") is None
        assert cache.put("clips", "a" * 64, ".wav", b"RIFF one") is not None
        assert cache.find("clips", "b" * 64, ".wav") is None

    assert tier.off
    assert [r.levelname for r in caplog.records] == ["WARNING"]
    assert "NoSuchBucket" in caplog.records[0].getMessage()
    s3.client.create_bucket(Bucket=bucket)
    clock[0] += cache_remote.RETRY_S - 1
    cache.put("clips", "c" * 64, ".wav", b"RIFF two")
    assert tier.uploaded == 0  # still resting
    clock[0] += 2

    cache.put("clips", "d" * 64, ".wav", b"RIFF three")

    assert not tier.off
    assert tier.uploaded == 1
    got = s3.client.get_object(Bucket=bucket, Key=f"c/clips/dd/{'d' * 64}.wav")
    assert got["Body"].read() == b"RIFF three"
