"""Per-host politeness: how long to wait before the next fetch from one host.

Throttle        the protocol: `wait(host)` returns once this process may fetch from the host
├── NoThrottle      no delay (a politeness delay of 0)
├── LocalThrottle   shared memory: this process and its pool children (`feeds run --processes`)
└── RedisThrottle   Redis keys: every Celery worker on every machine
"""

from __future__ import annotations

import multiprocessing
import time
import zlib
from typing import Any, Protocol


class Throttle(Protocol):
    """Spaces fetches from one host: `wait(host)` returns once this process may fetch from it."""

    def wait(self, host: str) -> float: ...


class NoThrottle:
    """No delay at all (a politeness delay of 0)."""

    def wait(self, host: str) -> float:
        return 0.0


class LocalThrottle:
    """A minimum delay between fetches from one host, shared by this process and its pool children.

    Hosts hash into `slots` shared-memory slots holding the earliest time of the next fetch; two
    hosts that share a slot are only spaced more than needed. Pass the instance to child processes
    at their creation (pool initializer); it pickles for that only.

    Example:
        >>> throttle = LocalThrottle(1.0)
        >>> throttle.wait("example.org")  # first call: no wait
        0.0
    """

    def __init__(self, delay_s: float, *, slots: int = 4096) -> None:
        self.delay_s = delay_s
        # Made in the forkserver context, the pool's: shared memory that children can be handed.
        self._next = multiprocessing.get_context("forkserver").Array("d", slots, lock=True)

    def wait(self, host: str) -> float:
        slot = zlib.crc32(host.lower().encode("utf-8")) % len(self._next)
        waited = 0.0
        while True:
            with self._next.get_lock():
                now = time.monotonic()  # CLOCK_MONOTONIC: one clock for every process on the machine
                ready = self._next[slot]
                if now >= ready:
                    self._next[slot] = now + self.delay_s
                    return waited
            pause = ready - now
            time.sleep(pause)
            waited += pause


class RedisThrottle:
    """A minimum delay between fetches from one host across every worker, on Redis.

    Each fetch takes the key `{prefix}{host}` with SET NX PX: whoever sets it may fetch, and the
    key's expiry is the delay. `client` is a `redis.Redis`.
    """

    def __init__(self, client: Any, delay_s: float, *, prefix: str = "factcheck:politeness:") -> None:
        self.client = client
        self.delay_s = delay_s
        self.prefix = prefix

    def wait(self, host: str) -> float:
        key = f"{self.prefix}{host.lower()}"
        delay_ms = max(int(self.delay_s * 1000), 1)
        waited = 0.0
        while not self.client.set(key, b"1", nx=True, px=delay_ms):
            pause = max(int(self.client.pttl(key) or 0), 5) / 1000
            time.sleep(pause)
            waited += pause
        return waited
