"""Fixtures: the real retriever on the bundled corpus, a fake Slack, and the real bot connected to it."""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from fake_slack import APP_TOKEN, BOT_TOKEN, FOLLOW_UP_ALWAYS, SIGNING_SECRET, FakeSlack

from bot.answering import AnswerService
from bot.channels import Collections
from bot.config import BUNDLED_CORPUS, CorpusAbout, SlackSettings
from bot.conversation import PROGRESS_AFTER_SECONDS
from bot.slack_adapter.app import build_app
from bot.slack_adapter.run import http_mode, socket_mode
from bot.store import QuestionLog
from retrieval.retriever import Retriever
from retrieval.settings import RetrievalSettings

# A document whose text carries every character Slack treats as markup, and a ping.
TRICKY_DOCUMENT = """Release notes for the badger cluster

The badger migration finished early for R&D, cut latency to < 5 ms at > 9000 requests a second, and was \
announced to @here and <!channel> by <@U0BOSS>.
"""


@pytest.fixture(scope="session")
def tricky_retriever(tmp_path_factory: pytest.TempPathFactory) -> Retriever:
    corpus = tmp_path_factory.mktemp("tricky") / "corpus"
    shutil.copytree(BUNDLED_CORPUS, corpus)  # BM25 needs other documents to tell what is rare
    (corpus / "badger.txt").write_text(TRICKY_DOCUMENT, encoding="utf-8")
    return Retriever.open(corpus, RetrievalSettings(), index_path=corpus.parent / "tricky-index.bin")


@pytest.fixture
def service(bundled: Retriever) -> AnswerService:
    """The real answer service over the bundled corpus (`bundled` comes from tests/conftest.py)."""
    return AnswerService(bundled)


@pytest.fixture
async def fake_slack() -> AsyncIterator[FakeSlack]:
    fake = FakeSlack(bot_token=BOT_TOKEN, app_token=APP_TOKEN, signing_secret=SIGNING_SECRET)
    await fake.start()
    try:
        yield fake
    finally:
        await fake.close()


@pytest.fixture
async def socket_bot(fake_slack: FakeSlack, service: AnswerService) -> AsyncIterator[Callable[..., Awaitable[Any]]]:
    """Connects the real app over Socket Mode to the fake; call it (optionally with another service, a
    question log or [slack] settings) before sending envelopes."""
    async with contextlib.AsyncExitStack() as stack:

        async def connect(
            answer_service: AnswerService | None = None,
            question_log: QuestionLog | None = None,
            *,
            progress_after: float = PROGRESS_AFTER_SECONDS,
            ack_within: float = FOLLOW_UP_ALWAYS,
            about: CorpusAbout | None = None,
            collections: Collections | None = None,
            **settings: Any,
        ) -> None:
            slack = SlackSettings(api_base_url=fake_slack.api_url, **settings)
            app = build_app(
                answer_service or service,
                slack,
                BOT_TOKEN,
                question_log=question_log,
                progress_after=progress_after,
                ack_within=ack_within,
                about=about,
                collections=collections,
            )
            await stack.enter_async_context(socket_mode(app, APP_TOKEN))
            await fake_slack.wait_until_connected()

        yield connect


@pytest.fixture
async def http_bot(fake_slack: FakeSlack, service: AnswerService) -> AsyncIterator[Callable[..., Awaitable[Any]]]:
    """Serves the real app in HTTP mode on 127.0.0.1; call it to get the `/slack/events` URL."""
    async with contextlib.AsyncExitStack() as stack:

        async def serve(
            answer_service: AnswerService | None = None,
            question_log: QuestionLog | None = None,
            *,
            ack_within: float = FOLLOW_UP_ALWAYS,
            **settings: Any,
        ) -> str:
            slack = SlackSettings(api_base_url=fake_slack.api_url, **settings)
            app = build_app(
                answer_service or service, slack, BOT_TOKEN, SIGNING_SECRET, question_log, ack_within=ack_within
            )
            port = await stack.enter_async_context(http_mode(app, "127.0.0.1", 0))
            return f"http://127.0.0.1:{port}/slack/events"

        yield serve
