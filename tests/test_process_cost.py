"""What every command pays before its work: threads it starts, modules it loads."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

_THREADS = (
    "import os, {first}numpy; print(len(os.listdir('/proc/self/task')))"  # Linux: one per thread
)


def _threads(first: str) -> int:
    env = {k: v for k, v in os.environ.items() if not k.endswith("_NUM_THREADS")}
    code = _THREADS.format(first=first)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    return int(done.stdout)


@pytest.mark.skipif(not os.path.isdir("/proc/self/task"), reason="counts threads in /proc")
def test_a_command_starts_no_blas_threads_with_numpy() -> None:
    if _threads("") == 1:
        pytest.skip("this numpy starts no BLAS threads here (one core, or no OpenBLAS)")
    assert _threads("audiobrief.cli, ") == 1
