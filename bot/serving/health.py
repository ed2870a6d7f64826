"""Health and metrics on a port of their own: /healthz (the process answers), /readyz (it can answer questions:
200, or 503 with the reasons it cannot) and /metrics (Prometheus text format).

Readiness is a set of named checks, each saying why its part is not ready (or None when it is), asked afresh at
every /readyz: the index, one per platform connection, and "stopping" once a stop has begun.
"""

from __future__ import annotations

import contextlib
import inspect
import logging
from collections.abc import AsyncIterator, Awaitable, Callable

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from bot import metrics
from bot.config import ConfigError, ServeSettings

log = logging.getLogger("citebot.serve")

Check = Callable[[], "str | Awaitable[str | None] | None"]


class Readiness:
    """Named checks; ready when every one says None. A check may be a plain or an async function."""

    def __init__(self) -> None:
        self._checks: dict[str, Check] = {}

    def not_ready(self, name: str, reason: str) -> None:
        """Not ready, for `reason`, until `check` or `ready` replaces it."""
        self._checks[name] = lambda: reason

    def check(self, name: str, check: Check) -> None:
        self._checks[name] = check

    def ready(self, name: str) -> None:
        self._checks.pop(name, None)

    async def reasons(self) -> list[str]:
        """Why the bot is not ready ("slack: not connected"), in the order the checks were added; [] when ready."""
        found: list[str] = []
        for name, check in list(self._checks.items()):
            outcome = check()
            reason = await outcome if inspect.isawaitable(outcome) else outcome
            if reason is not None:
                found.append(f"{name}: {reason}")
        return found


def health_app(readiness: Readiness) -> web.Application:
    async def healthz(request: web.Request) -> web.Response:
        return web.Response(text="ok\n")

    async def readyz(request: web.Request) -> web.Response:
        reasons = await readiness.reasons()
        if reasons:
            return web.Response(status=503, text="not ready: " + "; ".join(reasons) + "\n")
        return web.Response(text="ready\n")

    async def metrics_page(request: web.Request) -> web.Response:
        response = web.Response(body=generate_latest(metrics.REGISTRY))
        response.headers["Content-Type"] = CONTENT_TYPE_LATEST
        return response

    app = web.Application()
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics_page)
    return app


@contextlib.asynccontextmanager
async def health_server(settings: ServeSettings, readiness: Readiness) -> AsyncIterator[int]:
    """Serving /healthz, /readyz and /metrics on `[serve] host` and `port` until the block exits; yields the
    bound port. A port already taken is a ConfigError (one line)."""
    runner = web.AppRunner(health_app(readiness), access_log=None)
    await runner.setup()
    try:
        try:
            await web.TCPSite(runner, settings.host, settings.port).start()
        except OSError as error:
            raise ConfigError(
                f"cannot serve health and metrics on {settings.host}:{settings.port} ([serve] host and port): "
                f"{error.strerror or error}"
            ) from None
        bound = int(runner.addresses[0][1]) if runner.addresses else settings.port
        log.info("health and metrics on http://%s:%d (/healthz, /readyz, /metrics)", settings.host, bound)
        yield bound
    finally:
        await runner.cleanup()
