"""`citebot serve` with Slack's HTTP mode: with SLACK_SIGNING_SECRET instead of SLACK_APP_TOKEN, serve takes
Slack's signed requests on `[serve] slack_http_port` (Slack posts to a public URL, not a socket the bot opens),
answers them, and refuses unsigned ones, beside health and metrics on their own port."""

from __future__ import annotations

import json
import logging

import pytest
from fake_slack import SIGNING_SECRET
from serve_harness import Platforms, Serving, http_get

from bot.cli import main
from bot.config import Config

NADELLA = "what did Nadella say?"
JEVONS = "Jevons Paradox"


@pytest.fixture
def http_config(config: Config, monkeypatch: pytest.MonkeyPatch, unused_tcp_port_factory: object) -> Config:
    """Slack in HTTP mode (bot token and signing secret, no app token), Discord off."""
    monkeypatch.setenv("SLACK_SIGNING_SECRET", SIGNING_SECRET)
    monkeypatch.delenv("SLACK_APP_TOKEN")
    monkeypatch.delenv("DISCORD_TOKEN")
    config.serve.slack_http_host = "127.0.0.1"
    config.serve.slack_http_port = unused_tcp_port_factory()  # type: ignore[operator]
    return config


def test_serve_answers_slack_over_http_when_there_is_a_signing_secret_and_no_app_token(
    platforms: Platforms, http_config: Config, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    slack = platforms.slack
    url = f"http://127.0.0.1:{http_config.serve.slack_http_port}/slack/events"
    seen: dict[str, object] = {}

    def steps(serving: Serving) -> None:
        assert serving.wait_until_ready() == "ready\n"
        status, _, body = platforms.run(slack.post_to_bot(url, slack.slash_command(NADELLA), form=True))
        seen["status"] = status
        seen["answer"] = platforms.run(slack.slash_answer(json.loads(body) if body else None)).text
        seen["forged"] = platforms.run(slack.post_to_bot(url, slack.slash_command(NADELLA), form=True, secret="x"))[0]
        seen["metrics"] = http_get(serving.url("/metrics"))[0]

    assert Serving(http_config).run(steps) == 0
    assert seen["status"] == 200 and JEVONS in str(seen["answer"])
    assert seen["forged"] == 401
    assert seen["metrics"] == 200  # health and metrics stay on their own port
    assert "serving Slack over HTTP (Discord is off: DISCORD_TOKEN is not set)" in caplog.messages
    assert slack.connections == 0  # no Socket Mode connection was opened


def test_a_bot_token_alone_names_both_ways_to_finish_the_slack_setup(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1")
    for name in ("SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET", "DISCORD_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    assert main(["serve"]) == 2
    assert capsys.readouterr().err == (
        "citebot: error: SLACK_BOT_TOKEN is set but SLACK_APP_TOKEN is not: citebot serve runs Slack in Socket "
        "Mode with both, or in HTTP mode with SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET\n"
    )
