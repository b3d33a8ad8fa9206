"""Job state in Redis: one hash per job, a sorted set of them by last change, TTLs on the ended.

The task writes every change itself (running, retrying, done, failed), so `audiobrief jobs`
reads the truth from Redis alone; Celery's result backend is not used.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from audiobrief.errors import AudiobriefError

if TYPE_CHECKING:
    import redis

PREFIX = "audiobrief:"
INDEX = PREFIX + "jobs"
DONE_TTL_S = 7 * 24 * 3600
"""A finished job is kept a week: long enough to see, short enough that Redis stays small."""
FAILED_TTL_S = 30 * 24 * 3600
"""A failed job waits a month for someone to read it and run `audiobrief jobs retry`."""
ACTIVE = ("queued", "running", "retrying")
STATES = (*ACTIVE, "done", "failed")
RECONNECT_S = 60.0
"""How long a state write waits for Redis to come back (a restart) before giving up."""

T = TypeVar("T")

# Atomic "create unless the same job is already there": two enqueues of one article at
# once must make one job. KEYS: job hash, index; ARGV: now, done_is_final, id, fields...
_CREATE = """
local state = redis.call('HGET', KEYS[1], 'state')
if state == 'queued' or state == 'running' or state == 'retrying'
   or (state == 'done' and ARGV[2] == '1') then
  return state
end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], unpack(ARGV, 4))
redis.call('ZADD', KEYS[2], ARGV[1], ARGV[3])
return false
"""


@dataclass(frozen=True)
class Job:
    """What `audiobrief jobs` shows of one job."""

    id: str
    kind: str
    """`speak` or `ingest`."""
    article: str
    """The file name or URL it speaks."""
    state: str
    tries: int
    error: str
    status: str
    """For a done job: the episode's outcome (`new`, `updated`, `unchanged`...)."""
    episode: str
    """The MP3's path in the output, once published."""
    worker: str
    """The worker that ran it last (Celery node name: `audiobrief-PID@HOST`)."""
    enqueued: float
    started: float
    """When its last try began (0 before): with `enqueued`, the queue's dispatch latency."""
    updated: float
    payload: dict[str, Any]

    @property
    def ended(self) -> bool:
        return self.state in ("done", "failed")


def key(job_id: str) -> str:
    return f"{PREFIX}job:{job_id}"


def create(
    client: redis.Redis, job_id: str, kind: str, article: str, payload: dict[str, Any]
) -> str | None:
    """Record a new queued job; the state of the same job when it is already there.

    A job whose id covers its content (a file) stays done once done; one that does not
    (a URL, whose page may change) is queued again.
    """
    now = time.time()
    fields = {
        "id": job_id, "kind": kind, "article": article, "state": "queued", "tries": 0,
        "error": "", "status": "", "episode": "", "enqueued": now, "updated": now,
        "payload": json.dumps(payload),
    }  # fmt: skip
    final = "1" if payload.get("data") is not None else "0"
    flat = [str(v) for pair in fields.items() for v in pair]
    found = client.eval(_CREATE, 2, key(job_id), INDEX, now, final, job_id, *flat)
    return str(found) if found else None


def requeue(client: redis.Redis, job_id: str) -> Job:
    """Queue a failed job again (`audiobrief jobs retry`); its tries start over."""
    job = get(client, job_id)
    if job is None:
        raise AudiobriefError(f"no job {job_id!r}; run 'audiobrief jobs' to list them.")
    if job.state != "failed":
        raise AudiobriefError(f"job {job_id} is {job.state}, not failed; only failed jobs retry.")
    _write(client, job_id, {"state": "queued", "tries": 0, "error": "", "status": ""})
    return job


def mark(client: redis.Redis, job_id: str, state: str, **fields: Any) -> None:
    """Set a job's state (and fields), waiting out a Redis restart."""
    patient(lambda: _write(client, job_id, {"state": state, **fields}))


def start(client: redis.Redis, job_id: str, article: str, worker: str) -> tuple[str, int]:
    """Mark the job running on *worker* and count the try; its state before, the try's number."""

    def begin() -> tuple[str, int]:
        before = str(client.hget(key(job_id), "state") or "")
        pipe = client.pipeline()
        pipe.hincrby(key(job_id), "tries", 1)
        pipe.hset(key(job_id), mapping={"id": job_id, "article": article})
        tries = int(pipe.execute()[0])
        if before != "done":  # a redelivered message of a finished job changes nothing
            _write(client, job_id, {"state": "running", "worker": worker, "started": time.time()})
        return before, tries

    return patient(begin)


def get(client: redis.Redis, job_id: str) -> Job | None:
    raw = client.hgetall(key(job_id))
    return _job(raw) if raw else None


def jobs(client: redis.Redis, states: Iterable[str] = STATES, limit: int = 200) -> list[Job]:
    """The newest jobs first; ids whose hash expired leave the index on the way."""
    wanted = set(states)
    ids = [str(i) for i in client.zrevrange(INDEX, 0, -1)]
    found: list[Job] = []
    gone: list[str] = []
    pipe = client.pipeline()
    for job_id in ids:
        pipe.hgetall(key(job_id))
    for job_id, raw in zip(ids, pipe.execute(), strict=True):
        if not raw:
            gone.append(job_id)
        elif (job := _job(raw)).state in wanted and len(found) < limit:
            found.append(job)
    if gone:
        client.zrem(INDEX, *gone)
    return found


def _write(client: redis.Redis, job_id: str, fields: dict[str, Any]) -> None:
    now = time.time()
    values: dict[Any, Any] = {k: str(v) for k, v in {**fields, "updated": now}.items()}
    ttl = {"done": DONE_TTL_S, "failed": FAILED_TTL_S}.get(str(fields.get("state")))
    pipe = client.pipeline()
    pipe.hset(key(job_id), mapping=values)
    if ttl:
        pipe.expire(key(job_id), ttl)
    else:
        pipe.persist(key(job_id))
    pipe.zadd(INDEX, {job_id: now})
    pipe.execute()


def patient(action: Callable[[], T]) -> T:
    """*action*, tried again while Redis is down, for up to RECONNECT_S."""
    import redis

    deadline = time.monotonic() + RECONNECT_S
    pause_s = 0.2
    while True:
        try:
            return action()
        except (redis.ConnectionError, redis.TimeoutError, redis.BusyLoadingError):
            if time.monotonic() > deadline:
                raise
            time.sleep(pause_s)
            pause_s = min(pause_s * 2, 5.0)


def _job(raw: dict[Any, Any]) -> Job:
    text = {str(k): str(v) for k, v in raw.items()}
    return Job(
        id=text.get("id", ""),
        kind=text.get("kind", ""),
        article=text.get("article", ""),
        state=text.get("state", ""),
        tries=int(text.get("tries", "0")),
        error=text.get("error", ""),
        status=text.get("status", ""),
        episode=text.get("episode", ""),
        worker=text.get("worker", ""),
        enqueued=float(text.get("enqueued", "0")),
        started=float(text.get("started", "0")),
        updated=float(text.get("updated", "0")),
        payload=json.loads(text.get("payload") or "{}"),
    )
