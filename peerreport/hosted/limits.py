"""Limits on how often something may be tried: sign-in attempts from one address.

Accounts lock after repeated wrong passwords (`accounts.authenticate`); this
limit stops one address trying many accounts. Kept in memory, per server
process: a restart forgets it, the account lockout in the database does not.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable


class AttemptLimit:
    """At most `attempts` tries per `seconds` from one key (a client address)."""

    def __init__(
        self,
        attempts: int = 20,
        seconds: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.attempts = attempts
        self.seconds = seconds
        self.clock = clock
        self._lock = threading.Lock()
        self._seen: dict[str, deque[float]] = {}

    def allow(self, key: str) -> bool:
        """Count one try from `key`; False when it is over the limit (the try is refused)."""
        now = self.clock()
        with self._lock:
            if len(self._seen) > 10_000:  # bounded: forget addresses not seen lately
                self._seen = {
                    k: v for k, v in self._seen.items() if v and now - v[-1] < self.seconds
                }
            tries = self._seen.setdefault(key, deque())
            while tries and now - tries[0] >= self.seconds:
                tries.popleft()
            if len(tries) >= self.attempts:
                return False
            tries.append(now)
            return True

    def wait_seconds(self, key: str) -> int:
        """How long until `key` may try again."""
        now = self.clock()
        with self._lock:
            tries = self._seen.get(key)
            if not tries:
                return 0
            return max(1, int(self.seconds - (now - tries[0])) + 1)


__all__ = ["AttemptLimit"]
