"""Slack with answers computed in worker processes, as `citebot slack` runs: end to end against the fake Slack.

A worker stopped with SIGSTOP stands in for one busy with a heavy question (see tests/test_answer_workers.py).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from fake_slack import CHANNEL_ID, DM_CHANNEL_ID, HUMAN_USER_ID, FakeSlack
from support import stalled

from bot.answer_workers import AnswerWorkers, RetrieverSpec
from bot.answering import AnswerService
from bot.rendering import SEARCH_FAILED_NOTE
from retrieval.retriever import Retriever

BotFactory = Callable[..., Awaitable[Any]]
NADELLA_QUESTION = "what did Nadella say?"
JEVONS_QUOTE = 'Microsoft CEO Nadella quoted the "Jevons Paradox" on social media'


@pytest.fixture
async def one_worker(bundled: Retriever, bundled_spec: RetrieverSpec) -> AsyncIterator[AnswerService]:
    """A service with a single worker, so a test knows which process holds a question."""
    async with AnswerWorkers(bundled_spec, 1) as workers:
        yield AnswerService(bundled, workers=workers)


def worker_pids(service: AnswerService) -> list[int]:
    assert service.workers is not None
    return service.workers.pids


async def test_http_requests_are_acknowledged_while_every_worker_is_busy(
    fake_slack: FakeSlack, http_bot: BotFactory, pooled_service: AnswerService
) -> None:
    """Acks never wait for a worker: a slash command and a mention get their 200 while no worker can answer (the
    slash command's is `in_channel`, so Slack shows who asked at once); both are answered once the workers run
    again."""
    url = await http_bot(pooled_service)
    mention = fake_slack.mention(NADELLA_QUESTION)
    with contextlib.ExitStack() as busy:
        for pid in worker_pids(pooled_service):
            busy.enter_context(stalled(pid))
        slash_ack = await fake_slack.post_to_bot(url, fake_slack.slash_command(NADELLA_QUESTION), form=True)
        mention_ack = await fake_slack.post_to_bot(url, fake_slack.event_callback(mention))

        assert slash_ack[:2] == (200, "application/json") and mention_ack[0] == 200
        assert json.loads(slash_ack[2]) == {"response_type": "in_channel"}
        assert fake_slack.delivered("response_url") == fake_slack.delivered("chat.postMessage") == []

    [response] = await fake_slack.wait_for_delivered("response_url")
    [post] = await fake_slack.wait_for_delivered("chat.postMessage")
    assert JEVONS_QUOTE in response.text and response.body["response_type"] == "in_channel"
    assert JEVONS_QUOTE in post.text and post.body["thread_ts"] == mention["ts"]


async def test_socket_mode_questions_are_answered_by_the_workers(
    fake_slack: FakeSlack, socket_bot: BotFactory, pooled_service: AnswerService
) -> None:
    """/ask, a mention and a DM, all at once over Socket Mode: each acknowledged and answered in its place."""
    await socket_bot(pooled_service)
    slash = await fake_slack.send_envelope("slash_commands", fake_slack.slash_command(NADELLA_QUESTION))
    await fake_slack.send_envelope("events_api", fake_slack.event_callback(fake_slack.mention(NADELLA_QUESTION)))
    await fake_slack.send_envelope("events_api", fake_slack.event_callback(fake_slack.direct_message("Nadella?")))

    assert await fake_slack.ack_of(slash) == {"envelope_id": slash, "payload": {"response_type": "in_channel"}}
    [response] = await fake_slack.wait_for_delivered("response_url")
    posts = await fake_slack.wait_for_delivered("chat.postMessage", 2)
    assert JEVONS_QUOTE in response.text
    assert {post.body["channel"] for post in posts} == {CHANNEL_ID, DM_CHANNEL_ID}
    assert all(JEVONS_QUOTE in post.text for post in posts)


async def test_a_worker_killed_mid_answer_gets_the_asker_the_failure_note_and_the_bot_answers_on(
    fake_slack: FakeSlack, http_bot: BotFactory, one_worker: AnswerService, caplog: pytest.LogCaptureFixture
) -> None:
    """SIGKILL (the OOM killer) while a /ask is being answered: the asker alone is told the search failed, one
    warning is logged, and the next /ask is answered by a new worker."""
    url = await http_bot(one_worker)
    [victim] = worker_pids(one_worker)
    with stalled(victim):
        await fake_slack.post_to_bot(url, fake_slack.slash_command(NADELLA_QUESTION), form=True)
        os.kill(victim, signal.SIGKILL)
        [failed] = await fake_slack.wait_for_delivered("response_url")

    assert failed.body["response_type"] == "ephemeral"
    assert SEARCH_FAILED_NOTE in failed.text and "Jevons" not in failed.text
    await fake_slack.post_to_bot(url, fake_slack.slash_command(NADELLA_QUESTION), form=True)
    answered = (await fake_slack.wait_for_delivered("response_url", 2))[1]
    assert JEVONS_QUOTE in answered.text
    [warning] = [r for r in caplog.records if r.levelname in ("WARNING", "ERROR")]
    assert f"answer worker (pid {victim}) died" in warning.getMessage() and not warning.exc_info


async def test_a_dm_whose_worker_died_gets_a_private_failure_note(
    fake_slack: FakeSlack, socket_bot: BotFactory, one_worker: AnswerService
) -> None:
    """A mention or DM cannot be answered privately in place: the failure note is an ephemeral to the asker."""
    await socket_bot(one_worker)
    [victim] = worker_pids(one_worker)
    with stalled(victim):
        await fake_slack.send_envelope("events_api", fake_slack.event_callback(fake_slack.direct_message("Nadella?")))
        os.kill(victim, signal.SIGKILL)
        [note] = await fake_slack.wait_for_delivered("chat.postEphemeral")

    assert (note.body["channel"], note.body["user"]) == (DM_CHANNEL_ID, HUMAN_USER_ID)
    assert SEARCH_FAILED_NOTE in note.text
    assert fake_slack.delivered("chat.postMessage") == []
