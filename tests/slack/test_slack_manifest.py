"""The Slack app manifest in the repo asks for what the bot uses, and nothing the bot does not."""

from __future__ import annotations

from pathlib import Path

from bot.config import SlackSettings

MANIFEST = Path(__file__).resolve().parents[2] / "slack-manifest.yml"


def manifest_lines() -> list[str]:
    """The manifest's lines without comments, stripped: enough to check keys and list items."""
    return [line.split(" #")[0].strip() for line in MANIFEST.read_text(encoding="utf-8").splitlines()]


def test_manifest_turns_socket_mode_on() -> None:
    assert "socket_mode_enabled: true" in manifest_lines()


def test_manifest_declares_the_default_command() -> None:
    assert f"- command: {SlackSettings().command}" in manifest_lines()


def test_manifest_subscribes_to_mentions_and_direct_messages() -> None:
    lines = manifest_lines()
    assert "- app_mention" in lines and "- message.im" in lines


def test_manifest_requests_exactly_the_bot_scopes_used() -> None:
    lines = manifest_lines()
    start = lines.index("bot:") + 1
    scopes = [line.removeprefix("- ") for line in lines[start:] if line.startswith("- ")][:5]
    assert scopes == ["commands", "app_mentions:read", "chat:write", "im:history", "reactions:write"]
    assert lines[start + 5] == "settings:"


def test_manifest_lets_people_message_the_bot() -> None:
    lines = manifest_lines()
    assert "messages_tab_enabled: true" in lines and "messages_tab_read_only_enabled: false" in lines


def test_manifest_turns_interactivity_on_for_the_vote_buttons() -> None:
    lines = manifest_lines()
    assert lines[lines.index("interactivity:") + 1] == "is_enabled: true"
