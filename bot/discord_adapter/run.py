"""`citebot discord`: open the answer service, log in, serve until stopped."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import threading

import aiohttp
import discord

from bot.answering import AnswerService, bot_services
from bot.channels import Collections
from bot.config import Config, ConfigError, CorpusAbout, DiscordSettings, require_secret
from bot.discord_adapter.client import CitebotClient
from bot.store import QuestionLog, open_question_log

REJECTED_TOKEN = (
    "Discord rejected DISCORD_TOKEN (401 Unauthorized): copy the bot token again from the Developer Portal "
    "(Bot → Reset Token) and export it"
)


def run_discord(config: Config) -> int:
    """Serve Discord until SIGINT/SIGTERM, then return 0; operator errors raise `ConfigError` (one line)."""
    token = require_secret("DISCORD_TOKEN")
    question_log = open_question_log(config.storage.url, config.log)

    async def main() -> None:
        # The index is loaded or built, and the answer workers started, before we log in; they stop after the drain.
        async with bot_services(config) as services:
            collections = Collections.from_config(config, services).for_front_end(config.discord.top_k)
            await serve_discord(
                collections.default.service, config.discord, token, question_log, collections=collections
            )

    try:
        with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C before the signal handlers are in place
            asyncio.run(main())
    finally:
        if question_log is not None:
            question_log.close()
    return 0


async def serve_discord(
    service: AnswerService,
    settings: DiscordSettings,
    token: str,
    question_log: QuestionLog | None = None,
    about: CorpusAbout | None = None,
    collections: Collections | None = None,
) -> None:
    """Log in and serve until the client is closed; a rejected token becomes a `ConfigError`."""
    client = CitebotClient(service, settings, question_log=question_log, about=about, collections=collections)
    _close_on_signals(client, service)
    async with client:
        await start_client(client, token)


async def start_client(client: discord.Client, token: str) -> None:
    """Log in and serve until the client is closed (discord.py reconnects a dropped gateway on its own, with
    backoff); a rejected token or an unreachable Discord at login becomes a `ConfigError`."""
    try:
        await client.start(token)
    except discord.LoginFailure:
        raise ConfigError(REJECTED_TOKEN) from None
    except discord.HTTPException as error:
        raise ConfigError(f"Discord answered HTTP {error.status} while logging in; try again later") from None
    except (aiohttp.ClientError, OSError) as error:
        raise ConfigError(f"cannot reach Discord ({type(error).__name__}); check the network") from None


def _close_on_signals(client: CitebotClient, service: AnswerService) -> None:
    """SIGINT/SIGTERM finish the answers already taken on (bounded), then close the gateway and HTTP session
    cleanly (signal handlers can only be set in the main thread)."""
    if threading.current_thread() is not threading.main_thread():
        return
    loop = asyncio.get_running_loop()

    async def stop() -> None:
        await service.drain()
        await client.close()

    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):  # e.g. Windows event loops
            loop.add_signal_handler(signum, lambda: asyncio.ensure_future(stop()))
