"""/ask end to end: the real client against the fake Discord, answered inside the interaction window."""

from __future__ import annotations

from discord_harness import StartBot
from fake_discord import (
    APPLICATION_ID,
    GUILD_ID,
    FakeDiscord,
    limit_violations,
    message_text,
    parses_no_mentions,
    sent_message,
)

from bot.config import DiscordSettings

NADELLA = "what did Nadella say?"
JEVONS = 'quoted the "Jevons Paradox" on social media'
EPHEMERAL = 64
ALWAYS_DEFER = 0.0  # defer before even looking: the follow-up path, every time
NEVER_DEFER = 60.0  # wait for the answer: the direct path, every time (the fake has no 3 s deadline)


def callback_for(interaction: dict[str, object]) -> str:
    return f"/interactions/{interaction['id']}/{interaction['token']}/callback"


def follow_up_for(interaction: dict[str, object]) -> str:
    return f"/webhooks/{APPLICATION_ID}/{interaction['token']}"


async def test_ask_and_help_are_synced_globally_at_start_up(start_bot: StartBot, fake_discord: FakeDiscord) -> None:
    """Without guild ids in the config, /ask is registered as a global command before the gateway connects."""
    await start_bot()

    (sync,) = fake_discord.calls("PUT", f"/applications/{APPLICATION_ID}/commands")
    command, help_command = sync.body
    assert (command["name"], help_command["name"]) == ("ask", "help")
    options = {option["name"]: option for option in command["options"]}
    assert options["question"]["type"] == 3 and options["question"]["required"] is True
    assert (options["question"]["min_length"], options["question"]["max_length"]) == (1, 1000)
    assert options["private"]["type"] == 5 and not options["private"].get("required", False)


async def test_ask_is_synced_to_the_configured_guilds_only(start_bot: StartBot, fake_discord: FakeDiscord) -> None:
    """Guild ids in the config: /ask appears there at once, and nothing is registered globally."""
    await start_bot(DiscordSettings(guild_ids=[GUILD_ID]))

    (sync,) = fake_discord.calls("PUT", f"/applications/{APPLICATION_ID}/guilds/{GUILD_ID}/commands")
    assert [command["name"] for command in sync.body] == ["ask", "help"]
    assert not fake_discord.calls("PUT", f"/applications/{APPLICATION_ID}/commands")


async def test_quick_answer_is_the_interaction_response_itself(start_bot: StartBot, fake_discord: FakeDiscord) -> None:
    """When the answer is ready in time it is sent as the response (type 4): one message, public, no pings."""
    await start_bot(defer_after=NEVER_DEFER)

    interaction = await fake_discord.slash_ask(NADELLA)

    (response,) = await fake_discord.responses_to(interaction, 1)
    assert response.path == callback_for(interaction)
    assert response.query == {"with_response": "1"}
    assert response.body["type"] == 4
    message = sent_message(response)
    assert JEVONS in message_text(message)
    assert not message.get("flags", 0) & EPHEMERAL
    assert parses_no_mentions(message)
    assert limit_violations(message) == []


async def test_slow_answer_is_deferred_then_sent_as_the_follow_up(
    start_bot: StartBot, fake_discord: FakeDiscord
) -> None:
    """When the answer is not immediate the bot acknowledges first (type 5, 'thinking'), so Discord's 3-second
    window can never expire, then sends the answer as the follow-up."""
    await start_bot(defer_after=ALWAYS_DEFER)

    interaction = await fake_discord.slash_ask(NADELLA)

    deferral, follow_up = await fake_discord.responses_to(interaction, 2)
    assert deferral.path == callback_for(interaction)
    assert deferral.body["type"] == 5
    assert follow_up.method == "POST" and follow_up.path == follow_up_for(interaction)
    assert JEVONS in message_text(follow_up.body)
    assert parses_no_mentions(follow_up.body)
    assert limit_violations(follow_up.body) == []


async def test_private_answer_is_ephemeral_on_both_paths(start_bot: StartBot, fake_discord: FakeDiscord) -> None:
    """private:true makes the response, the deferral and the follow-up visible to the asker only."""
    await start_bot(defer_after=ALWAYS_DEFER)

    deferred = await fake_discord.slash_ask(NADELLA, private=True)
    deferral, follow_up = await fake_discord.responses_to(deferred, 2)

    assert deferral.body["data"]["flags"] & EPHEMERAL
    assert follow_up.body["flags"] & EPHEMERAL
    assert JEVONS in message_text(follow_up.body)


async def test_private_answer_sent_directly_is_ephemeral(start_bot: StartBot, fake_discord: FakeDiscord) -> None:
    await start_bot(defer_after=NEVER_DEFER)

    interaction = await fake_discord.slash_ask(NADELLA, private=True)

    (response,) = await fake_discord.responses_to(interaction, 1)
    assert response.body["type"] == 4
    assert sent_message(response)["flags"] & EPHEMERAL


async def test_config_can_make_answers_private_by_default(start_bot: StartBot, fake_discord: FakeDiscord) -> None:
    """private_by_default applies when the asker leaves `private` out, and private:false overrides it."""
    await start_bot(DiscordSettings(private_by_default=True), defer_after=NEVER_DEFER)

    unspecified = await fake_discord.slash_ask(NADELLA)
    public = await fake_discord.slash_ask(NADELLA, private=False)

    (unspecified_response,) = await fake_discord.responses_to(unspecified, 1)
    (public_response,) = await fake_discord.responses_to(public, 1)
    assert sent_message(unspecified_response)["flags"] & EPHEMERAL
    assert not sent_message(public_response).get("flags", 0) & EPHEMERAL


async def test_unanswerable_question_gets_a_short_friendly_reply(
    start_bot: StartBot, fake_discord: FakeDiscord
) -> None:
    """Abstention is a one-line 'not in the documents' message, not an empty embed or an error."""
    await start_bot(defer_after=NEVER_DEFER)

    interaction = await fake_discord.slash_ask("how tall is the Eiffel Tower?")

    (response,) = await fake_discord.responses_to(interaction, 1)
    message = sent_message(response)
    assert message["content"].startswith("The documents never mention “Eiffel Tower”")
    assert len(message["content"]) < 300
    assert not message.get("embeds")
    assert parses_no_mentions(message)


async def test_ask_works_in_a_direct_message(start_bot: StartBot, fake_discord: FakeDiscord) -> None:
    """/ask used in a DM with the bot (no guild, a `user` instead of a `member`) is answered the same way."""
    await start_bot(defer_after=NEVER_DEFER)

    interaction = await fake_discord.slash_ask(NADELLA, in_dm=True)

    (response,) = await fake_discord.responses_to(interaction, 1)
    assert JEVONS in message_text(sent_message(response))
