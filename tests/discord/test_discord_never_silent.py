"""Never silent: the asker hears of every answer, even where the bot may not post, and sees a slow one coming."""

from __future__ import annotations

from discord_harness import StartBot
from fake_discord import (
    BOT_ID,
    CHANNEL_ID,
    DM_CHANNEL_ID,
    FORBIDDEN_CHANNEL_ID,
    USER_ID,
    FakeDiscord,
    limit_violations,
    message_text,
    pings_at_most_the_asker,
)

NADELLA = "what did Nadella say?"
JEVONS = 'quoted the "Jevons Paradox" on social media'
AT_ONCE = 0.0  # show progress before even looking: every answer counts as slow
NEVER = 60.0


async def test_a_mention_reply_notifies_the_asker_and_nobody_else(
    start_bot: StartBot, fake_discord: FakeDiscord
) -> None:
    """The reply ping is on (Discord notifies the asker); @everyone, roles and other users stay off."""
    await start_bot()

    await fake_discord.post_message(f"<@{BOT_ID}> {NADELLA}")

    reply = await fake_discord.wait_for_request(lambda r: r.path == f"/channels/{CHANNEL_ID}/messages")
    assert reply.body["allowed_mentions"] == {"parse": [], "replied_user": True}
    assert pings_at_most_the_asker(reply.body, reply=True)


async def test_a_dm_answer_pings_nobody(start_bot: StartBot, fake_discord: FakeDiscord) -> None:
    await start_bot()

    await fake_discord.post_message(NADELLA, channel_id=DM_CHANNEL_ID)

    answer = await fake_discord.wait_for_request(lambda r: r.path == f"/channels/{DM_CHANNEL_ID}/messages")
    assert pings_at_most_the_asker(answer.body, reply=False)


async def test_where_the_bot_may_not_post_the_answer_comes_by_dm_saying_where_to_ask(
    start_bot: StartBot, fake_discord: FakeDiscord
) -> None:
    """The 403 is followed by a DM channel opened with the asker (and only the asker) and the answer in it."""
    await start_bot()

    await fake_discord.post_message(f"<@{BOT_ID}> {NADELLA}", channel_id=FORBIDDEN_CHANNEL_ID)

    dm = await fake_discord.wait_for_request(lambda r: r.path == f"/channels/{DM_CHANNEL_ID}/messages")
    [opened] = fake_discord.calls("POST", "/users/@me/channels")
    assert opened.body == {"recipient_id": USER_ID}
    assert dm.body["content"] == (
        f"I can't post in <#{FORBIDDEN_CHANNEL_ID}>, so here is your answer. "
        "Ask me there again once I may post, or right here."
    )
    assert JEVONS in message_text(dm.body)
    assert pings_at_most_the_asker(dm.body, reply=False)
    assert limit_violations(dm.body) == []
    assert not [r for r in fake_discord.requests if "/reactions/" in r.path]


async def test_when_the_asker_takes_no_dms_the_question_gets_a_lock(
    start_bot: StartBot, fake_discord: FakeDiscord
) -> None:
    await start_bot()
    fake_discord.dms_closed = True

    asked = await fake_discord.post_message(f"<@{BOT_ID}> {NADELLA}", channel_id=FORBIDDEN_CHANNEL_ID)

    reaction = await fake_discord.wait_for_request(lambda r: r.method == "PUT" and "/reactions/" in r.path)
    assert (
        reaction.path == f"/channels/{FORBIDDEN_CHANNEL_ID}/messages/{asked['id']}/reactions/🔒/@me"
    )  # the path as Discord decodes it


async def test_a_slow_answer_shows_typing_first(start_bot: StartBot, fake_discord: FakeDiscord) -> None:
    await start_bot(progress_after=AT_ONCE)

    await fake_discord.post_message(f"<@{BOT_ID}> {NADELLA}")

    await fake_discord.wait_for_request(lambda r: r.path == f"/channels/{CHANNEL_ID}/messages")
    paths = [r.path for r in fake_discord.requests if r.path.startswith(f"/channels/{CHANNEL_ID}/")]
    assert paths == [f"/channels/{CHANNEL_ID}/typing", f"/channels/{CHANNEL_ID}/messages"]


async def test_a_quick_answer_shows_no_typing(start_bot: StartBot, fake_discord: FakeDiscord) -> None:
    await start_bot(progress_after=NEVER)

    await fake_discord.post_message(f"<@{BOT_ID}> {NADELLA}")

    await fake_discord.wait_for_request(lambda r: r.path == f"/channels/{CHANNEL_ID}/messages")
    assert not fake_discord.calls("POST", f"/channels/{CHANNEL_ID}/typing")
