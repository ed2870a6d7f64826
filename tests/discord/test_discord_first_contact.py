"""First contact on Discord: /help, and help, greetings or thanks in a mention, DM or /ask, get the help card."""

from __future__ import annotations

import pytest
from discord_harness import StartBot
from fake_discord import BOT_ID, CHANNEL_ID, DM_CHANNEL_ID, FakeDiscord, limit_violations, pings_at_most_the_asker

from bot.config import CorpusAbout

EPHEMERAL = 64
ABOUT = CorpusAbout("News and analysis of DeepSeek's AI model, January 2025.", ("What did Nadella say?",))
CARD = {
    "title": "citebot",
    "description": "I answer questions about the documents with word-for-word quotes, "
    "and say where each one comes from.",
    "fields": [
        {
            "name": "Ways to ask",
            "value": "• /ask question: … — in any channel I'm in; add private: True to see the answer alone\n"
            "• @citebot your question — I reply to your message; reply to my answer to follow up\n"
            "• A direct message — just the question",
            "inline": False,
        },
        {"name": "The documents", "value": "News and analysis of DeepSeek's AI model, January 2025.", "inline": False},
        {"name": "Try asking", "value": "What did Nadella say?", "inline": False},
    ],
    "footer": {
        "text": "Answers to /ask are shown to the channel with your name; if I find nothing, only you see it. "
        "Mentions are answered in a thread, direct messages privately."
    },
}


def card_of(message: dict[str, object]) -> dict[str, object]:
    [embed] = message["embeds"]  # type: ignore[misc]
    return {key: embed[key] for key in ("title", "description", "fields", "footer")}


async def test_help_shows_the_card_to_the_asker_only(start_bot: StartBot, fake_discord: FakeDiscord) -> None:
    await start_bot(about=ABOUT)

    interaction = await fake_discord.slash_command("help", [])

    callback = await fake_discord.wait_for_request(lambda r: str(interaction["token"]) in r.path)
    assert callback.body["type"] == 4
    assert callback.body["data"]["flags"] & EPHEMERAL
    assert card_of(callback.body["data"]) == CARD
    assert limit_violations(callback.body["data"]) == []


@pytest.mark.parametrize("greeting", ["hi", "thanks!", "what can you do?", "?"])
async def test_a_greeting_mention_gets_the_card_as_a_reply(
    start_bot: StartBot, fake_discord: FakeDiscord, greeting: str
) -> None:
    await start_bot(about=ABOUT)

    await fake_discord.post_message(f"<@{BOT_ID}> {greeting}")

    reply = await fake_discord.wait_for_request(lambda r: r.path == f"/channels/{CHANNEL_ID}/messages")
    assert card_of(reply.body) == CARD
    assert pings_at_most_the_asker(reply.body, reply=True)
    assert limit_violations(reply.body) == []


async def test_help_in_a_dm_gets_the_card(start_bot: StartBot, fake_discord: FakeDiscord) -> None:
    await start_bot(about=ABOUT)

    await fake_discord.post_message("help", channel_id=DM_CHANNEL_ID)

    reply = await fake_discord.wait_for_request(lambda r: r.path == f"/channels/{DM_CHANNEL_ID}/messages")
    assert card_of(reply.body) == CARD


async def test_ask_hello_shows_the_card_privately(start_bot: StartBot, fake_discord: FakeDiscord) -> None:
    await start_bot(about=ABOUT)

    interaction = await fake_discord.slash_ask("hello")

    callback = await fake_discord.wait_for_request(lambda r: str(interaction["token"]) in r.path)
    assert callback.body["data"]["flags"] & EPHEMERAL
    assert card_of(callback.body["data"]) == CARD
