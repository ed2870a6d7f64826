"""Fair use on Discord ([limits]): past their burst, one person's /ask gets an ephemeral note and their mention a
short reply saying to wait, while another person's question in the same moment is answered. The bucket's clock
stands still, so only the burst counts."""

from __future__ import annotations

from discord_harness import StartBot
from fake_discord import (
    BOT_ID,
    CHANNEL_ID,
    OTHER_USER,
    FakeDiscord,
    RecordedRequest,
    message_text,
    pings_at_most_the_asker,
    sent_message,
)

from bot import metrics
from bot.answering import AnswerService
from bot.config import LimitsSettings
from bot.fair_use import FairUse
from retrieval.retriever import Retriever

NADELLA = "what did Nadella say?"
JEVONS = 'quoted the "Jevons Paradox" on social media'
BURST = 2
EPHEMERAL = 64
NEVER_DEFER = 60.0  # the answer (or the note) is the interaction's response itself
LIMIT_NOTE = "You're asking faster than citebot answers one person"


def limited() -> float:
    return (
        metrics.REGISTRY.get_sample_value(
            "citebot_questions_limited_total", {"front_end": "discord", "limit": "per_person"}
        )
        or 0.0
    )


def fair_service(bundled: Retriever) -> AnswerService:
    return AnswerService(bundled, fair_use=FairUse(LimitsSettings(burst=BURST), clock=lambda: 0.0))


async def test_a_burst_of_asks_is_limited_privately_while_another_persons_ask_is_answered(
    start_bot: StartBot, fake_discord: FakeDiscord, bundled: Retriever
) -> None:
    await start_bot(answer_service=fair_service(bundled), defer_after=NEVER_DEFER)
    before = limited()
    burst = [await fake_discord.slash_ask(NADELLA) for _ in range(3)]
    grace = await fake_discord.slash_ask(NADELLA, user=OTHER_USER)
    burst += [await fake_discord.slash_ask(NADELLA) for _ in range(2)]

    replies = [sent_message((await fake_discord.responses_to(asked, 1))[0]) for asked in burst]
    (graces,) = await fake_discord.responses_to(grace, 1)

    assert JEVONS in message_text(sent_message(graces)) and not sent_message(graces).get("flags", 0) & EPHEMERAL
    answered = [reply for reply in replies if JEVONS in message_text(reply)]
    notes = [reply for reply in replies if message_text(reply).startswith(LIMIT_NOTE)]
    assert len(answered) == BURST and not any(reply.get("flags", 0) & EPHEMERAL for reply in answered)
    assert len(notes) == 3 and all(note["flags"] & EPHEMERAL for note in notes)
    assert limited() - before == 3


async def test_a_mention_past_the_limit_gets_a_short_reply_and_no_answer(
    start_bot: StartBot, fake_discord: FakeDiscord, bundled: Retriever
) -> None:
    await start_bot(answer_service=fair_service(bundled))
    asked = [await fake_discord.post_message(f"<@{BOT_ID}> {NADELLA}") for _ in range(BURST + 1)]
    grace = await fake_discord.post_message(f"<@{BOT_ID}> {NADELLA}", author=OTHER_USER)

    def posted() -> list[RecordedRequest] | None:
        found = fake_discord.calls("POST", f"/channels/{CHANNEL_ID}/messages")
        return found if len(found) >= BURST + 2 else None

    replies = {
        int(post.body["message_reference"]["message_id"]): post.body for post in await fake_discord.wait_until(posted)
    }

    assert JEVONS in message_text(replies[int(grace["id"])])
    texts = [message_text(replies[int(message["id"])]) for message in asked]
    assert sum(JEVONS in text for text in texts) == BURST
    [note] = [text for text in texts if text.startswith(LIMIT_NOTE)]
    assert "wait" in note and JEVONS not in note
    assert all(pings_at_most_the_asker(reply, reply=True) for reply in replies.values())
