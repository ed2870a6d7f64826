"""Turning Slack text into questions, and telling a new request from one already taken on."""

from __future__ import annotations

import logging

import pytest

from bot.config import BUNDLED_CORPUS
from bot.slack_adapter.dedupe import RecentRequests, request_keys
from bot.slack_adapter.questions import plain_question


@pytest.mark.parametrize(
    ("slack_text", "question"),
    [
        ("<@U0BOT> what did Nadella say?", "what did Nadella say?"),
        ("<@U0BOT|citebot>   what did\n Nadella say? ", "what did Nadella say?"),
        ("did <@U0BOSS> and <!here> see R&amp;D &lt;5 ms&gt;?", "did and see R&D <5 ms>?"),
        ("see <#C0GENERAL|general> and <https://example.com|the memo>", "see #general and the memo"),
        ("raw <https://example.com/x>", "raw https://example.com/x"),
        ("<!subteam^S0TEAM|@analysts> what about Nvidia?", "@analysts what about Nvidia?"),
        ("literal &amp;lt; stays", "literal &lt; stays"),
        ("<@U0BOT>", ""),
    ],
)
def test_plain_question_is_what_the_person_typed(slack_text: str, question: str) -> None:
    """Mentions and pings go, links show as their text, entities decode exactly once."""
    assert plain_question(slack_text) == question


def test_request_seen_once_is_new_and_then_known() -> None:
    recent = RecentRequests()
    assert recent.first_time(["event:Ev1"])
    assert not recent.first_time(["event:Ev1"])
    assert recent.first_time(["event:Ev2"])


def test_request_sharing_any_key_is_known() -> None:
    """An app_mention and a message event for one message share the message key."""
    recent = RecentRequests()
    assert recent.first_time(["event:Ev1", "message:D0:1.0"])
    assert not recent.first_time(["event:Ev2", "message:D0:1.0"])


def test_requests_without_keys_are_never_held_back() -> None:
    recent = RecentRequests()
    assert recent.first_time([])
    assert recent.first_time([])


def test_requests_are_forgotten_after_their_time_and_beyond_the_size_bound() -> None:
    now = [0.0]
    recent = RecentRequests(ttl_seconds=60, max_entries=2, clock=lambda: now[0])
    assert recent.first_time(["a"])
    now[0] = 61.0
    assert recent.first_time(["a"])
    assert recent.first_time(["b"]) and recent.first_time(["c"])
    assert recent.first_time(["a"])  # pushed out by b and c


def test_event_keys_are_the_event_id_and_the_message() -> None:
    body = {
        "type": "event_callback",
        "event_id": "Ev1",
        "event": {"channel": "C0", "ts": "1.5", "type": "app_mention"},
    }
    assert request_keys(body) == ["event:Ev1", "message:C0:1.5"]


def test_edits_are_keyed_by_event_only() -> None:
    """An edit carries its own ts; it must not collide with the message it edits."""
    body = {
        "type": "event_callback",
        "event_id": "Ev2",
        "event": {"channel": "C0", "ts": "2.0", "subtype": "message_changed"},
    }
    assert request_keys(body) == ["event:Ev2"]


def test_slash_command_key_is_its_trigger_id() -> None:
    assert request_keys({"command": "/ask", "trigger_id": "1.2.abc", "response_url": "u"}) == ["command:1.2.abc"]
    assert request_keys({"command": "/ask", "response_url": "https://hooks/1"}) == ["command:https://hooks/1"]


def test_other_requests_have_no_key() -> None:
    assert request_keys({"type": "block_actions"}) == []


async def test_starting_with_the_bot_token_in_the_environment_logs_no_spurious_warning(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Bolt would warn at every start that SLACK_BOT_TOKEN "will be unused"; it is used, through the client."""
    from bot.answering import AnswerService
    from bot.config import SlackSettings
    from bot.slack_adapter.app import build_app
    from retrieval import Retriever

    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-from-the-environment")
    caplog.set_level(logging.WARNING)
    build_app(AnswerService(Retriever.open(BUNDLED_CORPUS)), SlackSettings(), "xoxb-from-the-environment")
    assert not [r for r in caplog.records if "will be unused" in r.getMessage()]
