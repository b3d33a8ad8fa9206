"""Runs side by side and runs killed at any step leave feeds, files and catalog in step.

Each run is its own process (real locks, real SIGKILL). Articles are spoken once first,
so the runs under test take their audio from the episode cache and spend their time in
publishing, where the races and the kills matter.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from audiobrief.cli import cli
from audiobrief.publish.catalog import open_catalog
from state_support import (
    REPO,
    consistent,
    feeds_whole,
    items,
    start_cli,
    subprocess_env,
    temporaries,
)

pytestmark = pytest.mark.slow

FIRST = "حريق في سوق الحي\n\nاندلع حريق محدود في سوق الحي القديم وتدخلت الوقاية المدنية.\n"
SECOND = "افتتاح مكتبة\n\nافتتحت الجماعة مكتبة عمومية جديدة قرب المحطة.\n"
EDITED = FIRST + "\nولم تسجل أي إصابات في صفوف التجار.\n"


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """voices/, x/article.txt and y/article.txt (two articles, one file name), a warm cache."""
    root = tmp_path_factory.mktemp("faults")
    shutil.copytree(REPO / "voices", root / "voices")
    for folder, text in (("x", FIRST), ("y", SECOND), ("edited", EDITED)):
        (root / folder).mkdir()
        (root / folder / "article.txt").write_text(text, encoding="utf-8")
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(root)
        patch.setenv("AUDIOBRIEF_CACHE_DIR", str(root / "cache"))
        for folder in ("x", "y", "edited"):
            result = CliRunner().invoke(cli, ["speak", f"{folder}/article.txt", "-o", "warm"])
            assert result.exit_code == 0, result.output
    return root


def _finish(procs: list[subprocess.Popen[str]], timeout_s: float = 120) -> list[tuple[int, str]]:
    """Each process's exit status and output, once all have ended."""
    outputs = [p.communicate(timeout=timeout_s)[0] for p in procs]
    return [(p.returncode, output) for p, output in zip(procs, outputs, strict=True)]


def test_same_named_articles_spoken_at_once_stay_two_correct_episodes(workspace: Path) -> None:
    env = subprocess_env(workspace / "cache")
    for round_ in range(4):
        out = f"same-name-{round_}"
        procs = [
            start_cli(["speak", f"{folder}/article.txt", "-o", out], workspace, env)
            for folder in ("x", "y")
        ]
        for code, output in _finish(procs):
            assert code == 0, output
        listed = consistent(workspace / out)
        titles = sorted(str(i["title"]).split(" (")[0] for i in items(workspace / out))
        assert titles == ["افتتاح مكتبة", "حريق في سوق الحي"]
        assert len(listed) == 2
        assert temporaries(workspace / out) == []


def test_four_overlapping_runs_of_one_article_publish_it_once(workspace: Path) -> None:
    env = subprocess_env(workspace / "cache")
    for round_ in range(3):
        out = f"overlap-{round_}"
        procs = [start_cli(["speak", "x/article.txt", "-o", out], workspace, env) for _ in range(4)]
        for code, output in _finish(procs):
            assert code == 0, output
        (_guid,) = consistent(workspace / out)
        assert temporaries(workspace / out) == []


# Each prelude kills the run (SIGKILL: no cleanup of any kind) at one step of publishing
# an edited article over its published first version.
_KILL = "import os, signal\ndef _die(): os.kill(os.getpid(), signal.SIGKILL)\n"
KILLS = {
    "after staging": "from audiobrief.publish import publisher as m\n"
    "real = m.stage_episode\n"
    "def f(*a, **k):\n    real(*a, **k); _die()\nm.stage_episode = f\n",
    "after the commit": "from audiobrief.publish.catalog import Catalog as C\n"
    "real = C.upsert\n"
    "def f(*a, **k):\n    real(*a, **k); _die()\nC.upsert = f\n",
    "after the first move": "from audiobrief.publish import storage as m\n"
    "real = m.replace_into\n"
    "def f(*a, **k):\n    real(*a, **k); _die()\nm.replace_into = f\n",
    "before the feeds": "from audiobrief.publish import publisher as m\n"
    "def f(*a, **k):\n    _die()\nm.Publisher.refresh = f\n",
    "before old files go": "from audiobrief.publish import publisher as m\n"
    "def f(*a, **k):\n    _die()\nm.collect_garbage = f\n",
}


@pytest.mark.parametrize("step", list(KILLS))
def test_a_run_killed_at_any_step_leaves_the_old_state_or_the_new(
    workspace: Path, step: str
) -> None:
    env = subprocess_env(workspace / "cache")
    out = workspace / f"killed-{list(KILLS).index(step)}"
    article = out.parent / f"article-{list(KILLS).index(step)}.txt"
    shutil.copy(workspace / "x" / "article.txt", article)
    ((code, output),) = _finish(
        [start_cli(["speak", article.name, "-o", out.name], workspace, env)]
    )
    assert code == 0, output
    (guid,) = first = consistent(out)
    shutil.copy(workspace / "edited" / "article.txt", article)
    ((code, output),) = _finish(
        [start_cli(["speak", article.name, "-o", out.name], workspace, env, _KILL + KILLS[step])]
    )
    assert code == -9, output
    after_kill = feeds_whole(out)  # podcast apps polling now see a whole state
    assert list(after_kill) == [guid]
    assert after_kill in (first, {guid: first[guid].replace(".mp3", ".v2.mp3")})
    ((code, output),) = _finish([start_cli(["feed", "-o", out.name], workspace, env)])
    assert code == 0, output
    settled = consistent(out)
    committed = step != "after staging"
    assert settled[guid].endswith(".v2.mp3") is committed
    with open_catalog(out / "catalog.sqlite") as catalog:  # the moves a death left, settled
        assert catalog.pending() == []
        assert not catalog.site_value("running")
    assert temporaries(out) == []
    mp3s = sorted(p.name for p in out.rglob("*.mp3"))
    assert mp3s == [Path(settled[guid]).name]  # no orphan version left behind
