"""Mutation run over the core modules: how many planted one-line bugs the tests catch.

    python bench/mutation.py                      # the default modules and their tests
    python bench/mutation.py --module publish/feed.py=tests/test_feed.py
    python bench/mutation.py --list-survivors     # print every mutant no test caught

mutmut writes its mutants and results into a scratch copy of the repository (src/, tests/,
voices/, pyproject.toml), never into the checkout. Each module is mutated on its own with
only its own test files, so a run takes minutes rather than hours; `make mutation` runs it.
The survival rate is survived / (killed + survived): mutants with no covering test count
as survived, timeouts as killed (the mutant broke something badly enough to hang). Lines
that start a debug or info log call are not mutated.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PACKAGE = Path("src/audiobrief")

# Core modules with the tests that are meant to pin them down (module: test files).
DEFAULT_MODULES: dict[str, tuple[str, ...]] = {
    "publish/feed.py": ("tests/test_feed.py", "tests/test_incremental.py"),
    "publish/tags.py": ("tests/test_tags.py",),
    "audio/stitch.py": ("tests/test_stitch.py",),
    "text/numbers.py": (
        "tests/test_numbers.py",
        "tests/test_frontend_cases.py",
        "tests/test_normalize_properties.py",
    ),
    "engines/batch.py": ("tests/test_batch.py", "tests/test_engine_contract.py"),
}

# mutmut's exit codes (mutmut 3.3): 1 and 3 are kills, 0 a survivor; the rest as named.
_KILLED = {1, 3, 24, 36, 152, 255, -24}
_SURVIVED = {0, 5, 33}
_COPIED = ("src", "tests", "voices", "pyproject.toml")
# mutmut 3.7 (the last release that accepts gTTS's click<8.2) reads pytest's private
# Node._nodeid, which pytest 9 dropped: give it the public nodeid under the old name.
# Imported as a module, not run as `python -m mutmut`, so the mutants' trampolines find
# the same mutmut.__main__ instead of importing it a second time.
_LAUNCH = """
import sys, _pytest.nodes
if not hasattr(_pytest.nodes.Node, "_nodeid"):
    _pytest.nodes.Node._nodeid = property(lambda node: node.nodeid)
from mutmut.__main__ import cli
sys.argv[0] = "mutmut"
cli()
"""


@dataclass
class Outcome:
    module: str
    killed: list[str] = field(default_factory=list)
    survived: list[str] = field(default_factory=list)
    other: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def rate(self) -> float:
        judged = len(self.killed) + len(self.survived)
        return len(self.survived) / judged if judged else 0.0


def run_module(module: str, tests: tuple[str, ...], scratch: Path, children: int) -> Outcome:
    """Mutate one module in a fresh copy of the repository, running only *tests*."""
    work = scratch / module.replace("/", "_").removesuffix(".py")
    work.mkdir()
    for name in _COPIED:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, work / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, work / name)
    target = PACKAGE / module
    # mutmut reads [tool.mutmut] from pyproject.toml first, else [mutmut] from setup.cfg;
    # the scratch pyproject has no such table, so the settings go to setup.cfg.
    settings = {
        "source_paths": ["src/"],
        "only_mutate": [str(target)],
        "also_copy": ["voices/"],  # tests read the profiles beside tests/
        "pytest_add_cli_args_test_selection": list(tests),
        # What a debug or info log line says is no behaviour a test should pin; warnings
        # reach the user and are mutated like any other code.
        "do_not_mutate_patterns": [r"^\s*logger\.(debug|info)\("],
        # Forked mutants share pytest's temporary root: one cleaning up another's old
        # folders, or a leaked scandir at exit, warns, and filterwarnings = error would
        # turn that into a failure (a false kill) or stop mutmut itself.
        "pytest_add_cli_args": [
            # One process: mutmut records which tests reach which function in its own
            # process, which the suite's parallel workers (addopts' -n auto) would hide.
            "-n",
            "0",
            "-W",
            "ignore::pytest.PytestUnraisableExceptionWarning",
            "-W",
            "ignore:(rm_rf) error removing:pytest.PytestWarning",
        ],
    }
    lines = ["[mutmut]"]
    for key, values in settings.items():
        lines += [f"{key} ="] + [f"    {value}" for value in values]
    (work / "setup.cfg").write_text("\n".join(lines) + "\n", encoding="utf-8")
    # The scratch copy is not installed: mutmut puts its mutants/src first on the path,
    # and the editable install's own src/ is dropped from it so the mutants are imported.
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-c", _LAUNCH, "run", "--max-children", str(children)],
        cwd=work,
        env=env,
        stdout=subprocess.DEVNULL,
        check=False,
    )
    outcome = Outcome(module, seconds=time.perf_counter() - started)
    meta = work / "mutants" / target.with_name(target.name + ".meta")
    if not meta.is_file():
        raise SystemExit(f"mutmut left no results for {module}; run it by hand in {work}")
    for name, code in json.loads(meta.read_text(encoding="utf-8"))["exit_code_by_key"].items():
        if code in _KILLED:
            outcome.killed.append(name)
        elif code in _SURVIVED:
            outcome.survived.append(name)
        else:
            outcome.other.append(f"{name} ({code})")
    return outcome


def _parse_modules(values: list[str] | None) -> dict[str, tuple[str, ...]]:
    if not values:
        return DEFAULT_MODULES
    chosen: dict[str, tuple[str, ...]] = {}
    for value in values:
        module, _, tests = value.partition("=")
        default = DEFAULT_MODULES.get(module)
        if tests:
            chosen[module] = tuple(tests.split(","))
        elif default:
            chosen[module] = default
        else:
            raise SystemExit(f"say which tests cover {module}: --module {module}=tests/test_x.py")
    return chosen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--module",
        action="append",
        help="MODULE[=TEST,...] under src/audiobrief (repeatable; default: the core set)",
    )
    parser.add_argument("--children", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--list-survivors", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the scratch copies")
    args = parser.parse_args()

    scratch = Path(tempfile.mkdtemp(prefix="audiobrief-mutation-"))
    outcomes = []
    try:
        for module, tests in _parse_modules(args.module).items():
            outcome = run_module(module, tests, scratch, args.children)
            outcomes.append(outcome)
            print(
                f"{module:22} killed {len(outcome.killed):4}  survived {len(outcome.survived):4}"
                f"  other {len(outcome.other):3}  survival {outcome.rate:6.1%}"
                f"  ({outcome.seconds:.0f} s)",
                flush=True,
            )
            if args.list_survivors:
                for name in outcome.survived + outcome.other:
                    print(f"    {name}")
    finally:
        if args.keep:
            print(f"scratch copies kept in {scratch}")
        else:
            shutil.rmtree(scratch, ignore_errors=True)
    killed = sum(len(o.killed) for o in outcomes)
    survived = sum(len(o.survived) for o in outcomes)
    total = killed + survived
    print(f"all: {killed} killed, {survived} survived: survival {survived / max(total, 1):.1%}")


if __name__ == "__main__":
    main()
