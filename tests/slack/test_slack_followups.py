"""Follow-ups, "more" and sharing on Slack, end to end: the real slack-bolt app over Socket Mode against the fake.

A mention in a thread citebot answered in follows up on the question there; `more` (typed, or the "More quotes"
button) gives the next quotes, numbered on; a private /ask answer can be shared with the channel.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

from fake_slack import (
    CHANNEL_ID,
    HUMAN_USER_ID,
    IN_THE_ACK,
    OTHER_USER_ID,
    FakeSlack,
    Sent,
    block_kit_problems,
    pings,
)

from bot.answering import AnswerService
from bot.channels import Collections
from bot.config import ChannelSection

NADELLA = "What did Nadella say?"
ALTMAN = "and Sam Altman?"
ALTMAN_GOLD = "wrong side of history"  # tests/data/followup_pairs.jsonl
NVIDIA = "Nvidia stock drop"  # three quotes, then two more, then no more
STARGATE = "Stargate"
MORE, SHARE = "citebot_more", "citebot_share"

BotFactory = Callable[..., Awaitable[Any]]


def numbers(message: Sent) -> list[str]:
    """The quote numbers shown under the quotes, in order."""
    return [
        match.group(0)
        for block in message.body["blocks"]
        if block["type"] == "context"
        for match in [re.match(r"\[\d+\]", block["elements"][0]["text"])]
        if match
    ]


def quoted_spans(message: Sent) -> list[str]:
    """The quotes' sections (block quotes), in order."""
    sections = [block["text"]["text"] for block in message.body["blocks"] if block["type"] == "section"]
    return [text for text in sections if text.startswith(">")]


def buttons(message: Sent) -> list[str]:
    return [
        element["action_id"]
        for block in message.body["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
    ]


async def mention(fake: FakeSlack, text: str, *, thread_ts: str | None = None, count: int = 1) -> Sent:
    """A mention delivered as Slack does; the `count`th chat.postMessage (the answer to it)."""
    await fake.send_envelope("events_api", fake.event_callback(fake.mention(text, thread_ts=thread_ts)))
    return (await fake.wait_for_delivered("chat.postMessage", count))[count - 1]


async def test_a_mention_in_citebots_thread_follows_up_on_the_question_there(
    fake_slack: FakeSlack, socket_bot: BotFactory
) -> None:
    await socket_bot()
    first_event = fake_slack.mention(NADELLA)
    await fake_slack.send_envelope("events_api", fake_slack.event_callback(first_event))
    [first] = await fake_slack.wait_for_delivered("chat.postMessage")
    thread = first_event["ts"]
    assert first.body["thread_ts"] == thread

    follow_up = await mention(fake_slack, ALTMAN, thread_ts=thread, count=2)

    assert follow_up.body["thread_ts"] == thread
    assert follow_up.body["blocks"][0] == {
        "type": "context",
        "elements": [{"type": "mrkdwn", "text": f"Following up on: {NADELLA}", "verbatim": True}],
    }
    assert follow_up.body["blocks"][1]["text"]["text"] == f"*From the documents:* {ALTMAN}"
    assert ALTMAN_GOLD in follow_up.text
    assert block_kit_problems(follow_up.body) == [] and pings(follow_up.body) == []


async def test_a_follow_up_outside_citebots_threads_is_a_question_of_its_own(
    fake_slack: FakeSlack, socket_bot: BotFactory
) -> None:
    await socket_bot()
    await mention(fake_slack, NADELLA)

    elsewhere = await mention(fake_slack, ALTMAN, thread_ts="1600000000.000001", count=2)

    assert "Following up on" not in elsewhere.text


async def test_where_channels_turn_follow_ups_off_a_mention_in_citebots_thread_is_a_question_of_its_own(
    fake_slack: FakeSlack, socket_bot: BotFactory, service: AnswerService
) -> None:
    """[[channels]] follow_ups = false: the thread's earlier question is not asked along, nor are the asker's
    un-mentioned replies answered there, even with thread_followups = "asker"."""
    channels = [ChannelSection(slack_channel=CHANNEL_ID, follow_ups=False)]
    await socket_bot(collections=Collections(Collections.single(service).by_name, channels), thread_followups="asker")
    first_event = fake_slack.mention(NADELLA)
    await fake_slack.send_envelope("events_api", fake_slack.event_callback(first_event))
    await fake_slack.wait_for_delivered("chat.postMessage")
    reply = fake_slack.direct_message(ALTMAN, thread_ts=first_event["ts"], channel=CHANNEL_ID)
    reply |= {"channel_type": "channel"}  # the asker's un-mentioned reply in citebot's thread
    await fake_slack.send_envelope("events_api", fake_slack.event_callback(reply))

    follow_up = await mention(fake_slack, ALTMAN, thread_ts=first_event["ts"], count=2)

    assert "Following up on" not in follow_up.text
    assert len(fake_slack.delivered("chat.postMessage")) == 2  # the un-mentioned reply got nothing


async def test_more_typed_in_the_thread_gives_the_next_quotes_numbered_on(
    fake_slack: FakeSlack, socket_bot: BotFactory
) -> None:
    await socket_bot()
    first_event = fake_slack.mention(NVIDIA)
    await fake_slack.send_envelope("events_api", fake_slack.event_callback(first_event))
    [first] = await fake_slack.wait_for_delivered("chat.postMessage")
    assert numbers(first) == ["[1]", "[2]", "[3]"] and MORE in buttons(first)

    more = await mention(fake_slack, "more", thread_ts=first_event["ts"], count=2)

    assert numbers(more) == ["[4]", "[5]"]
    assert more.body["blocks"][0]["text"]["text"] == f"*From the documents:* {NVIDIA}"
    assert not set(quoted_spans(more)) & set(quoted_spans(first))
    assert MORE not in buttons(more)  # a short page: nothing more to fetch
    assert block_kit_problems(more.body) == [] and pings(more.body) == []

    none_left = await mention(fake_slack, "more please", thread_ts=first_event["ts"], count=3)
    assert none_left.body["text"] == "That's all I found for this question: there are no more quotes."


async def test_the_more_button_posts_the_next_quotes_in_the_answers_thread(
    fake_slack: FakeSlack, socket_bot: BotFactory
) -> None:
    await socket_bot()
    first = await mention(fake_slack, STARGATE)

    click = fake_slack.block_actions(first, MORE)
    envelope = await fake_slack.send_envelope("interactive", click)

    assert await fake_slack.ack_of(envelope) == {"envelope_id": envelope}
    [_, more] = await fake_slack.wait_for_delivered("chat.postMessage", 2)
    assert more.body["thread_ts"] == click["message"]["thread_ts"]
    assert numbers(more) == ["[4]"]
    assert block_kit_problems(more.body) == [] and pings(more.body) == []


async def test_more_with_nothing_asked_before_says_to_ask_first(fake_slack: FakeSlack, socket_bot: BotFactory) -> None:
    await socket_bot()

    reply = await mention(fake_slack, "more")

    assert reply.body["text"] == "Ask me a question first; then `more` shows its next quotes."


async def test_a_direct_message_conversation_follows_up(fake_slack: FakeSlack, socket_bot: BotFactory) -> None:
    await socket_bot()
    await fake_slack.send_envelope("events_api", fake_slack.event_callback(fake_slack.direct_message(NADELLA)))
    await fake_slack.wait_for_delivered("chat.postMessage")

    await fake_slack.send_envelope("events_api", fake_slack.event_callback(fake_slack.direct_message(ALTMAN)))
    [_, follow_up] = await fake_slack.wait_for_delivered("chat.postMessage", 2)

    assert f"Following up on: {NADELLA}" in follow_up.text and ALTMAN_GOLD in follow_up.text


async def test_a_private_answer_is_shared_with_the_channel_by_its_button(
    fake_slack: FakeSlack, socket_bot: BotFactory
) -> None:
    """The ephemeral answer carries "Share in channel"; the click posts it in_channel with who shared it (a
    mention of the sharer, nobody else) and deletes the private copy through the same response_url."""
    await socket_bot(ack_within=IN_THE_ACK, visibility="ephemeral")
    envelope = await fake_slack.send_envelope("slash_commands", fake_slack.slash_command(NVIDIA))
    ack = (await fake_slack.ack_of(envelope))["payload"]
    private = await fake_slack.slash_answer(ack)
    assert ack["response_type"] == "ephemeral" and buttons(private) == [MORE, SHARE]
    assert block_kit_problems(ack) == []

    click = fake_slack.block_actions(private, SHARE)
    await fake_slack.send_envelope("interactive", click)

    shared, deleted = await fake_slack.wait_for_delivered("response_url", 2)
    assert shared.body["response_type"] == "in_channel" and shared.body["replace_original"] is False
    assert shared.body["blocks"][0]["elements"][0]["text"] == f"Shared by <@{HUMAN_USER_ID}>"
    assert quoted_spans(shared) == quoted_spans(private) != []
    assert shared.body["blocks"][1]["text"]["text"] == f"*From the documents:* {NVIDIA}"  # no command shown
    assert SHARE not in buttons(shared)
    assert pings(shared.body) == [f"<@{HUMAN_USER_ID}>"] and block_kit_problems(shared.body) == []
    assert deleted.body == {"text": "", "delete_original": True, "_response_url": click["response_url"]}


async def test_the_more_button_on_a_private_answer_answers_privately(
    fake_slack: FakeSlack, socket_bot: BotFactory
) -> None:
    await socket_bot(ack_within=IN_THE_ACK, visibility="ephemeral")
    envelope = await fake_slack.send_envelope("slash_commands", fake_slack.slash_command(NVIDIA))
    private = await fake_slack.slash_answer((await fake_slack.ack_of(envelope))["payload"])

    await fake_slack.send_envelope("interactive", fake_slack.block_actions(private, MORE))

    [more] = await fake_slack.wait_for_delivered("response_url")
    assert more.body["response_type"] == "ephemeral" and numbers(more) == ["[4]", "[5]"]
    assert buttons(more) == [SHARE]
    assert fake_slack.attempts("chat.postMessage") == []


async def test_with_thread_followups_the_askers_unmentioned_reply_is_answered(
    fake_slack: FakeSlack, socket_bot: BotFactory
) -> None:
    """`thread_followups = "asker"`: the asker's own replies in citebot's thread; never another person's,
    never a thread citebot did not answer in."""
    await socket_bot(thread_followups="asker")
    first_event = fake_slack.mention(NADELLA)
    await fake_slack.send_envelope("events_api", fake_slack.event_callback(first_event))
    await fake_slack.wait_for_delivered("chat.postMessage")

    def reply(text: str, user: str, thread_ts: str) -> dict[str, Any]:
        event = fake_slack.direct_message(text, user=user, thread_ts=thread_ts, channel=CHANNEL_ID)
        return event | {"channel_type": "channel"}

    await fake_slack.send_envelope(
        "events_api", fake_slack.event_callback(reply(ALTMAN, OTHER_USER_ID, first_event["ts"]))
    )
    await fake_slack.send_envelope(
        "events_api", fake_slack.event_callback(reply(ALTMAN, HUMAN_USER_ID, "1600000000.000001"))
    )
    await fake_slack.send_envelope(
        "events_api", fake_slack.event_callback(reply(ALTMAN, HUMAN_USER_ID, first_event["ts"]))
    )

    [_, answer] = await fake_slack.wait_for_delivered("chat.postMessage", 2)
    assert answer.body["thread_ts"] == first_event["ts"] and ALTMAN_GOLD in answer.text
    await fake_slack.send_envelope("events_api", fake_slack.event_callback(fake_slack.mention("and Microsoft?")))
    await fake_slack.wait_for_delivered("chat.postMessage", 3)  # the others were skipped, not still on their way
    assert len(fake_slack.attempts("chat.postMessage")) == 3


async def test_without_thread_followups_an_unmentioned_reply_is_not_answered(
    fake_slack: FakeSlack, socket_bot: BotFactory
) -> None:
    await socket_bot()
    first_event = fake_slack.mention(NADELLA)
    await fake_slack.send_envelope("events_api", fake_slack.event_callback(first_event))
    await fake_slack.wait_for_delivered("chat.postMessage")
    event = fake_slack.direct_message(ALTMAN, thread_ts=first_event["ts"], channel=CHANNEL_ID)
    await fake_slack.send_envelope("events_api", fake_slack.event_callback(event | {"channel_type": "channel"}))

    await mention(fake_slack, "and Microsoft?", count=2)  # answered after the reply was dealt with
    assert len(fake_slack.attempts("chat.postMessage")) == 2
