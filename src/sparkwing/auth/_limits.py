"""A token bucket per identity: the request rate a signed-in caller may have (serve, ui)."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable


class RateLimiter:
    """``rate`` requests per second per identity (``Identity.key``) with bursts up to ``burst``;
    ``rate=0`` = unlimited.  At most 100,000 identities are remembered (the oldest go first).

    >>> rl = RateLimiter(rate=1, burst=2, clock=lambda: 0.0)
    >>> [rl.allow("k") for _ in range(3)]
    [True, True, False]
    """

    def __init__(self, rate: float, burst: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate, self.burst, self._clock = rate, burst, clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # key -> (tokens, last time)
        self._lock = threading.Lock()

    def allow(self, key: str) -> bool:
        if self.rate <= 0:
            return True
        now = self._clock()
        with self._lock:
            tokens, last = self._buckets.get(key, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - last) * self.rate)
            ok = tokens >= 1.0
            self._buckets[key] = (tokens - 1.0 if ok else tokens, now)
            self._buckets.move_to_end(key)
            if len(self._buckets) > 100_000:
                self._buckets.popitem(last=False)
        return ok

    def retry_after(self) -> int:
        return max(1, int(1.0 / self.rate)) if self.rate > 0 else 0
