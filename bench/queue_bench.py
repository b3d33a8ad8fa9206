"""20 articles through the work queue with 1 worker process, then with 2, side by side.

    python bench/queue_bench.py [--articles N] [CORPUS_DIR]

Starts its own redis-server on a free loopback port and real `audiobrief worker`
processes (eSpeak NG voice, each run with an empty synthesis cache and output folder).
The articles are the corpus's .txt articles cut in two halves each (real text, no two
alike). It prints each run's wall time from the first enqueue to the last job done, the
ratio 2 workers / 1 worker (target <= 0.6), that every article was published exactly once
with whole feeds, the workers' peak RSS, and the queue's own cost per job: enqueue
latency, dispatch latency (enqueued -> running on an idle worker), the gap between one
job's end and the next one's start on a busy worker, and Redis commands per job.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))  # the tests' redis-server and worker helpers

from audiobrief import queue  # noqa: E402
from audiobrief.config import Settings  # noqa: E402
from audiobrief.pipeline import Run  # noqa: E402
from redis_server import BINARY, RedisServer, Worker, worker_env  # noqa: E402
from state_support import consistent  # noqa: E402

DEFAULT_CORPUS = REPO.parent / "shared" / "corpus"
TARGET = 0.6


def halves(corpus: Path, folder: Path, count: int) -> list[str]:
    """*count* articles in *folder*: each corpus article as two (the first and second half
    of its paragraphs). Exits when the corpus gives fewer."""
    folder.mkdir(parents=True, exist_ok=True)
    paths: list[str] = []
    for source in sorted(corpus.glob("*.txt")):
        lines = source.read_text(encoding="utf-8").splitlines()
        title, *paragraphs = [line.strip() for line in lines if line.strip()]
        middle = max(1, len(paragraphs) // 2)
        for part, body in enumerate((paragraphs[:middle], paragraphs[middle:]), start=1):
            if body and len(paths) < count:
                path = folder / f"{source.stem}-{part}.txt"
                text = f"{title} ({part})\n\n" + "\n\n".join(body) + "\n"
                path.write_text(text, encoding="utf-8")
                paths.append(str(path))
    if len(paths) < count:
        raise SystemExit(f"the corpus gives {len(paths)} articles, not {count}")
    return paths


def peak_rss_kb(pid: int) -> tuple[int, int]:
    """VmHWM of the worker process *pid* and the largest of its pool processes."""
    peaks = []
    for proc in [pid, *_children(pid)]:
        try:
            status = Path(f"/proc/{proc}/status").read_text(encoding="utf-8")
        except OSError:
            peaks.append(0)
            continue
        peaks.append(next(int(line.split()[1]) for line in status.splitlines() if "VmHWM" in line))
    return peaks[0], max(peaks[1:], default=0)


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with open(task / "children", encoding="utf-8") as listed:
            for child in map(int, listed.read().split()):
                found += [child, *_children(child)]
    return found


def one_run(server: RedisServer, work: Path, paths: list[str], workers: int) -> dict[str, float]:
    import redis

    stats = redis.Redis.from_url(server.url, decode_responses=True)
    stats.flushall()
    stats.config_resetstat()
    run_dir = work / f"run-{workers}"
    shutil.copytree(REPO / "voices", run_dir / "voices")
    env = worker_env(server.url, run_dir / "cache")
    env["XDG_STATE_HOME"] = str(run_dir / "state")
    started = [Worker(run_dir, env, "-q") for _ in range(workers)]
    try:
        _wait_ready(started)
        begin = time.perf_counter()
        # The enqueue as `speak` does it with queue_url set, timed without the CLI's start.
        run = Run(settings=Settings(queue_url=server.url), now=dt.datetime.now(dt.UTC))
        flags = {"output_dir": str(run_dir / "out")}
        made = queue.enqueue(server.url, queue.speak_jobs(paths, run, flags))
        enqueue_s = time.perf_counter() - begin
        ids = [job.id for job in made]
        jobs = queue.wait(server.url, ids, lambda _job: None, timeout_s=1800)
        wall_s = time.perf_counter() - begin
        # The waiter's polling (HGETALL, which only it uses) is this bench's, not the queue's.
        counted = stats.info("commandstats")
        commands = sum(int(v["calls"]) for k, v in counted.items() if k != "cmdstat_hgetall")
        rss_kb = [peak_rss_kb(w.process.pid) for w in started]
    finally:
        for worker in started:
            worker.stop()
    failed = [j for j in jobs if j.state != "done"]
    if failed:
        raise SystemExit(f"{len(failed)} jobs failed: {failed[0].error}")
    listed = consistent(run_dir / "out")
    if len(listed) != len(paths) or len(set(listed.values())) != len(paths):
        raise SystemExit(f"{len(listed)} episodes listed for {len(paths)} articles")
    by_start = sorted(jobs, key=lambda j: j.started)
    dispatch = [j.started - j.enqueued for j in by_start[:workers]]  # idle workers
    gaps = []
    for node in {j.worker for j in jobs}:
        mine = sorted((j for j in jobs if j.worker == node), key=lambda j: j.started)
        gaps += [b.started - a.updated for a, b in itertools.pairwise(mine)]
    return {
        "wall_s": wall_s,
        "enqueue_ms": 1000 * enqueue_s / len(paths),
        "dispatch_ms": 1000 * statistics.mean(dispatch),
        "gap_ms": 1000 * statistics.median(gaps) if gaps else 0.0,
        "main_mb": max(r[0] for r in rss_kb) / 1024,
        "pool_mb": max(r[1] for r in rss_kb) / 1024,
        "episodes": len(listed),
        "commands": commands / len(paths),
    }


def parallelism(work_s: float = 3.0) -> float:
    """How many of this machine's cores were free: two CPU-bound processes at once against
    one (2.0 on two idle cores), to read the queue's ratio on a shared machine."""
    spin = (
        f"import time\nend = time.process_time() + {work_s}\nwhile time.process_time() < end: pass"
    )
    walls = []
    for count in (1, 2):
        begin = time.perf_counter()
        spinning = [subprocess.Popen([sys.executable, "-c", spin]) for _ in range(count)]
        for process in spinning:
            process.wait()
        walls.append(time.perf_counter() - begin)
    return 2 * walls[0] / walls[1]


def _wait_ready(workers: list[Worker], timeout_s: float = 120) -> None:
    """Until each worker's pool process is up (it forks once it is ready to consume)."""
    deadline = time.monotonic() + timeout_s
    while not all(_children(w.process.pid) for w in workers):
        if time.monotonic() > deadline:
            raise SystemExit("workers did not start:\n" + workers[0].output())
        time.sleep(0.1)
    time.sleep(1.0)  # the consumer subscribes after the pool starts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="?", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--articles", type=int, default=20)
    args = parser.parse_args()
    if BINARY is None:
        print("queue_bench: skipped, needs redis-server (apt-get install redis-server)")
        return 0
    with tempfile.TemporaryDirectory(prefix="queue-bench-") as tmp:
        work = Path(tmp)
        paths = halves(args.corpus, work / "articles", args.articles)
        (work / "redis").mkdir()
        server = RedisServer(work / "redis")
        server.start()
        try:
            cores = parallelism()
            results = {n: one_run(server, work, paths, n) for n in (1, 2)}
            cores = (cores + parallelism()) / 2  # before and after: the load changes
        finally:
            server.stop()
    print(f"{len(paths)} articles, each published exactly once, feeds whole")
    print(f"{'workers':<9}{'wall s':>8}{'RSS MB':>13}{'enqueue ms':>12}"
          f"{'dispatch ms':>13}{'gap ms':>8}{'Redis cmds':>12}")  # fmt: skip
    for n, r in results.items():
        print(
            f"{n:<9}{r['wall_s']:>8.1f}{r['main_mb']:>7.0f} +{r['pool_mb']:>4.0f}"
            f"{r['enqueue_ms']:>12.1f}"
            f"{r['dispatch_ms']:>13.1f}{r['gap_ms']:>8.1f}{r['commands']:>12.1f}"
        )
    print("per job: enqueue and dispatch latency, gap between jobs on one worker, Redis")
    print("commands (enqueue and workers, their idle polling included; not the waiting")
    print("client's); peak RSS of the worker process +")
    print("its pool process (the one that renders), the largest of the workers")
    ratio = results[2]["wall_s"] / results[1]["wall_s"]
    verdict = "meets" if ratio <= TARGET else "misses"
    print(f"2 workers / 1 worker: {ratio:.2f}x ({verdict} the <= {TARGET}x target)")
    print(f"free cores while it ran: {cores:.2f} of 2 (two CPU-bound processes vs one)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
