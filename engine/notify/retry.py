"""Trying a delivery again with exponential backoff, a bounded number of times."""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable


class DeliveryFailed(Exception):
    """One try to deliver failed; ``permanent`` when trying again cannot help (a 4xx answer)."""

    def __init__(self, message: str, permanent: bool = False):
        super().__init__(message)
        self.permanent = permanent


@dataclass(frozen=True)
class RetryPolicy:
    """``max_attempts`` tries; before try n+1 wait ``backoff_seconds × 2^(n−1)``, capped."""

    max_attempts: int = 5
    backoff_seconds: float = 1.0
    cap_seconds: float = 60.0

    def delay(self, attempt: int) -> float:
        return min(self.cap_seconds, self.backoff_seconds * 2 ** (attempt - 1))


@dataclass(frozen=True)
class Outcome:
    delivered: bool
    attempts: int
    error: str | None = None


def with_retries(send: Callable[[], None], policy: RetryPolicy,
                 sleep: Callable[[float], None] = time.sleep) -> Outcome:
    """Call ``send`` until it succeeds, fails permanently or has used every attempt."""
    for attempt in range(1, policy.max_attempts + 1):
        try:
            send()
        except DeliveryFailed as exc:
            if exc.permanent or attempt == policy.max_attempts:
                return Outcome(False, attempt, str(exc))
            sleep(policy.delay(attempt))
        else:
            return Outcome(True, attempt)
    raise AssertionError("unreachable: max_attempts is at least 1")
