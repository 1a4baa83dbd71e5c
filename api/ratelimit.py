"""A per-client token bucket kept in memory (per worker process).

>>> limiter = TokenBucketLimiter(rate_per_minute=60)
>>> limiter.acquire("203.0.113.7")   # 0.0 when allowed, else seconds until the next token
0.0
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable


class TokenBucketLimiter:
    """Each client may burst up to ``rate_per_minute`` requests, refilled at ``rate_per_minute / 60`` per second.

    Clients are forgotten oldest-first beyond ``max_clients``, so memory stays bounded.
    """

    def __init__(self, rate_per_minute: int, *, max_clients: int = 10_000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if rate_per_minute <= 0:
            raise ValueError(f"rate_per_minute must be positive, got {rate_per_minute}")
        self.capacity = float(rate_per_minute)
        self.refill_per_s = rate_per_minute / 60.0
        self.max_clients = max_clients
        self._clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # client -> (tokens, updated_at)
        self._lock = threading.Lock()

    def acquire(self, client: str) -> float:
        """Take one token for ``client``; returns 0.0 when allowed, else the seconds to wait."""
        now = self._clock()
        with self._lock:
            tokens, updated = self._buckets.pop(client, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - updated) * self.refill_per_s)
            if tokens >= 1.0:
                self._buckets[client] = (tokens - 1.0, now)
                wait = 0.0
            else:
                self._buckets[client] = (tokens, now)
                wait = (1.0 - tokens) / self.refill_per_s
            while len(self._buckets) > self.max_clients:
                self._buckets.popitem(last=False)
            return wait
