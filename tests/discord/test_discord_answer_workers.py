"""Discord with answers computed in worker processes, as `citebot discord` runs: end to end against the fake.

A worker stopped with SIGSTOP stands in for one busy with a heavy question (see tests/test_answer_workers.py).
"""

from __future__ import annotations

import contextlib
import os
import signal

from discord_harness import StartBot
from fake_discord import APPLICATION_ID, BOT_ID, CHANNEL_ID, DM_CHANNEL_ID, FakeDiscord, RecordedRequest, message_text
from support import stalled

from bot.answer_workers import AnswerWorkers, RetrieverSpec
from bot.answering import AnswerService
from bot.rendering import SEARCH_FAILED_NOTE
from retrieval.retriever import Retriever

NADELLA = "what did Nadella say?"
JEVONS = 'quoted the "Jevons Paradox" on social media'


async def posts_to(fake: FakeDiscord, channel_id: int, count: int = 1) -> list[RecordedRequest]:
    def posted() -> list[RecordedRequest] | None:
        found = fake.calls("POST", f"/channels/{channel_id}/messages")
        return found[:count] if len(found) >= count else None

    requests: list[RecordedRequest] = await fake.wait_until(posted)
    return requests


async def test_ask_is_acknowledged_while_every_worker_is_busy_then_followed_up(
    start_bot: StartBot, fake_discord: FakeDiscord, pooled_service: AnswerService
) -> None:
    """With no worker free the interaction is deferred ('thinking'), at the usual moment, and nothing else is
    sent; the answer follows up once a worker runs again."""
    assert pooled_service.workers is not None
    await start_bot(answer_service=pooled_service)
    with contextlib.ExitStack() as busy:
        for pid in pooled_service.workers.pids:
            busy.enter_context(stalled(pid))
        interaction = await fake_discord.slash_ask(NADELLA)
        [deferral] = await fake_discord.responses_to(interaction, 1)
        assert deferral.body["type"] == 5
        assert [r for r in fake_discord.requests if str(interaction["token"]) in r.path] == [deferral]

    follow_up = (await fake_discord.responses_to(interaction, 2))[1]
    assert follow_up.path == f"/webhooks/{APPLICATION_ID}/{interaction['token']}"
    assert JEVONS in message_text(follow_up.body)


async def test_mention_and_dm_are_answered_by_the_workers(
    start_bot: StartBot, fake_discord: FakeDiscord, pooled_service: AnswerService
) -> None:
    await start_bot(answer_service=pooled_service)
    await fake_discord.post_message(f"<@{BOT_ID}> {NADELLA}")
    await fake_discord.post_message(NADELLA, channel_id=DM_CHANNEL_ID)

    [in_channel] = await posts_to(fake_discord, CHANNEL_ID)
    [in_dm] = await posts_to(fake_discord, DM_CHANNEL_ID)
    assert JEVONS in message_text(in_channel.body) and JEVONS in message_text(in_dm.body)


async def test_a_worker_killed_mid_answer_gets_the_failure_note_and_the_bot_answers_on(
    start_bot: StartBot, fake_discord: FakeDiscord, bundled: Retriever, bundled_spec: RetrieverSpec
) -> None:
    """SIGKILL (the OOM killer) while a DM is being answered: the reply says the search failed; the next DM is
    answered by a new worker."""
    async with AnswerWorkers(bundled_spec, 1) as workers:
        await start_bot(answer_service=AnswerService(bundled, workers=workers))
        [victim] = workers.pids
        with stalled(victim):
            await fake_discord.post_message(NADELLA, channel_id=DM_CHANNEL_ID)
            os.kill(victim, signal.SIGKILL)
            [failed] = await posts_to(fake_discord, DM_CHANNEL_ID)
        await fake_discord.post_message(NADELLA, channel_id=DM_CHANNEL_ID)
        answered = (await posts_to(fake_discord, DM_CHANNEL_ID, 2))[1]

    assert SEARCH_FAILED_NOTE in message_text(failed.body) and JEVONS not in message_text(failed.body)
    assert JEVONS in message_text(answered.body)
