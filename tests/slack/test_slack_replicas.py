"""Two replicas of the Slack app on one PostgreSQL store answer every question exactly once, whichever of their
connections each delivery reaches: Slack spreads an app's envelopes over its connections, and a retry may land on
another one than the first delivery. The real PostgreSQL server the tests start holds the claims."""

from __future__ import annotations

import contextlib
import itertools
import logging
from collections.abc import AsyncIterator
from datetime import datetime

import pytest
from fake_slack import APP_TOKEN, BOT_TOKEN, FOLLOW_UP_ALWAYS, RESPONSE_URL_METHOD, FakeSlack
from postgres_server import PostgresServer

from bot.answering import AnswerService
from bot.config import LogSettings, SlackSettings
from bot.rendering import VOTE_RECORDED
from bot.slack_adapter.app import build_app
from bot.slack_adapter.render import VOTE_ACTION_IDS
from bot.slack_adapter.run import socket_mode
from bot.store import QuestionLog, open_store
from bot.store.claims import SharedClaims
from retrieval.retriever import Retriever

QUESTIONS = ["what did Nadella say?", "what is the Jevons Paradox?", "how did NVIDIA's shares move?"]
MENTIONS = COMMANDS = 60
CLICKS = 30
ALREADY_TAKEN = "already taken on, not answering again"


@pytest.fixture
async def two_replicas(
    fake_slack: FakeSlack, postgres_server: PostgresServer, bundled: Retriever
) -> AsyncIterator[list[QuestionLog]]:
    """Two apps as two `citebot serve` processes would build them: each its own answer service, question log and
    store connections, on one PostgreSQL database; both connected to the fake Slack. Yields their question logs."""
    url = postgres_server.new_database()
    settings = SlackSettings(api_base_url=fake_slack.api_url)
    async with contextlib.AsyncExitStack() as stack:
        logs: list[QuestionLog] = []
        for _ in range(2):
            claims_store, question_log = open_store(url), QuestionLog(open_store(url), LogSettings())
            stack.callback(claims_store.close)
            stack.callback(question_log.close)
            app = build_app(
                AnswerService(bundled),
                settings,
                BOT_TOKEN,
                None,
                question_log,
                SharedClaims(claims_store, "slack"),
                ack_within=FOLLOW_UP_ALWAYS,  # every /ask answer goes to its response_url, where it is counted
            )
            await stack.enter_async_context(socket_mode(app, APP_TOKEN))
            logs.append(question_log)
        await fake_slack.wait_until_connected(2)
        yield logs


async def test_every_event_command_and_click_is_answered_once_across_two_replicas(
    fake_slack: FakeSlack, two_replicas: list[QuestionLog], caplog: pytest.LogCaptureFixture
) -> None:
    """Each mention goes to one connection and its retry to the other; each slash command and button click
    arrives on both. Every delivery is acknowledged; each question gets one answer and each click one thanks."""
    caplog.set_level(logging.INFO, logger="citebot.slack")
    fake = fake_slack
    envelopes: list[str] = []
    questions = itertools.cycle(QUESTIONS)
    for number in range(MENTIONS):
        first, other = number % 2, 1 - number % 2
        mention = fake.event_callback(fake.mention(next(questions)))
        envelopes.append(await fake.send_envelope("events_api", mention, connection=first))
        envelopes.append(await fake.send_envelope("events_api", mention, connection=other, retry_attempt=1))
    for number in range(COMMANDS):
        command = fake.slash_command(next(questions))
        for connection in (number % 2, 1 - number % 2):
            envelopes.append(await fake.send_envelope("slash_commands", command, connection=connection))
    answers = await fake.wait_for_delivered("chat.postMessage", MENTIONS)
    for number, message in zip(range(CLICKS), answers, strict=False):
        click = fake.block_actions(message, VOTE_ACTION_IDS[True])
        for connection in (number % 2, 1 - number % 2):
            envelopes.append(await fake.send_envelope("interactive", click, connection=connection))
    assert len(envelopes) == 2 * (MENTIONS + COMMANDS + CLICKS) == 300

    for envelope in envelopes:
        await fake.ack_of(envelope)
    await fake.wait_for("every redelivery turned away", lambda: turned_away(caplog) >= len(envelopes) // 2)
    responses = await fake.wait_for_delivered(RESPONSE_URL_METHOD, COMMANDS + CLICKS)

    assert turned_away(caplog) == len(envelopes) // 2  # one of each pair, on either replica
    assert len(fake.delivered("chat.postMessage")) == MENTIONS
    thanks = [sent for sent in responses if sent.body.get("text") == VOTE_RECORDED[True]]
    assert len(thanks) == CLICKS and len(responses) == COMMANDS + CLICKS
    for question_log in two_replicas:
        assert question_log.flush()
    with contextlib.closing(open_store(two_replicas[0].store.url)) as store:
        recorded = store.questions_since(datetime(2000, 1, 1))
    assert len(recorded) == MENTIONS + COMMANDS
    assert sum(len(record.votes) for record in recorded) == CLICKS


def turned_away(caplog: pytest.LogCaptureFixture) -> int:
    return sum(message.startswith(ALREADY_TAKEN) for message in caplog.messages)
