"""Never silent on Slack: a refused answer is explained where Slack shows it, and a slow one shows 👀."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fake_slack import CHANNEL_ID, HUMAN_USER_ID, TEAM_ID, FakeSlack

NADELLA_QUESTION = "what did Nadella say?"
JEVONS_QUOTE = 'Microsoft CEO Nadella quoted the "Jevons Paradox" on social media'
AT_ONCE = 0.0  # show progress before even looking: every answer counts as slow
NEVER = 60.0

BotFactory = Callable[..., Awaitable[Any]]


async def test_a_refused_answer_to_a_mention_in_a_thread_is_explained_in_that_thread(
    fake_slack: FakeSlack, socket_bot: BotFactory
) -> None:
    await socket_bot()
    fake_slack.reply_next("chat.postMessage", error="not_in_channel")
    mention = fake_slack.mention(NADELLA_QUESTION, thread_ts="1700000000.000100")
    await fake_slack.send_envelope("events_api", fake_slack.event_callback(mention))

    [notice] = await fake_slack.wait_for_delivered("chat.postEphemeral")
    assert (notice.body["channel"], notice.body["user"]) == (CHANNEL_ID, HUMAN_USER_ID)
    assert notice.body["thread_ts"] == "1700000000.000100"
    assert notice.body["text"] == (
        "Sorry, Slack didn't let me post the answer (`not_in_channel`). "
        "I'm not a member of this channel: invite me with `/invite` and ask again."
    )


async def test_a_slow_answer_to_a_mention_shows_eyes_until_it_is_answered(
    fake_slack: FakeSlack, socket_bot: BotFactory
) -> None:
    """👀 goes on the question before the answer and comes off after it, on the same message."""
    await socket_bot(progress_after=AT_ONCE)
    mention = fake_slack.mention(NADELLA_QUESTION)
    await fake_slack.send_envelope("events_api", fake_slack.event_callback(mention))

    await fake_slack.wait_for_delivered("reactions.remove")
    calls = [(sent.method, sent.body) for sent in fake_slack.delivered() if sent.method.startswith(("chat", "react"))]
    eyes = {"channel": CHANNEL_ID, "timestamp": mention["ts"], "name": "eyes", "team_id": TEAM_ID}
    assert [method for method, _ in calls] == ["reactions.add", "chat.postMessage", "reactions.remove"]
    assert calls[0][1] == eyes and calls[2][1] == eyes
    assert JEVONS_QUOTE in fake_slack.delivered("chat.postMessage")[0].text


async def test_a_quick_answer_shows_no_eyes(fake_slack: FakeSlack, socket_bot: BotFactory) -> None:
    await socket_bot(progress_after=NEVER)
    await fake_slack.send_envelope("events_api", fake_slack.event_callback(fake_slack.mention(NADELLA_QUESTION)))

    await fake_slack.wait_for_delivered("chat.postMessage")
    assert fake_slack.attempts("reactions.add") == []


async def test_eyes_that_cannot_be_added_do_not_stop_the_answer(fake_slack: FakeSlack, socket_bot: BotFactory) -> None:
    """An app installed before reactions:write was added gets `missing_scope`: the answer goes out anyway."""
    await socket_bot(progress_after=AT_ONCE)
    fake_slack.reply_next("reactions.add", error="missing_scope")
    await fake_slack.send_envelope("events_api", fake_slack.event_callback(fake_slack.mention(NADELLA_QUESTION)))

    [answer] = await fake_slack.wait_for_delivered("chat.postMessage")
    assert JEVONS_QUOTE in answer.text
    assert fake_slack.attempts("reactions.remove") == []
