"""Each platform event, command and click taken on by exactly one replica: claimed by inserting its id into the
shared store (PostgreSQL), which only one insert can win whichever connection or replica the delivery reached.

Front ends call `first_time(keys)` before answering, after their own in-process check (which catches most
repeats without a round trip). The store's calls block, so they run in a thread. If the store cannot be reached,
the event is answered anyway and a warning says so (rate-limited): answering a question twice is better than
answering it never.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterable
from datetime import timedelta
from typing import Protocol

from bot.store.question_log import RateLimitedWarning
from bot.store.records import utc_now
from bot.store.sql import Store, StoreError

KEEP_CLAIMS = timedelta(days=1)  # platforms re-send for minutes, not days
PURGE_EVERY_SECONDS = 3600.0


class Claims(Protocol):
    """What a front end asks before taking on a request: has any replica taken it on already?"""

    async def first_time(self, keys: Iterable[str]) -> bool: ...


class SharedClaims:
    """Claims in a store shared by every replica; `namespace` keeps platforms' ids apart."""

    def __init__(self, store: Store, namespace: str) -> None:
        self.store = store
        self.namespace = namespace
        self.warn = RateLimitedWarning(template="replica claims: %s")
        self._last_purge: float | None = None
        self._purging = threading.Lock()

    async def first_time(self, keys: Iterable[str]) -> bool:
        wanted = [f"{self.namespace}:{key}" for key in keys]
        if not wanted:
            return True
        return await asyncio.to_thread(self._claim, wanted)

    def _claim(self, keys: list[str]) -> bool:
        try:
            self._purge_if_due()
            return self.store.claim(keys, utc_now())
        except StoreError as error:
            self.warn(f"cannot claim {keys[0]} in the shared store ({error}), so it is answered here regardless")
            return True

    def _purge_if_due(self) -> None:
        now = time.monotonic()
        with self._purging:
            if self._last_purge is not None and now - self._last_purge < PURGE_EVERY_SECONDS:
                return
            self._last_purge = now
        self.store.delete_claims_older_than(utc_now() - KEEP_CLAIMS)
