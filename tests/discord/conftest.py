"""Fixtures that run the real citebot Discord client against the local fake Discord."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from discord_harness import TOKEN, StartBot, point_discord_py_at
from fake_discord import WAIT_TIMEOUT, FakeDiscord

from bot.answering import AnswerService
from bot.config import CorpusAbout, DiscordSettings
from bot.conversation import PROGRESS_AFTER_SECONDS
from bot.discord_adapter.client import DEFER_AFTER_SECONDS, CitebotClient
from bot.store import QuestionLog
from bot.store.claims import Claims
from retrieval.retriever import Retriever


@pytest.fixture
def service(bundled: Retriever) -> AnswerService:
    """The answer service over the bundled corpus (`bundled` comes from tests/conftest.py)."""
    return AnswerService(bundled)


@pytest.fixture
async def fake_discord(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeDiscord]:
    fake = FakeDiscord(TOKEN)
    await fake.start()
    point_discord_py_at(fake, monkeypatch)
    yield fake
    await fake.stop()


@pytest.fixture
async def start_bot(fake_discord: FakeDiscord, service: AnswerService) -> AsyncIterator[StartBot]:
    """`await start_bot(settings, defer_after=..., answer_service=..., question_log=...)` logs a client in and
    returns it once the fake
    has sent READY and the guild; every client is closed at teardown."""
    running: list[tuple[CitebotClient, asyncio.Task[None]]] = []

    async def start(
        settings: DiscordSettings | None = None,
        *,
        defer_after: float = DEFER_AFTER_SECONDS,
        progress_after: float = PROGRESS_AFTER_SECONDS,
        answer_service: AnswerService | None = None,
        question_log: QuestionLog | None = None,
        claims: Claims | None = None,
        about: CorpusAbout | None = None,
    ) -> CitebotClient:
        client = CitebotClient(
            answer_service or service,
            settings or DiscordSettings(),
            defer_after=defer_after,
            progress_after=progress_after,
            question_log=question_log,
            claims=claims,
            about=about,
        )
        task = asyncio.create_task(client.start(TOKEN))
        running.append((client, task))
        identified = len(fake_discord.identify_payloads)
        serving = asyncio.create_task(fake_discord.wait_until(lambda: len(fake_discord.identify_payloads) > identified))
        done, _ = await asyncio.wait({task, serving}, timeout=WAIT_TIMEOUT, return_when=asyncio.FIRST_COMPLETED)
        if task in done:
            serving.cancel()
            task.result()  # raises what stopped the client
            raise AssertionError("the client stopped before serving")
        assert serving in done, "the client did not connect to the fake gateway in time"
        return client

    yield start
    for client, task in running:
        await client.close()
        async with asyncio.timeout(WAIT_TIMEOUT):
            await asyncio.gather(task, return_exceptions=True)


@pytest.fixture
def corpus_dir(tmp_path: Path) -> Path:
    """An empty corpus directory for tests that write their own documents."""
    path = tmp_path / "corpus"
    path.mkdir()
    return path
