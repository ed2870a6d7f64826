"""Discord API errors and rate-limit waits for /metrics, seen through discord.py's public `http_trace` hook (an
aiohttp TraceConfig on its HTTP session): every REST response passes here, and no call site has to count."""

from __future__ import annotations

from types import SimpleNamespace

import aiohttp

from bot import metrics


def api_trace() -> aiohttp.TraceConfig:
    """A trace that counts failed REST calls by HTTP status, and each 429 as a rate-limit wait (discord.py always
    waits out a 429 and tries again, for the `Retry-After` Discord sends)."""
    trace = aiohttp.TraceConfig()
    trace.on_request_end.append(_count_response)
    return trace


async def _count_response(
    session: aiohttp.ClientSession, context: SimpleNamespace, params: aiohttp.TraceRequestEndParams
) -> None:
    status = params.response.status
    if status < 400:
        return
    metrics.platform_error("discord", status)
    if status == 429:
        try:
            seconds = float(params.response.headers.get("Retry-After", "0"))
        except ValueError:
            seconds = 0.0
        metrics.rate_limit_wait("discord", seconds)
