"""Compiled patterns kept in the cache folder: the same patterns, without compiling again."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import audiobrief.text.warm  # noqa: F401  (every pattern of the front end is made)
from audiobrief.cache import Cache
from audiobrief.text import compiled, lazy
from audiobrief.text.normalize import make_steps, normalize

CODE = "the text stage's code"
SAMPLES = (
    "قال الوزير إن الحكومة ستنفق 2.5 مليار دولار في 12 مارس 2025، أي 30% أكثر.",
    "دفع 1,250 درهما و15 يورو (EUR) يوم 3/4/2024 في الساعة 10:30 على www.example.com",
    "وصل 300 ألف زائر إلى المعرض في القرن 21، بحسب وكالة رويترز Reuters.",
)


@pytest.fixture(autouse=True)
def _no_kept_compiler() -> Iterator[None]:
    yield
    lazy.keep_compiled(None)


def _cache(folder: Path) -> Cache:
    return Cache(folder, 1 << 30)


def _patterns() -> list[lazy.LazyPattern]:
    return list(lazy._MADE)


def test_every_front_end_pattern_kept_and_read_back_matches_as_re_compiles_it(
    tmp_path: Path,
) -> None:
    first = compiled.CompiledPatterns(_cache(tmp_path), CODE)
    for pattern in _patterns():
        first.compile(pattern.pattern, pattern.flags)
    first.save()
    again = compiled.CompiledPatterns(_cache(tmp_path), CODE)

    for pattern in _patterns():
        ours, theirs = (
            again.compile(pattern.pattern, pattern.flags),
            re.compile(pattern.pattern, pattern.flags),
        )
        assert (ours.pattern, ours.flags, ours.groups, ours.groupindex) == (
            theirs.pattern,
            theirs.flags,
            theirs.groups,
            theirs.groupindex,
        )
        for text in SAMPLES:
            spans = [(m.span(), m.groups()) for m in ours.finditer(text)]
            assert spans == [(m.span(), m.groups()) for m in theirs.finditer(text)]


def test_a_kept_pattern_is_not_parsed_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = compiled.CompiledPatterns(_cache(tmp_path), CODE)
    source = _patterns()[0]
    first.compile(source.pattern, source.flags)
    first.save()
    parsed: list[str] = []
    real = compiled._parser.parse
    monkeypatch.setattr(compiled._parser, "parse", lambda s, f: parsed.append(s) or real(s, f))

    compiled.CompiledPatterns(_cache(tmp_path), CODE).compile(source.pattern, source.flags)
    compiled.CompiledPatterns(_cache(tmp_path), CODE).compile("(?:x)+y", 0)

    assert parsed == ["(?:x)+y"]


def test_nothing_new_writes_nothing(tmp_path: Path) -> None:
    kept = compiled.CompiledPatterns(_cache(tmp_path), CODE)
    kept.save()

    assert not (tmp_path / compiled.KIND).exists()


@pytest.mark.parametrize("damage", [b"", b"not marshal", b"\xe9\x00\x00", None])
def test_a_damaged_entry_compiles_anew(tmp_path: Path, damage: bytes | None) -> None:
    cache = _cache(tmp_path)
    first = compiled.CompiledPatterns(cache, CODE)
    first.compile("(a+)(b)?", 0)
    first.save()
    (entry,) = (tmp_path / compiled.KIND).rglob("*.marshal")
    kept = entry.read_bytes()
    # None: one bit flipped in the opcodes, which the digest catches.
    entry.write_bytes(damage if damage is not None else kept[:-9] + b"\x01" + kept[-8:])
    parsed: list[str] = []
    real = compiled._parser.parse
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(compiled._parser, "parse", lambda s, f: parsed.append(s) or real(s, f))
        pattern = compiled.CompiledPatterns(cache, CODE).compile("(a+)(b)?", 0)

    assert parsed == ["(a+)(b)?"]
    assert pattern.fullmatch("aab") is not None
    assert pattern.groups == 2


def test_new_code_or_another_python_reads_no_old_entry(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = compiled.CompiledPatterns(_cache(tmp_path), CODE)
    first.compile("(a+)b", 0)
    first.save()
    parsed: list[str] = []
    real = compiled._parser.parse
    monkeypatch.setattr(compiled._parser, "parse", lambda s, f: parsed.append(s) or real(s, f))
    compiled.CompiledPatterns(_cache(tmp_path), "other code").compile("(a+)b", 0)
    monkeypatch.setattr(sys, "version", sys.version + " patched")
    compiled.CompiledPatterns(_cache(tmp_path), CODE).compile("(a+)b", 0)

    assert parsed == ["(a+)b", "(a+)b"]


def test_opcodes_the_engine_refuses_are_compiled_anew(tmp_path: Path) -> None:
    cache = _cache(tmp_path)
    first = compiled.CompiledPatterns(cache, CODE)
    first.compile("(a+)b", 0)
    flags, _code, groups, index, names = first._known[("(a+)b", 0)]
    first._known[("(a+)b", 0)] = (flags, b"\xff\xff\x00\x00" * 3, groups, index, names)
    first._new = 1
    first.save()

    pattern = compiled.CompiledPatterns(cache, CODE).compile("(a+)b", 0)

    assert pattern.fullmatch("aab") is not None


def test_the_front_end_reads_the_same_through_kept_patterns(tmp_path: Path) -> None:
    # In children: this process has compiled its patterns already.
    code = (
        "import sys; from pathlib import Path; from audiobrief.cache import Cache; "
        "from audiobrief.text import lazy; from audiobrief.text.compiled import CompiledPatterns; "
        "from audiobrief.text.normalize import make_steps, normalize; "
        "kept = CompiledPatterns(Cache(Path(sys.argv[1]), 1 << 30), 'v1'); "
        "lazy.keep_compiled(kept); "
        "print(normalize(sys.argv[2], steps=make_steps())); kept.save()"
    )
    runs = [
        subprocess.run(
            [sys.executable, "-c", code, str(tmp_path), SAMPLES[0]],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for _ in range(2)
    ]

    assert runs[0] == runs[1] == normalize(SAMPLES[0], steps=make_steps()) + "\n"
    assert list((tmp_path / compiled.KIND).rglob("*.marshal"))


def test_speak_keeps_its_patterns_and_the_next_run_parses_only_the_smallest(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("خبر من المدينة\n\nافتتحت 3 أسواق يوم 5 مارس.\n", "utf-8")
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    env.pop("AUDIOBRIEF_CACHE_DIR", None)
    # Each run prints how many characters of the front end's patterns re's parser saw:
    # after the first, only those that importing the front end uses (a few small ones).
    spy = (
        "import re._parser as p, sys, atexit; real = p.parse; seen = []; "
        "p.parse = lambda s, f=0, state=None: seen.append(s) or real(s, f, state); "
        "from audiobrief.text import lazy; "
        "ours = lambda: sum(map(len, {q.pattern for q in lazy._MADE} & set(seen))); "
        "atexit.register(lambda: print(ours(), file=sys.stderr)); "
        "from audiobrief.cli import cli; cli()"
    )
    runs = [
        subprocess.run(
            [sys.executable, "-c", spy, "-q", "speak", "a.txt", "-o", out],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        for out in ("first", "second")
    ]

    assert list((tmp_path / "cache" / "audiobrief" / compiled.KIND).rglob("*.marshal"))
    first, second = (int(run.stderr.split()[-1]) for run in runs)
    assert first > 10_000  # numbers, dates, money: the big ones
    assert second < 100


def test_the_front_ends_patterns_are_the_same_whatever_the_hash_seed() -> None:
    # Word lists come as sets, whose order follows the hash seed: a kept pattern is found
    # by its text, so the text must not change from one process to the next.
    code = (
        "import hashlib; from audiobrief.text import lazy; import audiobrief.text.warm; "
        "print(hashlib.sha256('\\0'.join(p.pattern for p in lazy._MADE).encode()).hexdigest())"
    )
    seen = {
        subprocess.run(
            [sys.executable, "-c", code],
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in ("1", "2", "3")
    }

    assert len(seen) == 1
