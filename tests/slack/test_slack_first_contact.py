"""First contact on Slack: help, greetings, thanks and "what can you do?" get the help card; so does the Home tab."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from fake_slack import CHANNEL_ID, HUMAN_USER_ID, IN_THE_ACK, FakeSlack, block_kit_problems, block_texts, pings

from bot.config import CorpusAbout

BotFactory = Callable[..., Awaitable[Any]]
ABOUT = CorpusAbout("News and analysis of DeepSeek's AI model, January 2025.", ("What did Nadella say?",))
CARD = [
    "*citebot* — I answer questions about the documents with word-for-word quotes, and say where each one comes from.",
    "*Ways to ask*\n"
    "• /ask your question — in any channel\n"
    "• @citebot your question — in a channel I'm in; I answer in a thread, and a mention there follows up\n"
    "• A direct message — just the question",
    "*The documents:* News and analysis of DeepSeek's AI model, January 2025.",
    "*Try asking*\n• What did Nadella say?",
    "Answers to /ask are shown to the channel with your name; if I find nothing, only you see it. "
    "Mentions are answered in a thread, direct messages privately.",
]


@pytest.mark.parametrize("greeting", ["help", "?", "hi", "Hello there!", "thanks", "what can you do?"])
async def test_a_greeting_or_help_in_a_dm_gets_the_help_card(
    fake_slack: FakeSlack, socket_bot: BotFactory, greeting: str
) -> None:
    await socket_bot(about=ABOUT)

    await fake_slack.send_envelope("events_api", fake_slack.event_callback(fake_slack.direct_message(greeting)))

    [card] = await fake_slack.wait_for_delivered("chat.postMessage")
    assert block_texts(card.body["blocks"]) == CARD
    assert block_kit_problems(card.body) == [] and pings(card.body) == []


async def test_help_as_a_mention_is_answered_in_its_thread(fake_slack: FakeSlack, socket_bot: BotFactory) -> None:
    await socket_bot(about=ABOUT)
    mention = fake_slack.mention("help")

    await fake_slack.send_envelope("events_api", fake_slack.event_callback(mention))

    [card] = await fake_slack.wait_for_delivered("chat.postMessage")
    assert (card.body["channel"], card.body["thread_ts"]) == (CHANNEL_ID, mention["ts"])
    assert block_texts(card.body["blocks"]) == CARD


async def test_ask_help_shows_the_card_to_the_asker_only(fake_slack: FakeSlack, socket_bot: BotFactory) -> None:
    await socket_bot(about=ABOUT, ack_within=IN_THE_ACK)

    envelope = await fake_slack.send_envelope("slash_commands", fake_slack.slash_command("help"))

    ack = (await fake_slack.ack_of(envelope))["payload"]
    assert ack["response_type"] == "ephemeral"
    assert block_texts(ack["blocks"]) == CARD


async def test_without_a_description_the_card_counts_the_documents_and_names_a_few(
    fake_slack: FakeSlack, socket_bot: BotFactory
) -> None:
    await socket_bot()

    await fake_slack.send_envelope("events_api", fake_slack.event_callback(fake_slack.direct_message("hi")))

    [card] = await fake_slack.wait_for_delivered("chat.postMessage")
    covers = block_texts(card.body["blocks"])[2]
    assert covers.startswith("*The documents:* 5 documents: “DeepSeek will not slow AI infrastructure spending")
    assert covers.endswith(" and 2 more.")


async def test_opening_the_home_tab_publishes_the_card(fake_slack: FakeSlack, socket_bot: BotFactory) -> None:
    """`app_home_opened` on the Home tab: views.publish for that user, the same card (the Messages tab is not it)."""
    await socket_bot(about=ABOUT)
    opened = {"type": "app_home_opened", "user": HUMAN_USER_ID, "channel": "D0HUMAN", "tab": "home"}
    messages = {**opened, "tab": "messages"}

    await fake_slack.send_envelope("events_api", fake_slack.event_callback(messages))
    await fake_slack.send_envelope("events_api", fake_slack.event_callback(opened))

    [published] = await fake_slack.wait_for_delivered("views.publish")
    assert published.body["user_id"] == HUMAN_USER_ID
    assert published.body["view"]["type"] == "home"
    assert block_texts(published.body["view"]["blocks"]) == CARD
    assert block_kit_problems(published.body["view"]) == []
