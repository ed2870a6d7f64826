"""A quiet, attributed /ask: quotes go to the channel with the asker shown; anything else only to the asker."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fake_slack import FOLLOW_UP_ALWAYS, IN_THE_ACK, FakeSlack, block_kit_problems, pings

NADELLA_QUESTION = "what did Nadella say?"
JEVONS_QUOTE = 'Microsoft CEO Nadella quoted the "Jevons Paradox" on social media'
UNANSWERABLE = "what is the airspeed velocity of an unladen swallow?"
ABSTAINED = "I couldn't find this in the documents."

BotFactory = Callable[..., Awaitable[Any]]


async def slash(fake: FakeSlack, text: str) -> dict[str, Any]:
    """Runs /ask over Socket Mode; the payload of its acknowledgement."""
    envelope = await fake.send_envelope("slash_commands", fake.slash_command(text))
    payload: dict[str, Any] = (await fake.ack_of(envelope)).get("payload") or {}
    return payload


async def test_a_quick_answer_is_the_acknowledgement_shown_in_the_channel(
    fake_slack: FakeSlack, socket_bot: BotFactory
) -> None:
    """`in_channel` in the ack makes Slack show the asker's command above the answer; nothing else is sent."""
    await socket_bot(ack_within=IN_THE_ACK)

    ack = await slash(fake_slack, NADELLA_QUESTION)

    assert ack["response_type"] == "in_channel"
    assert JEVONS_QUOTE in ack["text"]
    assert any("Jevons Paradox" in block["text"]["text"] for block in ack["blocks"] if block["type"] == "section")
    assert block_kit_problems(ack) == [] and pings(ack) == []
    assert fake_slack.attempts("response_url") == []


async def test_an_answer_shown_under_the_command_does_not_repeat_the_question(
    fake_slack: FakeSlack, socket_bot: BotFactory
) -> None:
    """Slack shows the asker's `/ask what did Nadella say?` above an in_channel answer: no second copy."""
    await socket_bot(ack_within=IN_THE_ACK)

    ack = await slash(fake_slack, NADELLA_QUESTION)

    assert ack["blocks"][0]["text"]["text"] == "*From the documents:*"


async def test_the_notification_leads_with_the_first_quote_and_its_title(
    fake_slack: FakeSlack, socket_bot: BotFactory
) -> None:
    await socket_bot(ack_within=IN_THE_ACK)

    ack = await slash(fake_slack, NADELLA_QUESTION)

    first_line = ack["text"].split("\n")[0]
    assert first_line.startswith("“") and "Jevons Paradox" in first_line
    assert first_line.endswith("” — The ultimate victim of DeepSeek is not NVIDIA")


async def test_a_quick_abstention_goes_to_the_asker_only(fake_slack: FakeSlack, socket_bot: BotFactory) -> None:
    await socket_bot(ack_within=IN_THE_ACK)

    ack = await slash(fake_slack, UNANSWERABLE)

    assert ack["response_type"] == "ephemeral"
    assert ack["text"].startswith(ABSTAINED)
    assert block_kit_problems(ack) == []


async def test_a_question_too_long_is_told_to_the_asker_only(fake_slack: FakeSlack, socket_bot: BotFactory) -> None:
    await socket_bot(ack_within=IN_THE_ACK)

    ack = await slash(fake_slack, "Nadella " * 300)

    assert ack["response_type"] == "ephemeral"
    assert ack["text"] == "That question is 2,399 characters long; please ask in under 1,000 characters."


async def test_a_slow_abstention_follows_privately(fake_slack: FakeSlack, socket_bot: BotFactory) -> None:
    """The ack could not wait: it showed the command; what follows it, a note, is for the asker alone."""
    await socket_bot(ack_within=FOLLOW_UP_ALWAYS)

    ack = await slash(fake_slack, UNANSWERABLE)

    assert ack == {"response_type": "in_channel"}
    [note] = await fake_slack.wait_for_delivered("response_url")
    assert note.body["response_type"] == "ephemeral" and note.body["text"].startswith(ABSTAINED)
