"""Connecting the app to Slack: Socket Mode (a WebSocket the bot opens) or HTTP mode (Slack posts to us).

Both are async context managers so `run_slack` and the tests start and stop them the same way.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator, Awaitable, Callable

from aiohttp import ClientError, web
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.app.async_server import AsyncSlackAppServer
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from bot.answering import AnswerService
from bot.config import ConfigError

log = logging.getLogger("citebot.slack")

EVENTS_PATH = "/slack/events"


async def check_tokens(app: AsyncApp, app_token: str | None) -> str:
    """Asks Slack whether the tokens work before serving, so a wrong token is one clear line at start-up
    instead of a reconnect loop. Returns the bot's user id."""
    identity = await _ask_slack("SLACK_BOT_TOKEN", app, app.client.auth_test())
    if app_token is not None:
        await _ask_slack("SLACK_APP_TOKEN", app, app.client.apps_connections_open(app_token=app_token))
    return str(identity.get("user_id") or "")


async def _ask_slack(variable: str, app: AsyncApp, call: Awaitable[AsyncSlackResponse]) -> AsyncSlackResponse:
    base_url = app.client.base_url
    try:
        return await call
    except SlackApiError as error:
        code = error.response.get("error") or f"HTTP {error.response.status_code}"
        raise ConfigError(f"{variable} was refused by Slack ({code}) at {base_url}") from None
    except (ClientError, TimeoutError, OSError) as error:
        raise ConfigError(f"cannot reach the Slack API at {base_url}: {type(error).__name__}") from None


@contextlib.asynccontextmanager
async def socket_mode(app: AsyncApp, app_token: str) -> AsyncIterator[AsyncSocketModeHandler]:
    """Connected to Slack over Socket Mode (slack_sdk reconnects on its own) until the block exits."""
    handler = AsyncSocketModeHandler(app, app_token)
    try:
        await handler.connect_async()  # type: ignore[no-untyped-call]
        yield handler
    finally:
        await handler.close_async()  # type: ignore[no-untyped-call]


@web.middleware
async def refuse_malformed_requests(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """Bolt parses the timestamp with int() and the body as UTF-8, and a failure there was a 500 with a
    traceback: a request that cannot be a signed Slack request is refused first (401), a body that is not
    UTF-8 is a bad request (400). No listener runs for either."""
    if request.method == "POST" and request.path == EVENTS_PATH:
        if not request.headers.get("X-Slack-Request-Timestamp", "").isdigit():
            return web.Response(status=401)
        try:
            (await request.read()).decode("utf-8")
        except UnicodeDecodeError:
            return web.Response(status=400)
    return await handler(request)


@contextlib.asynccontextmanager
async def http_mode(app: AsyncApp, host: str, port: int) -> AsyncIterator[int]:
    """Serving `POST /slack/events` (events, slash commands, interactivity) with slack-bolt's aiohttp
    adapter until the block exits; yields the bound port (useful with port 0)."""
    server = AsyncSlackAppServer(port=port, path=EVENTS_PATH, app=app, host=host)
    server.web_app.middlewares.append(refuse_malformed_requests)
    runner = web.AppRunner(server.web_app, access_log=None)
    await runner.setup()
    try:
        try:
            await web.TCPSite(runner, host, port).start()
        except OSError as error:
            raise ConfigError(f"cannot serve HTTP on {host}:{port}: {error.strerror or error}") from None
        bound = runner.addresses[0][1] if runner.addresses else port
        yield int(bound)
    finally:
        await runner.cleanup()


async def serve(
    app: AsyncApp,
    *,
    app_token: str | None,
    http: bool,
    port: int,
    host: str = "0.0.0.0",
    service: AnswerService | None = None,
) -> None:
    """Checks the tokens, connects, and serves until SIGINT or SIGTERM; then finishes the answers already
    acknowledged (Slack will not send those again), for a bounded time, before disconnecting."""
    if not http and app_token is None:
        raise ValueError("Socket Mode needs the app-level token")
    bot_user_id = await check_tokens(app, None if http else app_token)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signal_number in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signal_number, stop.set)
    if http:
        async with http_mode(app, host, port) as bound:
            log.info("citebot (%s) serving Slack on http://%s:%d%s", bot_user_id, host, bound, EVENTS_PATH)
            await stop.wait()
            if service is not None:
                await service.drain()
    else:
        async with socket_mode(app, app_token or ""):
            log.info("citebot (%s) connected to Slack over Socket Mode", bot_user_id)
            await stop.wait()
            if service is not None:
                await service.drain()
    log.info("citebot stopped")
