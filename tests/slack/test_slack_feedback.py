"""👍/👎 on Slack, end to end: the real slack-bolt app, a fake Slack delivering clicks and modal submissions as
Slack does, and the question log in SQLite and in a real PostgreSQL server."""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fake_slack import CHANNEL_ID, DM_CHANNEL_ID, HUMAN_USER_ID, OTHER_USER_ID, TEAM_ID, FakeSlack, Sent
from support import recorded

from bot.config import LogSettings
from bot.store import QuestionLog, open_store, person_digest
from bot.store.records import utc_now
from bot.store.report import build_report

NADELLA = "what did Nadella say?"
JEVONS = 'Microsoft CEO Nadella quoted the "Jevons Paradox" on social media'
UP, DOWN = "citebot_vote_up", "citebot_vote_down"

BotFactory = Callable[..., Awaitable[Any]]


def buttons_of(message: Sent) -> list[dict[str, Any]]:
    """The 👍/👎 buttons (the last row: "More quotes" may come before them)."""
    [actions] = [block for block in message.body["blocks"] if block.get("block_id") == "citebot_feedback"]
    return list(actions["elements"])


async def click(fake: FakeSlack, message: Sent, action_id: str, **who: str) -> tuple[str, dict[str, Any]]:
    """A click delivered over Socket Mode; returns the envelope id and the payload (to deliver it again)."""
    payload = fake.block_actions(message, action_id, **who)
    return await fake.send_envelope("interactive", payload), payload


async def test_an_answer_in_a_dm_carries_vote_buttons_that_ping_nobody(
    fake_slack: FakeSlack, socket_bot: BotFactory, question_log: QuestionLog
) -> None:
    """Two plain-text buttons under the quotes, each carrying the recorded question's id."""
    await socket_bot(question_log=question_log)
    await fake_slack.send_envelope("events_api", fake_slack.event_callback(fake_slack.direct_message(NADELLA)))
    [answer] = await fake_slack.wait_for_delivered("chat.postMessage")

    assert JEVONS in answer.text
    up, down = buttons_of(answer)
    assert (up["action_id"], up["text"]) == (UP, {"type": "plain_text", "text": "👍", "emoji": True})
    assert (down["action_id"], down["text"]["text"], down["text"]["type"]) == (DOWN, "👎", "plain_text")
    [record] = await recorded(question_log)
    assert up["value"] == down["value"] == record.id
    assert (record.front_end, record.workspace, record.channel) == ("slack", TEAM_ID, DM_CHANNEL_ID)
    assert record.asker == person_digest(question_log.store.salt(), HUMAN_USER_ID)
    assert record.question == NADELLA and record.answered


async def test_ask_vote_change_vote_redelivered_click_and_the_report(
    fake_slack: FakeSlack, socket_bot: BotFactory, question_log: QuestionLog
) -> None:
    """The whole loop: /ask, 👍 acked at once and thanked privately, the same click delivered again counts
    once, a change to 👎 opens the modal, what was typed is stored with the vote, and the report shows it."""
    await socket_bot(question_log=question_log)
    await fake_slack.send_envelope("slash_commands", fake_slack.slash_command(NADELLA))
    [answer] = await fake_slack.wait_for_delivered("response_url")

    envelope, payload = await click(fake_slack, answer, UP)
    assert await fake_slack.ack_of(envelope) == {"envelope_id": envelope}
    [_, thanks] = await fake_slack.wait_for_delivered("response_url", 2)
    assert thanks.body == {
        "text": "Thanks: your 👍 is recorded.",
        "response_type": "ephemeral",
        "replace_original": False,
        "_response_url": payload["response_url"],
    }
    again = await fake_slack.send_envelope("interactive", payload)  # Slack delivers the same click again
    assert await fake_slack.ack_of(again) == {"envelope_id": again}

    await click(fake_slack, answer, DOWN)
    [opened] = await fake_slack.wait_for_delivered("views.open")
    assert opened.body["view"]["private_metadata"] == buttons_of(answer)[0]["value"]
    submitted = await fake_slack.send_envelope(
        "interactive", fake_slack.view_submission(opened, {"comment": "It quotes the wrong article"})
    )
    assert await fake_slack.ack_of(submitted) == {"envelope_id": submitted}

    [record] = await recorded(question_log)
    [vote] = record.votes
    assert (vote.up, vote.comment) == (False, "It quotes the wrong article")
    assert len(fake_slack.delivered("response_url")) == 2  # the redelivered click was not thanked again

    report = build_report([record], utc_now() - timedelta(days=7), utc_now())
    assert (report.questions, report.answered, report.votes_up, report.votes_down) == (1, 1, 0, 1)
    assert [(d.question, d.comment, d.where) for d in report.downvoted] == [
        (NADELLA, "It quotes the wrong article", f"slack {CHANNEL_ID}")
    ]


async def test_each_person_has_one_vote_per_answer(
    fake_slack: FakeSlack, socket_bot: BotFactory, question_log: QuestionLog
) -> None:
    await socket_bot(question_log=question_log)
    await fake_slack.send_envelope("events_api", fake_slack.event_callback(fake_slack.mention(NADELLA)))
    [answer] = await fake_slack.wait_for_delivered("chat.postMessage")

    for action, user in ((UP, HUMAN_USER_ID), (UP, OTHER_USER_ID), (UP, HUMAN_USER_ID)):
        await click(fake_slack, answer, action, user=user)
    await fake_slack.wait_for_delivered("response_url", 3)

    [record] = await recorded(question_log)
    assert sorted(vote.up for vote in record.votes) == [True, True]


async def test_clicks_and_modal_submissions_arrive_over_http_too(
    fake_slack: FakeSlack, http_bot: BotFactory, question_log: QuestionLog
) -> None:
    """In HTTP mode Slack posts interactivity signed and form-encoded, as `payload=<json>`."""
    url = await http_bot(question_log=question_log)
    status, _, _ = await fake_slack.post_to_bot(url, fake_slack.event_callback(fake_slack.direct_message(NADELLA)))
    assert status == 200
    [answer] = await fake_slack.wait_for_delivered("chat.postMessage")

    clicked = fake_slack.block_actions(answer, DOWN)
    status, _, body = await fake_slack.post_to_bot(url, {"payload": json.dumps(clicked)}, form=True)
    assert (status, body) == (200, "")
    [opened] = await fake_slack.wait_for_delivered("views.open")
    submission = fake_slack.view_submission(opened, {"comment": "Wrong year"})
    status, _, _ = await fake_slack.post_to_bot(url, {"payload": json.dumps(submission)}, form=True)
    assert status == 200

    [record] = await recorded(question_log)
    assert [(vote.up, vote.comment) for vote in record.votes] == [(False, "Wrong year")]


async def test_without_comments_kept_a_downvote_is_thanked_not_asked_why(
    fake_slack: FakeSlack, socket_bot: BotFactory, tmp_path: Path
) -> None:
    """[log] questions = "hashed" keeps no free text, so no modal asks for any."""
    log = QuestionLog(open_store(f"sqlite:///{tmp_path / 'q.sqlite3'}"), LogSettings(questions="hashed"))
    await socket_bot(question_log=log)
    await fake_slack.send_envelope("slash_commands", fake_slack.slash_command(NADELLA))
    [answer] = await fake_slack.wait_for_delivered("response_url")

    await click(fake_slack, answer, DOWN)
    [_, thanks] = await fake_slack.wait_for_delivered("response_url", 2)

    assert thanks.body["text"] == "Thanks: your 👎 is recorded."
    assert fake_slack.attempts("views.open") == []
    [record] = await recorded(log)
    assert record.question is None and not record.votes[0].up
    await asyncio.to_thread(log.close)


async def test_answers_go_out_while_the_store_is_unusable(
    fake_slack: FakeSlack, socket_bot: BotFactory, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / "file").write_text("")
    log = QuestionLog(open_store(f"sqlite:///{tmp_path / 'file' / 'q.sqlite3'}"), LogSettings())
    await socket_bot(question_log=log)
    for _ in range(2):
        await fake_slack.send_envelope("events_api", fake_slack.event_callback(fake_slack.direct_message(NADELLA)))
    answers = await fake_slack.wait_for_delivered("chat.postMessage", 2)
    await click(fake_slack, answers[0], UP)
    await fake_slack.wait_for_delivered("response_url")
    assert await asyncio.to_thread(log.flush)

    assert all(JEVONS in answer.text for answer in answers)
    warnings = [r for r in caplog.records if r.name == "citebot.store" and r.levelno == logging.WARNING]
    assert len(warnings) == 1
    await asyncio.to_thread(log.close)


async def test_a_locked_store_does_not_hold_up_the_answer(
    fake_slack: FakeSlack, socket_bot: BotFactory, tmp_path: Path
) -> None:
    """The answer is posted while another process holds the database's write lock; the row follows."""
    path = tmp_path / "q.sqlite3"
    log = QuestionLog(open_store(f"sqlite:///{path}"), LogSettings())
    await asyncio.to_thread(log.store.salt)
    await socket_bot(question_log=log)
    locker = sqlite3.connect(path, isolation_level=None)
    locker.execute("BEGIN EXCLUSIVE")
    try:
        await fake_slack.send_envelope("events_api", fake_slack.event_callback(fake_slack.direct_message(NADELLA)))
        [answer] = await fake_slack.wait_for_delivered("chat.postMessage")
        assert JEVONS in answer.text
    finally:
        locker.execute("ROLLBACK")
        locker.close()
    [record] = await recorded(log)
    assert record.id == buttons_of(answer)[0]["value"]
    await asyncio.to_thread(log.close)
