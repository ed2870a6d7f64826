"""@-mentions and DMs end to end, plus what keeps the bot serving: intents, 403s and gateway reconnects."""

from __future__ import annotations

import logging

import pytest
from discord_harness import StartBot
from fake_discord import (
    BOT_ID,
    BOT_ROLE_ID,
    CHANNEL_ID,
    DM_CHANNEL_ID,
    FORBIDDEN_CHANNEL_ID,
    GUILD_ID,
    OTHER_BOT_USER,
    FakeDiscord,
    RecordedRequest,
    limit_violations,
    message_text,
    parses_no_mentions,
    pings_at_most_the_asker,
)

NADELLA = "what did Nadella say?"
JEVONS = 'quoted the "Jevons Paradox" on social media'
GUILDS, GUILD_MESSAGES, DIRECT_MESSAGES, MESSAGE_CONTENT = 1 << 0, 1 << 9, 1 << 12, 1 << 15


async def posts_to(fake: FakeDiscord, channel_id: int, count: int = 1) -> list[RecordedRequest]:
    """The first `count` messages the bot posted in the channel (bounded wait)."""

    def posted() -> list[RecordedRequest] | None:
        found = fake.calls("POST", f"/channels/{channel_id}/messages")
        return found[:count] if len(found) >= count else None

    requests: list[RecordedRequest] = await fake.wait_until(posted)
    return requests


async def test_identify_asks_only_for_the_intents_it_needs(start_bot: StartBot, fake_discord: FakeDiscord) -> None:
    """Guilds, guild messages and DMs; not the privileged message_content intent."""
    await start_bot()

    (identify,) = fake_discord.identify_payloads
    assert identify["intents"] == GUILDS | GUILD_MESSAGES | DIRECT_MESSAGES
    assert not identify["intents"] & MESSAGE_CONTENT


async def test_mention_is_answered_as_a_reply_to_that_message(start_bot: StartBot, fake_discord: FakeDiscord) -> None:
    """`@citebot question` gets a reply referencing the message; the mention is not part of the question."""
    await start_bot()

    asked = await fake_discord.post_message(f"<@{BOT_ID}> {NADELLA}")

    (reply,) = await posts_to(fake_discord, CHANNEL_ID)
    assert reply.body["message_reference"]["message_id"] == int(asked["id"])
    assert reply.body["message_reference"]["guild_id"] == GUILD_ID
    text = message_text(reply.body)
    assert JEVONS in text
    assert f"<@{BOT_ID}>" not in text and NADELLA in text
    assert pings_at_most_the_asker(reply.body, reply=True)
    assert limit_violations(reply.body) == []


async def test_mention_anywhere_in_the_message_counts(start_bot: StartBot, fake_discord: FakeDiscord) -> None:
    await start_bot()

    await fake_discord.post_message(f"{NADELLA} <@!{BOT_ID}>")

    (reply,) = await posts_to(fake_discord, CHANNEL_ID)
    assert JEVONS in message_text(reply.body)


async def test_mention_of_the_bots_own_role_is_answered(start_bot: StartBot, fake_discord: FakeDiscord) -> None:
    """Some clients insert the bot's managed role instead of the bot user; that is addressed to us too."""
    await start_bot()

    await fake_discord.post_message(f"<@&{BOT_ROLE_ID}> {NADELLA}")

    (reply,) = await posts_to(fake_discord, CHANNEL_ID)
    assert JEVONS in message_text(reply.body)


async def test_direct_message_is_answered_once(start_bot: StartBot, fake_discord: FakeDiscord) -> None:
    """A DM needs no mention and no reply reference; the bot's own answer, echoed back by the gateway like
    every message, is not taken for a new question (the next question's answer is the next post)."""
    await start_bot()
    follow_up = "what is the Jevons Paradox?"

    await fake_discord.post_message(NADELLA, channel_id=DM_CHANNEL_ID)
    (answer,) = await posts_to(fake_discord, DM_CHANNEL_ID)
    await fake_discord.post_message(follow_up, channel_id=DM_CHANNEL_ID)
    await fake_discord.wait_until(
        lambda: any(follow_up in message_text(post.body) for post in fake_discord.calls("POST", "/channels/"))
    )

    assert JEVONS in message_text(answer.body)
    assert "message_reference" not in answer.body
    assert parses_no_mentions(answer.body)
    first, second = fake_discord.calls("POST", "/channels/")
    assert NADELLA in message_text(first.body) and follow_up in message_text(second.body)


async def test_guild_messages_not_addressed_to_the_bot_are_ignored(
    start_bot: StartBot, fake_discord: FakeDiscord
) -> None:
    """Plain chatter, @everyone, and bots (even mentioning us) get no answer; the next real question does."""
    await start_bot()

    await fake_discord.post_message(NADELLA)
    await fake_discord.post_message(f"@everyone {NADELLA}")
    await fake_discord.post_message(f"<@{BOT_ID}> {NADELLA}", author=OTHER_BOT_USER)
    human = await fake_discord.post_message(f"<@{BOT_ID}> what is the Jevons Paradox?")

    (reply,) = await posts_to(fake_discord, CHANNEL_ID)
    assert reply.body["message_reference"]["message_id"] == int(human["id"])
    assert len(fake_discord.calls("POST", f"/channels/{CHANNEL_ID}/messages")) == 1


async def test_channel_where_the_bot_may_not_post_is_logged_and_skipped(
    start_bot: StartBot, fake_discord: FakeDiscord, caplog: pytest.LogCaptureFixture
) -> None:
    """A 403 is a warning naming the channel, not a crash: the next question elsewhere is answered."""
    caplog.set_level(logging.WARNING, logger="bot.discord_adapter")
    await start_bot()

    await fake_discord.post_message(f"<@{BOT_ID}> {NADELLA}", channel_id=FORBIDDEN_CHANNEL_ID)
    await posts_to(fake_discord, FORBIDDEN_CHANNEL_ID)
    await fake_discord.wait_until(lambda: str(FORBIDDEN_CHANNEL_ID) in caplog.text)
    await fake_discord.post_message(f"<@{BOT_ID}> {NADELLA}")

    (reply,) = await posts_to(fake_discord, CHANNEL_ID)
    assert JEVONS in message_text(reply.body)
    (warning,) = [r for r in caplog.records if str(FORBIDDEN_CHANNEL_ID) in r.getMessage()]
    assert warning.levelno == logging.WARNING


async def test_questions_are_answered_after_a_gateway_reconnect(start_bot: StartBot, fake_discord: FakeDiscord) -> None:
    """Op 7 RECONNECT: the client reconnects, RESUMEs the same session (no new IDENTIFY) and keeps serving."""
    await start_bot()

    await fake_discord.send_reconnect()
    (resume,) = await fake_discord.wait_until(lambda: fake_discord.resume_payloads)
    await fake_discord.post_message(f"<@{BOT_ID}> {NADELLA}")

    (reply,) = await posts_to(fake_discord, CHANNEL_ID)
    assert JEVONS in message_text(reply.body)
    assert resume["session_id"] == fake_discord.session_id
    assert len(fake_discord.identify_payloads) == 1
