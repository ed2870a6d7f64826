"""👍/👎 on Discord, end to end: the real discord.py client, a fake Discord delivering button clicks and modal
submissions as Discord does, and the question log in SQLite and in a real PostgreSQL server."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from discord_harness import StartBot
from fake_discord import (
    BOT_ID,
    CHANNEL_ID,
    GUILD_ID,
    OTHER_USER,
    USER_ID,
    FakeDiscord,
    RecordedRequest,
    message_text,
    parses_no_mentions,
    pings_at_most_the_asker,
)
from support import recorded

from bot.store import QuestionLog, person_digest
from bot.store.records import utc_now
from bot.store.report import build_report

NADELLA = "what did Nadella say?"
JEVONS = 'quoted the "Jevons Paradox" on social media'
EPHEMERAL = 64
NEVER_DEFER = 60.0
ALWAYS_DEFER = 0.0


def buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    [row] = message["components"]
    return list(row["components"])


async def answer_with_buttons(fake: FakeDiscord) -> dict[str, Any]:
    found: dict[str, Any] = await fake.wait_until(lambda: next((m for m in fake.messages if m["components"]), None))
    return found


async def callback_of(fake: FakeDiscord, interaction: dict[str, Any]) -> RecordedRequest:
    return await fake.wait_for_request(
        lambda r: r.method == "POST" and r.path == f"/interactions/{interaction['id']}/{interaction['token']}/callback"
    )


async def test_a_mention_is_answered_with_two_vote_buttons_and_recorded(
    start_bot: StartBot, fake_discord: FakeDiscord, question_log: QuestionLog
) -> None:
    await start_bot(question_log=question_log)
    await fake_discord.post_message(f"<@{BOT_ID}> {NADELLA}")
    answer = await answer_with_buttons(fake_discord)

    assert JEVONS in message_text(answer)
    up, down = buttons(answer)
    [record] = await recorded(question_log)
    assert up["custom_id"] == f"citebot:vote:up:{record.id}" and up["emoji"]["name"] == "👍"
    assert down["custom_id"] == f"citebot:vote:down:{record.id}" and down["emoji"]["name"] == "👎"
    assert "label" not in up and "label" not in down  # nothing in a button can mention anyone
    assert (record.front_end, record.workspace, record.channel) == ("discord", str(GUILD_ID), str(CHANNEL_ID))
    assert record.asker == person_digest(question_log.store.salt(), str(USER_ID))
    [post] = fake_discord.calls("POST", f"/channels/{CHANNEL_ID}/messages")
    assert pings_at_most_the_asker(post.body, reply=True)


async def test_ask_vote_change_vote_redelivered_click_and_the_report(
    start_bot: StartBot, fake_discord: FakeDiscord, question_log: QuestionLog
) -> None:
    """/ask, 👍 thanked privately, the same click delivered again counts once, a change to 👎 opens the modal,
    what was typed is stored with the vote, and the report shows it."""
    await start_bot(defer_after=NEVER_DEFER, question_log=question_log)
    await fake_discord.slash_ask(NADELLA)
    answer = await answer_with_buttons(fake_discord)
    up, down = (button["custom_id"] for button in buttons(answer))

    clicked = await fake_discord.click(answer, up)
    thanks = await callback_of(fake_discord, clicked)
    assert thanks.body["type"] == 4
    assert thanks.body["data"]["content"] == "Thanks: your 👍 is recorded."
    assert thanks.body["data"]["flags"] & EPHEMERAL
    assert parses_no_mentions(thanks.body["data"])
    again = await fake_discord.click(answer, up, interaction_id=int(clicked["id"]))  # delivered twice
    await fake_discord.wait_until(lambda: len(fake_discord.calls("POST", f"/interactions/{again['id']}/")) == 2)

    changed = await fake_discord.click(answer, down)
    modal = await callback_of(fake_discord, changed)
    assert modal.body["type"] == 9
    assert modal.body["data"]["title"] == "What was wrong?"
    [field_id] = _text_input_ids(modal.body["data"])
    submitted = await fake_discord.submit_modal(modal.body["data"], {field_id: "It quotes the wrong article"})
    sent = await callback_of(fake_discord, submitted)
    assert sent.body["data"]["flags"] & EPHEMERAL

    [record] = await recorded(question_log)
    assert [(vote.up, vote.comment) for vote in record.votes] == [(False, "It quotes the wrong article")]
    report = build_report([record], utc_now() - timedelta(days=7), utc_now())
    assert (report.questions, report.answered, report.votes_up, report.votes_down) == (1, 1, 0, 1)
    assert [(d.question, d.comment) for d in report.downvoted] == [(NADELLA, "It quotes the wrong article")]


async def test_a_deferred_answer_carries_the_buttons_too(
    start_bot: StartBot, fake_discord: FakeDiscord, question_log: QuestionLog
) -> None:
    await start_bot(defer_after=ALWAYS_DEFER, question_log=question_log)
    await fake_discord.slash_ask(NADELLA)
    answer = await answer_with_buttons(fake_discord)

    await fake_discord.click(answer, buttons(answer)[0]["custom_id"], user=OTHER_USER)
    [record] = await recorded(question_log)
    assert [vote.up for vote in record.votes] == [True]


async def test_buttons_keep_working_after_a_restart(
    start_bot: StartBot, fake_discord: FakeDiscord, question_log: QuestionLog
) -> None:
    """The custom_id carries the answer: a new process handles clicks on answers the old one sent."""
    first = await start_bot(question_log=question_log)
    await fake_discord.post_message(f"<@{BOT_ID}> {NADELLA}")
    answer = await answer_with_buttons(fake_discord)
    await first.close()

    await start_bot(question_log=question_log)
    clicked = await fake_discord.click(answer, buttons(answer)[0]["custom_id"])
    await callback_of(fake_discord, clicked)

    [record] = await recorded(question_log)
    assert [vote.up for vote in record.votes] == [True]


def _text_input_ids(modal: dict[str, Any]) -> list[str]:
    found: list[str] = []

    def walk(component: dict[str, Any]) -> None:
        if component.get("type") == 4:
            found.append(component["custom_id"])
        if "component" in component:
            walk(component["component"])
        for child in component.get("components") or []:
            walk(child)

    for component in modal["components"]:
        walk(component)
    return found
