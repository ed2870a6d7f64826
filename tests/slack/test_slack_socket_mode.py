"""citebot over Socket Mode, end to end: real slack-bolt and slack_sdk against a fake Slack on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from fake_slack import (
    BOT_ID,
    BOT_TOKEN,
    BOT_USER_ID,
    CHANNEL_ID,
    DM_CHANNEL_ID,
    HUMAN_USER_ID,
    FakeSlack,
    Sent,
)

from bot.answering import AnswerService
from retrieval.retriever import Retriever

NADELLA_QUESTION = "what did Nadella say?"
JEVONS_QUOTE = 'Microsoft CEO Nadella quoted the "Jevons Paradox" on social media'
UNANSWERABLE = "what is the airspeed velocity of an unladen swallow?"

BotFactory = Callable[..., Awaitable[Any]]


async def ask_in_dm(fake: FakeSlack, text: str) -> Sent:
    """A DM the bot must answer: used as a barrier, since everything sent before it was taken on first."""
    before = len(fake.delivered("chat.postMessage"))
    await fake.send_envelope("events_api", fake.event_callback(fake.direct_message(text)))
    return (await fake.wait_for_delivered("chat.postMessage", before + 1))[-1]


def assert_within_slack_limits(sent: Sent) -> None:
    blocks = sent.body.get("blocks") or []
    assert len(blocks) <= 50
    assert len(sent.body["text"]) <= 40_000
    assert all(len(block["text"]["text"]) <= 3000 for block in blocks if "text" in block)


async def test_slash_command_is_acknowledged_then_answered_in_the_channel(
    fake_slack: FakeSlack, socket_bot: BotFactory
) -> None:
    """A slow /ask gets an `in_channel` ack (Slack shows the command), then one in_channel response to its
    response_url with the quote."""
    await socket_bot()
    payload = fake_slack.slash_command(NADELLA_QUESTION)
    envelope = await fake_slack.send_envelope("slash_commands", payload)

    assert await fake_slack.ack_of(envelope) == {"envelope_id": envelope, "payload": {"response_type": "in_channel"}}
    [reply] = await fake_slack.wait_for_delivered("response_url")
    assert reply.body["_response_url"] == payload["response_url"]
    assert reply.body["response_type"] == "in_channel"
    assert JEVONS_QUOTE in reply.text
    assert "*Nadella*" in reply.text
    assert "004_250e2ef35fa11695.txt, line 31" in reply.text
    assert_within_slack_limits(reply)
    assert fake_slack.delivered("chat.postMessage") == []


async def test_slash_command_answer_is_ephemeral_when_configured(fake_slack: FakeSlack, socket_bot: BotFactory) -> None:
    """visibility = "ephemeral" makes the response visible to the asker only."""
    await socket_bot(visibility="ephemeral")
    await fake_slack.send_envelope("slash_commands", fake_slack.slash_command(NADELLA_QUESTION))

    [reply] = await fake_slack.wait_for_delivered("response_url")
    assert reply.body["response_type"] == "ephemeral"
    assert JEVONS_QUOTE in reply.text


async def test_configured_command_name_is_the_one_answered(fake_slack: FakeSlack, socket_bot: BotFactory) -> None:
    """The command name comes from [slack] command."""
    await socket_bot(command="/cite")
    payload = fake_slack.slash_command(NADELLA_QUESTION, command="/cite")
    await fake_slack.send_envelope("slash_commands", payload)

    [reply] = await fake_slack.wait_for_delivered("response_url")
    assert JEVONS_QUOTE in reply.text


async def test_empty_slash_command_gets_the_help_card_privately(fake_slack: FakeSlack, socket_bot: BotFactory) -> None:
    """An empty /ask is answered in the ack itself, privately, with how to ask; nothing else is sent."""
    await socket_bot()
    envelope = await fake_slack.send_envelope("slash_commands", fake_slack.slash_command("   "))

    ack = await fake_slack.ack_of(envelope)
    assert ack["payload"]["response_type"] == "ephemeral"
    assert "/ask your question" in Sent("ack", ack["payload"], None, True).text
    await ask_in_dm(fake_slack, NADELLA_QUESTION)
    assert fake_slack.delivered("response_url") == []


async def test_mention_is_answered_in_its_thread(fake_slack: FakeSlack, socket_bot: BotFactory) -> None:
    """An @-mention at the top of a channel is answered in a thread started at the mention."""
    await socket_bot()
    mention = fake_slack.mention(NADELLA_QUESTION)
    envelope = await fake_slack.send_envelope("events_api", fake_slack.event_callback(mention))

    assert await fake_slack.ack_of(envelope) == {"envelope_id": envelope}
    [reply] = await fake_slack.wait_for_delivered("chat.postMessage")
    assert reply.body["channel"] == CHANNEL_ID
    assert reply.body["thread_ts"] == mention["ts"]
    assert reply.token == BOT_TOKEN
    assert JEVONS_QUOTE in reply.text
    assert BOT_USER_ID not in reply.text  # the mention is not part of the question echoed back
    assert_within_slack_limits(reply)


async def test_mention_inside_a_thread_is_answered_in_that_thread(
    fake_slack: FakeSlack, socket_bot: BotFactory
) -> None:
    """A mention in a reply goes to the thread it is in, not a new thread under the reply."""
    await socket_bot()
    mention = fake_slack.mention(NADELLA_QUESTION, thread_ts="1700000000.000100")
    await fake_slack.send_envelope("events_api", fake_slack.event_callback(mention))

    [reply] = await fake_slack.wait_for_delivered("chat.postMessage")
    assert reply.body["thread_ts"] == "1700000000.000100"


async def test_direct_message_is_answered_in_the_dm(fake_slack: FakeSlack, socket_bot: BotFactory) -> None:
    """A DM is answered in the same DM, not in a thread."""
    await socket_bot()
    reply = await ask_in_dm(fake_slack, NADELLA_QUESTION)

    assert reply.body["channel"] == DM_CHANNEL_ID
    assert "thread_ts" not in reply.body
    assert JEVONS_QUOTE in reply.text


@pytest.mark.parametrize(
    "extra",
    [
        {"bot_id": "B0OTHER", "user": "U0OTHERBOT"},
        {"bot_id": BOT_ID, "user": BOT_USER_ID},
        {"subtype": "message_changed"},
        {"subtype": "channel_join"},
        {"channel_type": "channel", "channel": CHANNEL_ID},
    ],
    ids=["another-bot", "itself", "edit", "join", "channel-message"],
)
async def test_messages_that_are_not_questions_get_no_answer(
    fake_slack: FakeSlack, socket_bot: BotFactory, extra: dict[str, str]
) -> None:
    """Bots (itself included), edits, joins and channel chatter are never answered: no loops, no noise."""
    await socket_bot()
    ignored = fake_slack.direct_message(NADELLA_QUESTION, **extra)
    await fake_slack.send_envelope("events_api", fake_slack.event_callback(ignored))

    barrier = await ask_in_dm(fake_slack, "who is Nadella?")
    assert fake_slack.delivered("chat.postMessage") == [barrier]


async def test_unanswerable_question_gets_the_not_in_the_documents_note(
    fake_slack: FakeSlack, socket_bot: BotFactory, service: AnswerService
) -> None:
    """Abstention is a short reply carrying the answer's note and no quote."""
    await socket_bot()
    expected = await service.answer(UNANSWERABLE)
    assert not expected.answered and expected.note

    reply = await ask_in_dm(fake_slack, UNANSWERABLE)
    assert expected.note in reply.body["text"]
    assert not any(text.startswith(">") for text in reply.text.splitlines())


async def test_quote_with_markup_characters_and_a_ping_is_escaped(
    fake_slack: FakeSlack, socket_bot: BotFactory, tricky_retriever: Retriever
) -> None:
    """`<`, `>`, `&` from a document arrive as entities; no mention, link or @here/@channel ping is formed."""
    await socket_bot(AnswerService(tricky_retriever))
    mention = fake_slack.mention("when was the badger migration announced to <!here> &amp; R&amp;D?")
    await fake_slack.send_envelope("events_api", fake_slack.event_callback(mention))

    [reply] = await fake_slack.wait_for_delivered("chat.postMessage")
    text = reply.text
    assert "R&amp;D, cut latency to &lt; 5 ms at &gt; 9000 requests" in text
    assert "announced to @here and &lt;!channel&gt; by &lt;@U0BOSS&gt;." in text
    assert "*badger* *migration*" in text or "*badger migration*" in text
    assert "when was the badger migration announced to &amp; R&amp;D?" in text  # the echoed question
    assert "<!" not in text and "<@" not in text and "<#" not in text
    assert "&amp;amp;" not in text  # escaped exactly once
    assert all(block["text"]["verbatim"] for block in reply.body["blocks"] if "text" in block)


async def test_resent_event_is_answered_once(fake_slack: FakeSlack, socket_bot: BotFactory) -> None:
    """Slack's retry of an event (same event_id, retry_attempt 1) is acknowledged but not answered again."""
    await socket_bot()
    callback = fake_slack.event_callback(fake_slack.mention(NADELLA_QUESTION))
    await fake_slack.send_envelope("events_api", callback)
    await fake_slack.wait_for_delivered("chat.postMessage")

    retry = await fake_slack.send_envelope("events_api", callback, retry_attempt=1)
    assert await fake_slack.ack_of(retry) == {"envelope_id": retry}
    barrier = await ask_in_dm(fake_slack, "who is Nadella?")
    answers = fake_slack.delivered("chat.postMessage")
    assert answers[-1] == barrier
    assert len(answers) == 2


async def test_redelivered_slash_command_is_answered_once(fake_slack: FakeSlack, socket_bot: BotFactory) -> None:
    """The same slash command (same trigger_id) delivered twice gets one response."""
    await socket_bot()
    payload = fake_slack.slash_command(NADELLA_QUESTION)
    await fake_slack.send_envelope("slash_commands", payload)
    await fake_slack.wait_for_delivered("response_url")

    second = await fake_slack.send_envelope("slash_commands", payload)
    await fake_slack.ack_of(second)
    await fake_slack.send_envelope("slash_commands", fake_slack.slash_command("who is Nadella?"))
    replies = await fake_slack.wait_for_delivered("response_url", 2)
    assert [reply.body["_response_url"] for reply in replies].count(payload["response_url"]) == 1


async def test_message_delivered_as_mention_and_as_dm_is_answered_once(
    fake_slack: FakeSlack, socket_bot: BotFactory
) -> None:
    """One message arriving both as app_mention and as message.im (different event ids) is answered once."""
    await socket_bot()
    dm = fake_slack.direct_message(f"<@{BOT_USER_ID}> {NADELLA_QUESTION}")
    await fake_slack.send_envelope("events_api", fake_slack.event_callback(dm))
    await fake_slack.wait_for_delivered("chat.postMessage")
    mention = {**dm, "type": "app_mention"}
    mention.pop("channel_type")
    envelope = await fake_slack.send_envelope("events_api", fake_slack.event_callback(mention))
    await fake_slack.ack_of(envelope)

    await ask_in_dm(fake_slack, "who is Nadella?")
    assert len(fake_slack.delivered("chat.postMessage")) == 2


async def test_rate_limited_post_is_retried_after_retry_after(fake_slack: FakeSlack, socket_bot: BotFactory) -> None:
    """A 429 with Retry-After on chat.postMessage is waited out and the same message posted again."""
    await socket_bot()
    fake_slack.reply_next("chat.postMessage", status=429, retry_after=1)
    mention = fake_slack.mention(NADELLA_QUESTION)
    await fake_slack.send_envelope("events_api", fake_slack.event_callback(mention))

    [reply] = await fake_slack.wait_for_delivered("chat.postMessage")
    first, second = fake_slack.attempts("chat.postMessage")
    assert not first.answered
    assert first.body == second.body == reply.body
    assert JEVONS_QUOTE in reply.text


async def test_a_fractional_retry_after_is_waited_out_not_a_crash(
    fake_slack: FakeSlack, socket_bot: BotFactory
) -> None:
    """Slack may send `Retry-After: 1.5`; slack_sdk's own handler would crash on it and lose the answer."""
    await socket_bot()
    fake_slack.reply_next("chat.postMessage", status=429, retry_after="0.5")
    await fake_slack.send_envelope("events_api", fake_slack.event_callback(fake_slack.mention(NADELLA_QUESTION)))
    [reply] = await fake_slack.wait_for_delivered("chat.postMessage")
    assert JEVONS_QUOTE in reply.text and len(fake_slack.attempts("chat.postMessage")) == 2


async def test_rate_limited_response_url_is_retried(fake_slack: FakeSlack, socket_bot: BotFactory) -> None:
    """A 429 on the slash command's response_url is waited out too."""
    await socket_bot()
    fake_slack.reply_next("response_url", status=429, retry_after=0)
    await fake_slack.send_envelope("slash_commands", fake_slack.slash_command(NADELLA_QUESTION))

    [reply] = await fake_slack.wait_for_delivered("response_url")
    assert len(fake_slack.attempts("response_url")) == 2
    assert JEVONS_QUOTE in reply.text


@pytest.mark.parametrize("code", ["not_in_channel", "channel_not_found", "invalid_auth"])
async def test_refused_post_is_explained_privately_and_the_bot_keeps_serving(
    fake_slack: FakeSlack, socket_bot: BotFactory, code: str, caplog: pytest.LogCaptureFixture
) -> None:
    """A Slack API error is logged with its code (never the token), the asker is told ephemerally at channel
    level (the mention's thread does not exist yet, so Slack would not show it there), and the next question is
    answered as usual."""
    await socket_bot()
    fake_slack.reply_next("chat.postMessage", error=code)
    mention = fake_slack.mention(NADELLA_QUESTION)
    await fake_slack.send_envelope("events_api", fake_slack.event_callback(mention))

    [notice] = await fake_slack.wait_for_delivered("chat.postEphemeral")
    assert notice.body["user"] == HUMAN_USER_ID
    assert notice.body["channel"] == CHANNEL_ID
    assert "thread_ts" not in notice.body
    assert code in notice.text
    assert any(code in record.getMessage() for record in caplog.records)
    assert all(BOT_TOKEN not in record.getMessage() for record in caplog.records)

    reply = await ask_in_dm(fake_slack, NADELLA_QUESTION)
    assert JEVONS_QUOTE in reply.text


async def test_empty_mention_gets_usage_help_in_its_thread(fake_slack: FakeSlack, socket_bot: BotFactory) -> None:
    """Mentioning the bot with no question explains how to ask."""
    await socket_bot()
    mention = fake_slack.mention("")
    await fake_slack.send_envelope("events_api", fake_slack.event_callback(mention))

    [reply] = await fake_slack.wait_for_delivered("chat.postMessage")
    assert reply.body["thread_ts"] == mention["ts"]
    assert "/ask your question" in reply.text


async def test_direct_message_without_channel_type_is_still_a_dm(fake_slack: FakeSlack, socket_bot: BotFactory) -> None:
    """DM channel ids start with D; a sender that leaves out channel_type still gets an answer."""
    await socket_bot()
    dm = fake_slack.direct_message(NADELLA_QUESTION)
    del dm["channel_type"]
    await fake_slack.send_envelope("events_api", fake_slack.event_callback(dm))

    [reply] = await fake_slack.wait_for_delivered("chat.postMessage")
    assert reply.body["channel"] == DM_CHANNEL_ID
