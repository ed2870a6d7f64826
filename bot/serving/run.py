"""`citebot serve`: every front end that has its secrets, in one process, over one index and one set of answer
workers, with health and metrics beside them; a stop finishes the answers in flight.

The order of things:

1. health and metrics start first, so /healthz answers (and /readyz says "index: loading") while the indexes load;
2. each collection's index is opened once (built and saved if it is not current) and the answer workers start,
   each loading every collection; Slack and Discord share them;
3. each front end connects: Slack over Socket Mode (or, with a signing secret instead of an app token, serves
   Slack's HTTP mode on `[serve] slack_http_port`), Discord through its gateway. Both SDKs reconnect a dropped
   connection on their own, with backoff, while the other front end keeps serving; /readyz names the one down;
4. on SIGTERM or SIGINT: /readyz turns 503 ("stopping"), Slack's socket is closed (Slack sends new events to
   another connection or replica), the answers in flight get up to `[serve] drain_seconds`, Discord's gateway
   closes, the workers stop, and the process exits 0.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import threading
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

from bot import metrics
from bot.answering import AnswerService, bot_services
from bot.channels import Collections
from bot.config import Config, ConfigError
from bot.serving.front_ends import FrontEnds, SlackSecrets, choose_front_ends
from bot.serving.health import Readiness, health_server
from bot.store import QuestionLog, Store, StoreError, open_question_log
from bot.store.claims import SharedClaims

if TYPE_CHECKING:
    from bot.discord_adapter.client import CitebotClient

log = logging.getLogger("citebot.serve")


def run_serve(config: Config) -> int:
    """Serve until SIGTERM or SIGINT, then return 0. Secrets, config and platform refusals at start-up raise
    ConfigError (one line, exit 2)."""
    front_ends = choose_front_ends()
    question_log = open_question_log(config.storage.url, config.log)
    try:
        with contextlib.suppress(KeyboardInterrupt):  # a Ctrl-C before the signal handlers are in place
            asyncio.run(serve(config, front_ends, question_log))
    finally:
        if question_log is not None:
            question_log.close()
    return 0


async def serve(config: Config, front_ends: FrontEnds, question_log: QuestionLog | None = None) -> None:
    log.info("%s", front_ends.describe())
    stop = asyncio.Event()
    _stop_on_signals(stop)
    readiness = Readiness()
    readiness.not_ready("index", "loading")
    async with (
        health_server(config.serve, readiness),
        _claims_store(config) as claims_store,
        bot_services(config) as services,
    ):
        for name, service in services.items():
            report = service.retriever.report
            built_at = metrics.index_built_at(report.path, report.saved)
            metrics.index_in_use(report.documents, report.passages, built_at, name)
        readiness.ready("index")
        running = _Running(config, Collections.from_config(config, services), readiness, question_log, claims_store)
        try:
            if front_ends.slack is not None:
                await running.start_slack(front_ends.slack)
            if front_ends.discord_token is not None:
                running.start_discord(front_ends.discord_token)
            await running.until_stopped(stop)
        finally:
            readiness.not_ready("stopping", "finishing the answers in flight")
            await running.stop()


class _Running:
    """The front ends of one `serve`, each with its own answer services (its own top_k) over the shared workers."""

    def __init__(
        self,
        config: Config,
        collections: Collections,
        readiness: Readiness,
        question_log: QuestionLog | None,
        claims_store: Store | None,
    ) -> None:
        self.config = config
        self.shared = collections
        self.readiness = readiness
        self.question_log = question_log
        self.claims_store = claims_store
        self.services: list[AnswerService] = []
        self.slack_connection = contextlib.AsyncExitStack()
        self.discord_client: CitebotClient | None = None
        self.discord_task: asyncio.Task[None] | None = None

    def _collections(self, top_k: int | None) -> Collections:
        """A front end's collections; its default collection's service counts its questions in flight."""
        collections = self.shared.for_front_end(top_k)
        self.services.append(collections.default.service)
        return collections

    def _claims(self, namespace: str) -> SharedClaims | None:
        return None if self.claims_store is None else SharedClaims(self.claims_store, namespace)

    async def start_slack(self, secrets: SlackSecrets) -> None:
        from bot.slack_adapter.app import build_app
        from bot.slack_adapter.run import EVENTS_PATH, check_tokens, http_mode, socket_mode

        settings = self.config.slack
        collections = self._collections(settings.top_k)
        app = build_app(
            collections.default.service,
            settings,
            secrets.bot_token,
            secrets.signing_secret,
            self.question_log,
            self._claims("slack"),
            collections=collections,
        )
        self.readiness.not_ready("slack", "connecting")
        bot_user_id = await check_tokens(app, secrets.app_token)
        if secrets.app_token is None:  # HTTP mode: ready once Slack can reach /slack/events
            host, port = self.config.serve.slack_http_host, self.config.serve.slack_http_port
            bound = await self.slack_connection.enter_async_context(http_mode(app, host, port))
            self.readiness.ready("slack")
            log.info("citebot (%s) serving Slack on http://%s:%d%s", bot_user_id, host, bound, EVENTS_PATH)
            return
        handler = await self.slack_connection.enter_async_context(socket_mode(app, secrets.app_token))

        async def connected() -> str | None:
            return None if await handler.client.is_connected() else "not connected (reconnecting)"

        self.readiness.check("slack", connected)
        log.info("citebot (%s) connected to Slack over Socket Mode", bot_user_id)

    def start_discord(self, token: str) -> None:
        from bot.discord_adapter.client import CitebotClient
        from bot.discord_adapter.run import start_client

        collections = self._collections(self.config.discord.top_k)
        client = CitebotClient(
            collections.default.service,
            self.config.discord,
            question_log=self.question_log,
            claims=self._claims("discord"),
            collections=collections,
        )

        def connected() -> str | None:
            if client.is_ready() and client.ws is not None and client.ws.open:
                return None
            return "not connected (reconnecting)" if client.is_ready() else "connecting"

        self.readiness.check("discord", connected)
        self.discord_client = client
        self.discord_task = asyncio.create_task(start_client(client, token), name="citebot-discord")

    async def until_stopped(self, stop: asyncio.Event) -> None:
        """Until a stop is asked for; a front end that ends by itself (Discord refusing the token) raises what
        ended it."""
        waiting = asyncio.create_task(stop.wait())
        watched: set[asyncio.Task[object]] = {waiting}
        if self.discord_task is not None:
            watched.add(self.discord_task)
        try:
            await asyncio.wait(watched, return_when=asyncio.FIRST_COMPLETED)
        finally:
            waiting.cancel()
        if self.discord_task is not None and self.discord_task.done():
            self.discord_task.result()  # raises ConfigError for a refused token
            raise ConfigError("the Discord connection ended unexpectedly")
        log.info("stopping: no new Slack events; finishing the answers in flight")

    async def stop(self) -> None:
        """Slack's socket first (no new events), then the drain, then Discord's gateway and session."""
        await self.slack_connection.aclose()
        seconds = self.config.serve.drain_seconds
        await asyncio.gather(*(service.drain(seconds) for service in self.services))
        if self.discord_client is not None and self.discord_task is not None:
            await self.discord_client.close()
            with contextlib.suppress(Exception):  # what ended it has been raised or logged already
                await self.discord_task
        log.info("citebot stopped")


@contextlib.asynccontextmanager
async def _claims_store(config: Config) -> AsyncIterator[Store | None]:
    """The store replicas claim events in: the shared PostgreSQL store; none with SQLite, which one machine uses
    (de-duplication then stays in-process)."""
    url = config.storage.url
    if url is None or not url.startswith("postgresql"):
        yield None
        return
    from bot.store import open_store

    try:
        store = open_store(url)
    except StoreError as error:
        raise ConfigError(str(error)) from None
    try:
        yield store
    finally:
        store.close()


def _stop_on_signals(stop: asyncio.Event) -> None:
    """SIGTERM (an orchestrator) and SIGINT (Ctrl-C) ask for a graceful stop; only the main thread can listen."""
    if threading.current_thread() is not threading.main_thread():
        return
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signum, stop.set)
