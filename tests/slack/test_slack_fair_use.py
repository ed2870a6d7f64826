"""Fair use on Slack ([limits]): past their burst, one person is told privately to wait, while everyone else's
questions asked in the same moment are answered. The bucket's clock stands still, so only the burst counts."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fake_slack import CHANNEL_ID, HUMAN_USER_ID, IN_THE_ACK, OTHER_USER_ID, FakeSlack

from bot import metrics
from bot.answering import AnswerService
from bot.config import LimitsSettings
from bot.fair_use import FairUse
from retrieval.retriever import Retriever

NADELLA = "what did Nadella say?"
BURST = 2
LIMIT_NOTE = "You're asking faster than citebot answers one person"


def limited(front_end: str) -> float:
    return (
        metrics.REGISTRY.get_sample_value(
            "citebot_questions_limited_total", {"front_end": front_end, "limit": "per_person"}
        )
        or 0.0
    )


def fair_service(bundled: Retriever) -> AnswerService:
    """The real service with a per-person burst of BURST and a clock that never moves (no refill in the test)."""
    return AnswerService(bundled, fair_use=FairUse(LimitsSettings(burst=BURST), clock=lambda: 0.0))


async def test_a_burst_from_one_person_is_limited_while_another_persons_ask_is_answered(
    fake_slack: FakeSlack, socket_bot: Callable[..., Awaitable[Any]], bundled: Retriever
) -> None:
    """Five /ask from one person and one from another, all at once: the other is answered, two of the five are,
    and three get the one-line limit note, privately, in the acknowledgement itself."""
    await socket_bot(fair_service(bundled), ack_within=IN_THE_ACK)
    before = limited("slack")
    burst = [fake_slack.slash_command(NADELLA) for _ in range(BURST + 3)]
    grace = fake_slack.slash_command(NADELLA) | {"user_id": OTHER_USER_ID}
    envelopes = [await fake_slack.send_envelope("slash_commands", command) for command in [*burst[:3], grace]]
    envelopes += [await fake_slack.send_envelope("slash_commands", command) for command in burst[3:]]

    replies = [(await fake_slack.ack_of(envelope))["payload"] for envelope in envelopes]
    graces = replies.pop(3)

    assert graces["response_type"] == "in_channel" and "Nadella" in graces["text"]
    answered = [reply for reply in replies if reply["response_type"] == "in_channel"]
    notes = [reply for reply in replies if reply["response_type"] == "ephemeral"]
    assert len(answered) == BURST and all("Nadella" in reply["text"] for reply in answered)
    assert len(notes) == 3
    assert all(note["text"].startswith(LIMIT_NOTE) and "\n" not in note["text"] for note in notes)
    assert limited("slack") - before == 3


async def test_a_mention_past_the_limit_gets_a_private_note_and_no_answer(
    fake_slack: FakeSlack, socket_bot: Callable[..., Awaitable[Any]], bundled: Retriever
) -> None:
    """Three mentions from one person and one from another: the person's third is not answered but gets a private
    note where it was asked; the other person's is answered in its thread."""
    await socket_bot(fair_service(bundled))
    for _ in range(BURST + 1):
        await fake_slack.send_envelope("events_api", fake_slack.event_callback(fake_slack.mention(NADELLA)))
    grace = fake_slack.mention(NADELLA) | {"user": OTHER_USER_ID}
    await fake_slack.send_envelope("events_api", fake_slack.event_callback(grace))

    await fake_slack.wait_for_delivered("chat.postEphemeral")
    answers = await fake_slack.wait_for_delivered("chat.postMessage", BURST + 1)
    [note] = fake_slack.delivered("chat.postEphemeral")

    assert (note.body["channel"], note.body["user"]) == (CHANNEL_ID, HUMAN_USER_ID)
    assert note.body["text"].startswith(LIMIT_NOTE)
    assert len(answers) == BURST + 1  # the person's burst, and Grace's question
    assert grace["ts"] in [answer.body["thread_ts"] for answer in answers]
    assert all("Nadella" in answer.text for answer in answers)
