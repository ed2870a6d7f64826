"""`citebot healthcheck`: asks a running `citebot serve` on this machine whether it is alive (or ready), at the
address its config gives, so a container's health check follows `[serve] port` instead of repeating it.

Standard library only: a health check runs every few seconds and should start in a blink.
"""

from __future__ import annotations

import urllib.error
import urllib.request

from bot.config import ServeSettings

TIMEOUT_SECONDS = 4.0
ALL_ADDRESSES = ("0.0.0.0", "::", "")  # serve listens everywhere: ask it on this machine


def health_url(settings: ServeSettings, *, ready: bool = False) -> str:
    host = "127.0.0.1" if settings.host in ALL_ADDRESSES else settings.host
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{settings.port}/{'readyz' if ready else 'healthz'}"


def check_health(settings: ServeSettings, *, ready: bool = False) -> str | None:
    """None when serve answers 200; otherwise one line saying what it answered, or why nothing did."""
    url = health_url(settings, ready=ready)
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_SECONDS) as response:
            status = int(response.status)
            body = response.read(500).decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        status, body = error.code, error.read(500).decode("utf-8", "replace")
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        return f"citebot serve does not answer at {url}: {reason}"
    if status != 200:
        return f"{url} answered {status}: {' '.join(body.split())}"
    return None
