"""Answer every Slack request once: Slack re-sends events it thinks were lost, and may deliver one
message both as an @-mention and as a message event."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from typing import Any

REMEMBER_SECONDS = 3600.0
REMEMBER_AT_MOST = 20_000


class RecentRequests:
    """Keys of requests already taken on, forgotten after an hour (Slack retries within minutes) and
    bounded in size so a long-running bot does not grow without limit."""

    def __init__(
        self,
        ttl_seconds: float = REMEMBER_SECONDS,
        max_entries: int = REMEMBER_AT_MOST,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._ttl = ttl_seconds
        self._max_entries = max_entries
        self._clock = clock
        self._seen: OrderedDict[str, float] = OrderedDict()

    def first_time(self, keys: Iterable[str]) -> bool:
        """True, and remembers all `keys`, unless one of them was seen before. Check and record happen
        without an await in between, so two deliveries on one event loop cannot both get True."""
        now = self._clock()
        self._forget_older_than(now - self._ttl)
        keys = list(keys)
        if any(key in self._seen for key in keys):
            return False
        for key in keys:
            self._seen[key] = now
        while len(self._seen) > self._max_entries:
            self._seen.popitem(last=False)
        return True

    def _forget_older_than(self, cutoff: float) -> None:
        while self._seen and next(iter(self._seen.values())) < cutoff:
            self._seen.popitem(last=False)


def request_keys(body: Mapping[str, Any]) -> list[str]:
    """What identifies one request across Slack's deliveries of it.

        Events: the `event_id` (the same on every retry), and the message's channel and `ts`, which an
        @-mention and a message event for the same message share. Slash commands: the `trigger_id`, unique
        per invocation (or the `response_url`, equally unique). Button clicks and modal submissions: their
    `trigger_id`. Anything else: no key, never deduplicated.
    """
    keys: list[str] = []
    if body.get("type") == "event_callback":
        if body.get("event_id"):
            keys.append(f"event:{body['event_id']}")
        event = body.get("event") or {}
        if event.get("channel") and event.get("ts") and not event.get("subtype"):
            keys.append(f"message:{event['channel']}:{event['ts']}")
    elif body.get("type") in ("block_actions", "view_submission") and body.get("trigger_id"):
        keys.append(f"{body['type']}:{body['trigger_id']}")  # one per click or submission, kept on redelivery
    elif body.get("command"):
        if body.get("trigger_id"):
            keys.append(f"command:{body['trigger_id']}")
        elif body.get("response_url"):
            keys.append(f"command:{body['response_url']}")
    return keys
