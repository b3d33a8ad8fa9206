"""Fixed costs of every command: importing, and the text stage's first sentence, side by side.

Run: .venv/bin/python bench/startup_bench.py                      (this tree)
     .venv/bin/python bench/startup_bench.py --tree ../main --runs 11   (this tree and main)

Each case runs in a fresh interpreter (this one, with PYTHONPATH=<tree>/src), the trees in
turn, RUNS times; the table gives each case's median CPU time (user + system, from the
children's rusage) and the ratio to the first tree. The cases:

- `import audiobrief.cli`: what `--help` and every command pay before doing anything;
- `import audiobrief.pipeline`: what `speak`, `brief`, `feed` and `serve` pay;
- `+ words only`: the pipeline, then the text front end on a sentence with no digit and
  no Latin letter (a headline, a briefing's line): the number, date, money and link
  patterns are neither compiled nor run;
- `+ numbers`: the same with a date, an amount and a percentage, which compile them.

Python writes no bytecode here (PYTHONDONTWRITEBYTECODE may be set in the shell); each
tree's bytecode goes to its own PYTHONPYCACHEPREFIX under a temporary folder, warmed by
one run before timing, so the figures are those of an installed package.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
WORDS = "قال الوزير إن الحكومة ستواصل الإصلاحات في المئة من الجهات"
NUMBERS = "يوم 25 شتنبر 2023 بيع 1.500 جهاز بسعر 12.50 درهم، بزيادة 3,5 %"
_NORMALIZE = "from audiobrief.text.normalize import normalize; normalize({!r})"
CASES = {
    "import audiobrief.cli": "import audiobrief.cli",
    "import audiobrief.pipeline": "import audiobrief.pipeline",
    "  + words only": "import audiobrief.pipeline; " + _NORMALIZE.format(WORDS),
    "  + numbers": "import audiobrief.pipeline; " + _NORMALIZE.format(NUMBERS),
}


def _cpu_s(code: str, env: dict[str, str]) -> float:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run([sys.executable, "-c", code], env=env, check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tree", type=Path, action="append", default=[], help="also run it")
    parser.add_argument("--runs", type=int, default=7, help="runs per case and tree")
    args = parser.parse_args()
    trees = [REPO, *(tree.resolve() for tree in args.tree)]
    with tempfile.TemporaryDirectory(prefix="startup-bench-") as work:
        envs = [
            {
                **os.environ,
                "PYTHONPATH": str(tree / "src"),
                "PYTHONDONTWRITEBYTECODE": "",
                "PYTHONPYCACHEPREFIX": str(Path(work) / f"pyc{index}"),
            }
            for index, tree in enumerate(trees)
        ]
        for env in envs:  # bytecode written once, as an installed package has it
            _cpu_s(CASES["  + numbers"], env)
        times: dict[tuple[str, int], list[float]] = {}
        for _ in range(args.runs):
            for case, code in CASES.items():
                for index, env in enumerate(envs):
                    times.setdefault((case, index), []).append(_cpu_s(code, env))
    names = [str(tree) for tree in trees]
    print(f"median CPU of {args.runs} runs, ms; trees: " + "; ".join(names))
    for case in CASES:
        medians = [statistics.median(times[case, index]) * 1000 for index in range(len(trees))]
        ratios = "".join(f"  ({m / medians[0]:.2f}x)" for m in medians[1:])
        print(f"{case:28s}" + "".join(f"{m:8.0f}" for m in medians) + ratios)


if __name__ == "__main__":
    main()
