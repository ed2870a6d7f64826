"""citebot in HTTP mode, end to end: a fake Slack posts signed requests to the real app's /slack/events."""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from fake_slack import CHANNEL_ID, FOLLOW_UP_ALWAYS, IN_THE_ACK, FakeSlack, Sent

BotFactory = Callable[..., Awaitable[str]]
NADELLA_QUESTION = "what did Nadella say?"
JEVONS_QUOTE = 'Microsoft CEO Nadella quoted the "Jevons Paradox" on social media'


async def test_quick_slash_answer_is_the_http_response_itself(fake_slack: FakeSlack, http_bot: BotFactory) -> None:
    """The answer is ready at once: it is the 200's JSON, `in_channel`, so Slack shows who asked what."""
    url = await http_bot(ack_within=IN_THE_ACK)
    status, content_type, body = await fake_slack.post_to_bot(
        url, fake_slack.slash_command(NADELLA_QUESTION), form=True
    )

    assert (status, content_type) == (200, "application/json")
    ack = json.loads(body)
    assert ack["response_type"] == "in_channel"
    assert JEVONS_QUOTE in Sent("ack", ack, None, True).text
    assert fake_slack.attempts("response_url") == []


async def test_slow_slash_command_is_acknowledged_in_channel_then_answered(
    fake_slack: FakeSlack, http_bot: BotFactory
) -> None:
    """A signed, form-encoded /ask gets an `in_channel` 200 at once, then one response with the quote."""
    url = await http_bot(ack_within=FOLLOW_UP_ALWAYS)
    payload = fake_slack.slash_command(NADELLA_QUESTION)
    status, _, body = await fake_slack.post_to_bot(url, payload, form=True)

    assert (status, json.loads(body)) == (200, {"response_type": "in_channel"})
    [reply] = await fake_slack.wait_for_delivered("response_url")
    assert reply.body["_response_url"] == payload["response_url"]
    assert reply.body["response_type"] == "in_channel"
    assert JEVONS_QUOTE in reply.text


async def test_empty_slash_command_gets_usage_help_in_the_ack(fake_slack: FakeSlack, http_bot: BotFactory) -> None:
    """In HTTP mode the ack carrying the help is the HTTP response itself (JSON, ephemeral)."""
    url = await http_bot()
    status, content_type, body = await fake_slack.post_to_bot(url, fake_slack.slash_command(""), form=True)

    assert status == 200
    assert content_type == "application/json"
    assert '"response_type": "ephemeral"' in body
    assert "/ask your question" in body


async def test_mention_is_answered_in_its_thread(fake_slack: FakeSlack, http_bot: BotFactory) -> None:
    """A signed JSON app_mention event is acknowledged and answered in the mention's thread."""
    url = await http_bot()
    mention = fake_slack.mention(NADELLA_QUESTION)
    status, _, _ = await fake_slack.post_to_bot(url, fake_slack.event_callback(mention))

    assert status == 200
    [reply] = await fake_slack.wait_for_delivered("chat.postMessage")
    assert (reply.body["channel"], reply.body["thread_ts"]) == (CHANNEL_ID, mention["ts"])
    assert JEVONS_QUOTE in reply.text


async def test_url_verification_gets_its_challenge_back(fake_slack: FakeSlack, http_bot: BotFactory) -> None:
    """Slack's endpoint check when the Request URL is saved."""
    url = await http_bot()
    challenge = {
        "token": "unused",
        "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P",
        "type": "url_verification",
    }
    status, _, body = await fake_slack.post_to_bot(url, challenge)

    assert status == 200
    assert challenge["challenge"] in body


async def test_event_resent_with_retry_header_is_answered_once(fake_slack: FakeSlack, http_bot: BotFactory) -> None:
    """A retry (same event_id, X-Slack-Retry-Num: 1) gets 200 so Slack stops, and no second answer."""
    url = await http_bot()
    callback = fake_slack.event_callback(fake_slack.mention(NADELLA_QUESTION))
    await fake_slack.post_to_bot(url, callback)
    await fake_slack.wait_for_delivered("chat.postMessage")

    status, _, _ = await fake_slack.post_to_bot(url, callback, retry_num=1)
    assert status == 200
    barrier = fake_slack.event_callback(fake_slack.direct_message("who is Nadella?"))
    await fake_slack.post_to_bot(url, barrier)
    answers = await fake_slack.wait_for_delivered("chat.postMessage", 2)
    assert answers[-1].body["channel"] == barrier["event"]["channel"]
    assert len(answers) == 2


@pytest.mark.parametrize(
    "tamper",
    [
        {"signature": "v0=" + "0" * 64},
        {"secret": "someone-elses-secret"},
        {"timestamp": int(time.time()) - 6 * 60},
        {"signed": False},
    ],
    ids=["forged-signature", "wrong-secret", "stale-timestamp", "unsigned"],
)
async def test_forged_stale_and_unsigned_requests_are_rejected_with_nothing_posted(
    fake_slack: FakeSlack, http_bot: BotFactory, tamper: dict[str, Any]
) -> None:
    """Bolt answers 401 before any listener runs; neither the slash command nor the event is answered."""
    url = await http_bot()
    slash = fake_slack.slash_command(NADELLA_QUESTION)
    event = fake_slack.event_callback(fake_slack.mention(NADELLA_QUESTION))
    slash_status, _, _ = await fake_slack.post_to_bot(url, slash, form=True, **tamper)
    event_status, _, _ = await fake_slack.post_to_bot(url, event, **tamper)

    assert (slash_status, event_status) == (401, 401)
    sentinel = fake_slack.slash_command("who is Nadella?")
    await fake_slack.post_to_bot(url, sentinel, form=True)
    [reply] = await fake_slack.wait_for_delivered("response_url")
    assert reply.body["_response_url"] == sentinel["response_url"]
    assert fake_slack.sent == [s for s in fake_slack.sent if s.method in {"auth.test", "response_url"}]


@pytest.mark.parametrize(
    ("headers", "body", "expected"),
    [
        ({"X-Slack-Request-Timestamp": "soon", "X-Slack-Signature": "v0=00"}, b'{"type": "event_callback"}', 401),
        ({"X-Slack-Request-Timestamp": "1.5e9", "X-Slack-Signature": "v0=00"}, b"{}", 401),
        ({"X-Slack-Request-Timestamp": "1700000000", "X-Slack-Signature": "v0=00"}, b'{"text": "\xff"}', 400),
    ],
)
async def test_malformed_requests_get_a_client_error_not_a_crash(
    fake_slack: FakeSlack, http_bot: BotFactory, headers: dict[str, str], body: bytes, expected: int
) -> None:
    """A timestamp that is no integer, or a body that is not UTF-8, is refused before any handler runs."""
    from aiohttp import ClientSession

    url = await http_bot()
    async with ClientSession() as session, session.post(url, data=body, headers=headers) as response:
        assert response.status == expected
    sentinel = fake_slack.slash_command("who is Nadella?")
    await fake_slack.post_to_bot(url, sentinel, form=True)
    [reply] = await fake_slack.wait_for_delivered("response_url")
    assert reply.body["_response_url"] == sentinel["response_url"]
