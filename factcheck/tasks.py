"""Celery tasks: thin wrappers over `factcheck.feeds.FeedRunner`, for checking feeds on many machines.

    factcheck worker                       starts a worker (or: celery -A factcheck.tasks worker)
    factcheck feeds run --engine celery    polls the feeds, then sends one `check_article` per article

A task takes an article id and returns plain JSON. It is safe to run twice: the article's row says
whether it is done, and the transaction that marks it done is the one that stores its results.
Messages are acknowledged only after the task (`task_acks_late`), and a task whose worker process
died is handed back to the broker (`task_reject_on_worker_lost`), so a killed worker's article is
redone by another worker. Each worker process builds its runner, and loads the models, once, on
its first task. The broker (`FACTCHECK_BROKER_URL`, Redis by default) also holds the per-host
politeness locks; PostgreSQL is the database every worker shares.
"""

from __future__ import annotations

import os
import threading
from typing import Any

try:
    from celery import Celery, Task
except ImportError as error:  # pragma: no cover - depends on the installation
    raise ImportError(
        "Celery workers need the worker extra: pip install 'factcheck[worker]' (celery[redis])"
    ) from error
from kombu.exceptions import OperationalError as BrokerError
from kombu.utils.url import maybe_sanitize_url
from sqlalchemy.exc import IntegrityError, OperationalError

from factcheck.errors import FactcheckError, FetchError, NotFoundError
from factcheck.feeds import FeedRunner, LocalThrottle, NoThrottle, RedisThrottle, Throttle
from factcheck.settings import Settings

__all__ = ["app", "celery_config", "check_article", "configure", "send_check", "start_worker"]

MAX_TASK_RETRIES = 20
"""A backstop only: the article's stored attempts decide when a fetch stops being retried."""


def celery_config(settings: Settings) -> dict[str, Any]:
    """The Celery configuration for these settings."""
    return {
        "broker_url": settings.broker_url,
        "broker_connection_retry_on_startup": True,
        # A message a dead worker took goes back to the queue after this long (Redis transport); workers
        # look for such messages every tenth of it (1 to 60 s), not kombu's default of about 100 s.
        "broker_transport_options": {
            "visibility_timeout": settings.broker_visibility_timeout_s,
            "unacked_restore_interval": max(1.0, min(60.0, settings.broker_visibility_timeout_s / 10)),
            "unacked_restore_throttle": 1,
        },
        "task_default_queue": settings.worker_queue,
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "task_ignore_result": True,  # the database holds the results; `feeds run` reads them there
        "task_serializer": "json",
        "accept_content": ["json"],
        "worker_prefetch_multiplier": 1,  # a worker holds one article at a time, so none wait behind a slow one
        "enable_utc": True,
    }


app = Celery("factcheck")


def configure(settings: Settings) -> None:
    """Point the app at these settings' broker and queue (the CLI calls this; workers do at import)."""
    app.conf.update(celery_config(settings))
    # A process that already sent tasks keeps its connection and producer pools for the previous
    # broker; Celery has no public call to forget them (it does the same after a fork). The pools
    # themselves are kombu's, shared per broker URL, so they are dropped here, not closed.
    app._pool = None
    amqp = app.__dict__.get("amqp")
    if amqp is not None:
        amqp._producer_pool = None


configure(Settings())

_runner: FeedRunner | None = None
_runner_pid = 0
_runner_lock = threading.Lock()


def runner() -> FeedRunner:
    """This worker process's FeedRunner, built on first use from the environment's settings."""
    global _runner, _runner_pid
    with _runner_lock:
        if _runner is None or _runner_pid != os.getpid():
            settings = Settings()
            _runner = FeedRunner.from_settings(settings, throttle=_throttle(settings))
            _runner_pid = os.getpid()
        return _runner


def _throttle(settings: Settings) -> Throttle:
    delay = settings.feed_politeness_delay_s
    if delay <= 0:
        return NoThrottle()
    if settings.broker_url.startswith(("redis://", "rediss://", "unix://")):
        import redis

        return RedisThrottle(redis.Redis.from_url(settings.broker_url), delay)
    return LocalThrottle(delay)  # other brokers: polite per worker process only


@app.task(
    bind=True,
    name="factcheck.check_article",
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=MAX_TASK_RETRIES,
    # The database restarting or unreachable for a moment; or two workers filling a fresh database
    # from the corpus at once as they load the models (the debunk vector cache itself tolerates that).
    autoretry_for=(OperationalError, IntegrityError),
    retry_backoff=True,
)
def check_article(self: Task, article_id: int) -> dict[str, Any]:
    """Fetch, check and store one feed article; returns its ArticleOutcome as JSON."""
    feed_runner = runner()
    try:
        return feed_runner.check_article(article_id).to_json()
    except NotFoundError:
        return {"article_id": article_id, "status": "missing"}
    except FetchError as error:  # recorded as an attempt; may pass (timeout, 5xx): retry with backoff
        raise self.retry(exc=error, countdown=feed_runner.backoff(self.request.retries)) from error


def send_check(article_id: int) -> None:
    """Queue one article for the workers; FactcheckError when the broker cannot be reached."""
    try:
        check_article.apply_async((article_id,), queue=app.conf.task_default_queue)
    except BrokerError as error:
        broker = maybe_sanitize_url(app.conf.broker_url)
        raise FactcheckError(f"cannot queue tasks on the broker {broker}: {error}") from error


def start_worker(*, concurrency: int, loglevel: str = "INFO", hostname: str | None = None) -> None:
    """Run a worker in this process until it is stopped (SIGTERM or Ctrl-C: warm shutdown)."""
    argv = [
        "worker",
        f"--concurrency={concurrency}",
        f"--loglevel={loglevel}",
        f"--queues={app.conf.task_default_queue}",
        "--pool=prefork",
    ]
    if hostname:
        argv.append(f"--hostname={hostname}")
    app.worker_main(argv)
