"""The Celery application and the Redis client, both built from `queue_url`.

Celery and redis-py are the optional `cluster` extra: they are imported here, when a queue
is used, and their absence is one Error line naming the install.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from audiobrief.errors import INSTALL_CLUSTER, AudiobriefError

if TYPE_CHECKING:
    import celery
    import redis

QUEUE = "audiobrief"
TASK = "audiobrief.job"
VISIBILITY_TIMEOUT_S = 3600
"""A job not acknowledged this long after a worker took it goes to another worker: longer
than the longest article takes to render, or a slow job would run twice (harmlessly)."""


def require() -> None:
    """Raise the one Error line for a missing `cluster` extra."""
    try:
        import celery  # noqa: F401
        import redis  # noqa: F401
    except ImportError as exc:
        raise AudiobriefError(
            f"queue_url is set, but the work queue's libraries are missing ({exc.name}); "
            f"run: {INSTALL_CLUSTER}, or unset queue_url to work in this process."
        ) from exc


def client(queue_url: str) -> redis.Redis:
    """A Redis client for the job state, checked to answer."""
    require()
    import redis

    connection = redis.Redis.from_url(
        queue_url, socket_connect_timeout=5, socket_timeout=30, decode_responses=True
    )
    try:
        connection.ping()
    except redis.RedisError as exc:
        connection.close()
        raise AudiobriefError(
            f"cannot reach the work queue at {queue_url} ({exc}); start Redis there, "
            "or fix queue_url."
        ) from exc
    return connection


def make_app(queue_url: str, *, visibility_timeout_s: int = VISIBILITY_TIMEOUT_S) -> celery.Celery:
    """A Celery app on Redis with the delivery guarantees the jobs rely on."""
    require()
    import celery

    app = celery.Celery("audiobrief", broker=queue_url, set_as_current=False)
    transport: dict[str, Any] = {
        "visibility_timeout": visibility_timeout_s,
        # kombu sweeps for abandoned messages every interval * throttle seconds (100 s by
        # default); a short visibility timeout wants a sweep at least as often.
        "unacked_restore_interval": max(1, min(10, visibility_timeout_s // 4)),
        "unacked_restore_throttle": 1,
    }
    app.conf.update(
        broker_transport_options=transport,
        broker_connection_retry_on_startup=True,
        broker_connection_max_retries=None,  # a Redis restart is waited out, forever
        task_default_queue=QUEUE,
        task_serializer="json",
        accept_content=["json"],
        task_ignore_result=True,  # the task writes its own state (state.py)
        # Acknowledge after the job, not before: a worker killed mid-job leaves the
        # message unacknowledged, and Redis gives it to another after the visibility
        # timeout; a pool process that dies is noticed at once and the job requeued.
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,  # a worker holds only the job it runs
        worker_hijack_root_logger=False,  # audiobrief's log file keeps working
        worker_send_task_events=False,
        enable_utc=True,
    )
    return app
