"""A quiet /ask on Discord: quotes go where the asker chose; a note (not found, too long, failed) to them alone."""

from __future__ import annotations

from discord_harness import StartBot
from fake_discord import APPLICATION_ID, FakeDiscord, parses_no_mentions, sent_message

UNANSWERABLE = "what is the airspeed velocity of an unladen swallow?"
EPHEMERAL = 64
ALWAYS_DEFER = 0.0
NEVER_DEFER = 60.0


async def test_a_quick_abstention_is_ephemeral_though_answers_are_public(
    start_bot: StartBot, fake_discord: FakeDiscord
) -> None:
    await start_bot(defer_after=NEVER_DEFER)

    interaction = await fake_discord.slash_ask(UNANSWERABLE, private=False)

    (response,) = await fake_discord.responses_to(interaction, 1)
    message = sent_message(response)
    assert message["content"].startswith("I couldn't find this in the documents.")
    assert message["flags"] & EPHEMERAL
    assert parses_no_mentions(message)


async def test_a_slow_abstention_removes_the_public_thinking_and_tells_the_asker_alone(
    start_bot: StartBot, fake_discord: FakeDiscord
) -> None:
    """Deferred publicly (the answer might have been quotes), the note is not: the 'thinking' message is
    deleted and the note sent as an ephemeral follow-up."""
    await start_bot(defer_after=ALWAYS_DEFER)

    interaction = await fake_discord.slash_ask(UNANSWERABLE)

    deferral, deleted, follow_up = await fake_discord.responses_to(interaction, 3)
    webhook = f"/webhooks/{APPLICATION_ID}/{interaction['token']}"
    assert deferral.body["type"] == 5 and not deferral.body.get("data", {}).get("flags", 0) & EPHEMERAL
    assert (deleted.method, deleted.path) == ("DELETE", f"{webhook}/messages/@original")
    assert (follow_up.method, follow_up.path) == ("POST", webhook)
    assert follow_up.body["flags"] & EPHEMERAL
    assert follow_up.body["content"].startswith("I couldn't find this in the documents.")
