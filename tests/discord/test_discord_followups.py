"""Follow-ups, "more" and sharing on Discord, end to end: the real discord.py client against the fake Discord.

A Reply to one of citebot's answers follows up on its question; `more` (as a Reply, or the "More quotes"
button) gives the next quotes, numbered on; a private /ask answer can be shared with the channel.
"""

from __future__ import annotations

import re
from typing import Any

from discord_harness import StartBot
from fake_discord import (
    BOT_ID,
    DM_CHANNEL_ID,
    USER_ID,
    FakeDiscord,
    limit_violations,
    message_text,
    pings_at_most_the_asker,
)

NADELLA = "What did Nadella say?"
ALTMAN = "and Sam Altman?"
ALTMAN_GOLD = "wrong side of history"  # tests/data/followup_pairs.jsonl
NVIDIA = "Nvidia stock drop"  # three quotes, then two more, then no more
EPHEMERAL = 64
NEVER_DEFER = 60.0


def numbers(message: dict[str, Any]) -> list[str]:
    """The quote numbers in front of the sources, in order."""
    return re.findall(r"^\[\d+\]", message["embeds"][0]["description"], re.MULTILINE) if message["embeds"] else []


def custom_ids(message: dict[str, Any]) -> list[str]:
    return [button["custom_id"] for row in message.get("components") or [] for button in row["components"]]


async def bot_message(fake: FakeDiscord, count: int) -> dict[str, Any]:
    """The `count`th message the bot created."""
    found: dict[str, Any] = await fake.wait_until(lambda: len(fake.messages) >= count and fake.messages[count - 1])
    return found


async def test_a_reply_to_an_answer_follows_up_on_its_question(start_bot: StartBot, fake_discord: FakeDiscord) -> None:
    await start_bot()
    await fake_discord.post_message(f"<@{BOT_ID}> {NADELLA}")
    first = await bot_message(fake_discord, 1)

    await fake_discord.post_message(ALTMAN, reply_to=first)
    follow_up = await bot_message(fake_discord, 2)

    description = follow_up["embeds"][0]["description"]
    assert description.startswith(f"*Following up on: {NADELLA}*\n**Q:** {ALTMAN}")
    assert ALTMAN_GOLD in message_text(follow_up)
    [_, post] = fake_discord.calls("POST", f"/channels/{first['channel_id']}/messages")
    assert pings_at_most_the_asker(post.body, reply=True) and limit_violations(post.body) == []


async def test_a_reply_to_someone_elses_message_is_a_question_of_its_own(
    start_bot: StartBot, fake_discord: FakeDiscord
) -> None:
    await start_bot()
    await fake_discord.post_message(f"<@{BOT_ID}> {NADELLA}")
    await bot_message(fake_discord, 1)
    human = await fake_discord.post_message("I wonder about this")

    await fake_discord.post_message(f"<@{BOT_ID}> {ALTMAN}", reply_to=human)
    answer = await bot_message(fake_discord, 2)

    assert "Following up on" not in message_text(answer)


async def test_more_as_a_reply_gives_the_next_quotes_numbered_on_then_says_there_are_no_more(
    start_bot: StartBot, fake_discord: FakeDiscord
) -> None:
    await start_bot()
    await fake_discord.post_message(f"<@{BOT_ID}> {NVIDIA}")
    first = await bot_message(fake_discord, 1)
    assert numbers(first) == ["[1]", "[2]", "[3]"] and any(c.startswith("citebot:more:") for c in custom_ids(first))

    await fake_discord.post_message("more", reply_to=first)
    more = await bot_message(fake_discord, 2)
    assert numbers(more) == ["[4]", "[5]"] and custom_ids(more) == []
    assert more["embeds"][0]["description"].startswith(f"**Q:** {NVIDIA}")

    await fake_discord.post_message("more", reply_to=more)
    none_left = await bot_message(fake_discord, 3)
    assert none_left["content"] == "That's all I found for this question: there are no more quotes."


async def test_the_more_button_answers_the_click_publicly_under_a_public_answer(
    start_bot: StartBot, fake_discord: FakeDiscord
) -> None:
    await start_bot()
    await fake_discord.post_message(f"<@{BOT_ID}> {NVIDIA}")
    first = await bot_message(fake_discord, 1)
    [more_id] = [c for c in custom_ids(first) if c.startswith("citebot:more:")]

    click = await fake_discord.click(first, more_id)

    [callback] = await fake_discord.responses_to(click, 1)
    assert callback.body["type"] == 4 and not callback.body["data"].get("flags", 0) & EPHEMERAL
    assert numbers(callback.body["data"]) == ["[4]", "[5]"]
    assert callback.body["data"]["allowed_mentions"] == {"parse": []}
    assert limit_violations(callback.body["data"]) == []


async def test_a_slow_more_click_is_deferred_then_answered_by_follow_up(
    start_bot: StartBot, fake_discord: FakeDiscord
) -> None:
    """When the next quotes take longer than the interaction window allows, the click is acknowledged as
    "thinking" first, and the quotes come through the interaction webhook, as /ask does."""
    await start_bot(defer_after=0.0)
    await fake_discord.post_message(f"<@{BOT_ID}> {NVIDIA}")
    first = await bot_message(fake_discord, 1)
    [more_id] = [c for c in custom_ids(first) if c.startswith("citebot:more:")]

    click = await fake_discord.click(first, more_id)

    deferred, followed = await fake_discord.responses_to(click, 2)
    assert deferred.body == {"type": 5}
    assert followed.method == "POST" and not followed.body.get("flags", 0) & EPHEMERAL
    assert numbers(followed.body) == ["[4]", "[5]"]
    assert followed.body["allowed_mentions"] == {"parse": []} and limit_violations(followed.body) == []


async def test_a_private_answer_is_shared_with_the_channel_and_the_private_copy_deleted(
    start_bot: StartBot, fake_discord: FakeDiscord
) -> None:
    """The ephemeral answer has "Share in channel"; the click is acknowledged as a deferred update, the same
    quotes go to the channel through the interaction webhook with who shared it (a mention that pings nobody),
    and the ephemeral message is deleted through the same webhook."""
    await start_bot(defer_after=NEVER_DEFER)
    asked = await fake_discord.slash_ask(NVIDIA, private=True)
    [answered] = await fake_discord.responses_to(asked, 1)
    private = await bot_message(fake_discord, 1)
    assert private["flags"] & EPHEMERAL
    [share_id] = [c for c in custom_ids(private) if c.startswith("citebot:share:")]

    click = await fake_discord.click(private, share_id)

    deferred, shared, deleted = await fake_discord.responses_to(click, 3)
    assert deferred.body == {"type": 6}
    assert (shared.method, deleted.method) == ("POST", "DELETE") and deleted.path.endswith("/messages/@original")
    assert shared.body["content"] == f"Shared by <@{USER_ID}>"
    assert shared.body["embeds"] == answered.body["data"]["embeds"]
    assert not shared.body.get("flags", 0) & EPHEMERAL
    assert shared.body["allowed_mentions"] == {"parse": []} and limit_violations(shared.body) == []
    assert not any(c.startswith("citebot:share:") for c in custom_ids(shared.body))


async def test_a_dm_conversation_follows_up(start_bot: StartBot, fake_discord: FakeDiscord) -> None:
    await start_bot()
    await fake_discord.post_message(NADELLA, channel_id=DM_CHANNEL_ID)
    await bot_message(fake_discord, 1)

    await fake_discord.post_message(ALTMAN, channel_id=DM_CHANNEL_ID)
    follow_up = await bot_message(fake_discord, 2)

    assert f"Following up on: {NADELLA}" in message_text(follow_up) and ALTMAN_GOLD in message_text(follow_up)


async def test_a_reply_to_an_ask_answer_follows_up_whether_it_came_at_once_or_after_thinking(
    start_bot: StartBot, fake_discord: FakeDiscord
) -> None:
    for defer_after in (NEVER_DEFER, 0.0):
        fake_discord.messages.clear()
        client = await start_bot(defer_after=defer_after)
        await fake_discord.slash_ask(NADELLA)
        answer = await bot_message(fake_discord, 1)

        await fake_discord.post_message(ALTMAN, reply_to=answer)
        follow_up = await bot_message(fake_discord, 2)

        assert f"Following up on: {NADELLA}" in message_text(follow_up), defer_after
        await client.close()
