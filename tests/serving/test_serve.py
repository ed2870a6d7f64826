"""`citebot serve`: both platforms in one process over one index, health and metrics on their own port, and a
graceful stop. The real slack-bolt and discord.py run against the local fakes; /healthz, /readyz and /metrics are
read with a real HTTP client."""

from __future__ import annotations

import logging
import os
import signal

import pytest
from fake_discord import message_text, sent_message
from fake_slack import Sent
from prometheus_client.parser import text_string_to_metric_families
from serve_harness import Platforms, Serving, http_get, wait_for_http

from bot.cli import main
from bot.config import Config

NADELLA = "what did Nadella say?"
JEVONS = "Jevons Paradox"


def samples(metrics_text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of a /metrics page, by name and labels."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(metrics_text)
        for sample in family.samples
    }


def questions(serving: Serving, front_end: str, outcome: str, collection: str = "default") -> float:
    page = samples(http_get(serving.url("/metrics"))[1])
    labels = (("collection", collection), ("front_end", front_end), ("outcome", outcome))
    return page.get(("citebot_questions_total", labels), 0.0)


def slash_answer(platforms: Platforms, question: str) -> Sent:
    """Ask /ask on the fake Slack and wait for the reply, in the acknowledgement or through the response_url."""
    slack = platforms.slack
    envelope = platforms.run(slack.send_envelope("slash_commands", slack.slash_command(question)))
    return platforms.run(slack.slash_answer(platforms.run(slack.ack_of(envelope)).get("payload")))


def test_serve_answers_on_slack_and_discord_at_once_from_one_index(
    platforms: Platforms, config: Config, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    slack, discord = platforms.slack, platforms.discord
    answers: dict[str, str] = {}

    def steps(serving: Serving) -> None:
        assert serving.wait_until_ready() == "ready\n"
        envelope = platforms.run(slack.send_envelope("slash_commands", slack.slash_command(NADELLA)))
        interaction = platforms.run(discord.slash_ask(NADELLA))
        answers["slack"] = platforms.run(slack.slash_answer(platforms.run(slack.ack_of(envelope)).get("payload"))).text
        response = platforms.run(discord.wait_for_request(lambda r: interaction["token"] in r.path))
        answers["discord"] = message_text(sent_message(response))

    assert Serving(config).run(steps) == 0
    assert JEVONS in answers["slack"] and JEVONS in answers["discord"]
    messages = [record.getMessage() for record in caplog.records]
    assert "serving Slack and Discord" in messages
    assert len([m for m in messages if m.startswith("answering in 1 worker processes")]) == 1  # one pool, one index
    assert "citebot stopped" in messages


def test_serve_says_why_a_front_end_is_off(
    platforms: Platforms, config: Config, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    monkeypatch.delenv("DISCORD_TOKEN")

    assert Serving(config).run(lambda serving: serving.wait_until_ready() and None) == 0

    assert "serving Slack (Discord is off: DISCORD_TOKEN is not set)" in caplog.messages
    assert platforms.discord.identify_payloads == []


def test_readyz_waits_for_every_platform_and_reports_a_dropped_connection_while_the_other_serves(
    platforms: Platforms, config: Config
) -> None:
    """Ready only once Slack and Discord are both connected; when Discord's gateway drops, /readyz says so while
    Slack keeps answering, and turns ready again once discord.py has reconnected by itself."""
    slack, discord = platforms.slack, platforms.discord
    platforms.call(lambda: discord.hold("PUT", "/commands"))  # Discord's start-up waits at syncing /ask

    def steps(serving: Serving) -> None:
        platforms.run(slack.wait_until_connected())
        status, body = wait_for_http(serving.url("/readyz"), lambda s, b: "slack" not in b, "Slack connected")
        assert status == 503 and "discord: connecting" in body and "index" not in body

        platforms.call(lambda: discord.release("PUT", "/commands"))
        serving.wait_until_ready()

        platforms.run(discord.drop_gateway(refuse_reconnects=True))
        status, body = wait_for_http(serving.url("/readyz"), lambda s, b: s == 503, "/readyz to turn 503")
        assert body == "not ready: discord: not connected (reconnecting)\n"
        assert JEVONS in slash_answer(platforms, NADELLA).text
        assert http_get(serving.url("/healthz")) == (200, "ok\n")  # alive all along

        platforms.call(discord.accept_gateway)
        serving.wait_until_ready()
        # it resumed its session (the socket is open, so ready, a moment before the fake has read the RESUME)
        assert platforms.run(discord.wait_until(lambda: discord.resume_payloads))

    assert Serving(config).run(steps) == 0


def test_metrics_count_questions_by_front_end_and_outcome(platforms: Platforms, config: Config) -> None:
    discord = platforms.discord
    asked = {
        "answered": NADELLA,
        "abstained": "what is the airspeed velocity of an unladen swallow?",
        "refused": "x" * 5000,
    }

    def steps(serving: Serving) -> None:
        serving.wait_until_ready()
        before = {outcome: questions(serving, "slack", outcome) for outcome in asked}
        discord_before = questions(serving, "discord", "answered")
        for question in asked.values():
            slash_answer(platforms, question)
        interaction = platforms.run(discord.slash_ask(NADELLA))
        platforms.run(discord.wait_for_request(lambda r: interaction["token"] in r.path))

        page = http_get(serving.url("/metrics"))[1]
        for outcome in asked:
            assert questions(serving, "slack", outcome) == before[outcome] + 1, outcome
        assert questions(serving, "discord", "answered") == discord_before + 1
        found = samples(page)
        default = (("collection", "default"),)
        assert found[("citebot_index_documents", default)] > 0 and found[("citebot_index_passages", default)] > 0
        assert found[("citebot_index_age_seconds", default)] > 0
        assert found[("citebot_answer_seconds_count", (("front_end", "slack"),))] >= len(asked)
        assert ("citebot_reindexes_total", default) in found

    assert Serving(config).run(steps) == 0


def test_a_question_whose_answer_fails_counts_as_an_error(platforms: Platforms, config: Config) -> None:
    """Answers given up on at once ([bot] max_answer_seconds): the asker is told, the metric says error."""
    config.bot.max_answer_seconds = 1e-9

    def steps(serving: Serving) -> None:
        serving.wait_until_ready()
        before = questions(serving, "slack", "error")
        slash_answer(platforms, NADELLA)
        assert questions(serving, "slack", "error") == before + 1

    assert Serving(config).run(steps) == 0


def test_platform_api_errors_and_rate_limit_waits_are_counted(platforms: Platforms, config: Config) -> None:
    slack = platforms.slack

    def steps(serving: Serving) -> None:
        serving.wait_until_ready()
        before = samples(http_get(serving.url("/metrics"))[1])
        platforms.call(lambda: slack.reply_next("chat.postMessage", status=429, retry_after=0))
        platforms.call(lambda: slack.reply_next("chat.postMessage", error="not_in_channel"))
        platforms.run(slack.send_envelope("events_api", slack.event_callback(slack.mention(NADELLA))))
        platforms.run(slack.wait_for_delivered("chat.postEphemeral"))  # told privately: invite the bot
        after = samples(http_get(serving.url("/metrics"))[1])

        def grew(name: str, labels: tuple[tuple[str, str], ...]) -> float:
            return after.get((name, labels), 0.0) - before.get((name, labels), 0.0)

        errors = "citebot_platform_api_errors_total"
        assert grew(errors, (("code", "not_in_channel"), ("platform", "slack"))) == 1
        assert grew(errors, (("code", "ratelimited"), ("platform", "slack"))) == 1
        assert grew("citebot_rate_limit_waits_total", (("platform", "slack"),)) == 1

    assert Serving(config).run(steps) == 0


def test_sigterm_during_an_answer_still_delivers_it_then_exits_0(platforms: Platforms, config: Config) -> None:
    """The answer is being posted when SIGTERM arrives: /readyz turns 503 at once, the post completes, and serve
    exits 0 once it has."""
    slack = platforms.slack
    platforms.call(lambda: slack.hold("chat.postMessage"))

    def steps(serving: Serving) -> None:
        serving.wait_until_ready()
        platforms.run(slack.send_envelope("events_api", slack.event_callback(slack.mention(NADELLA))))
        platforms.run(slack.wait_for("the answer's post", lambda: "chat.postMessage" in slack.held))
        os.kill(os.getpid(), signal.SIGTERM)
        status, body = wait_for_http(serving.url("/readyz"), lambda s, b: "stopping" in b, "/readyz: stopping")
        assert status == 503 and "stopping: finishing the answers in flight" in body
        platforms.call(lambda: slack.release("chat.postMessage"))

    assert Serving(config).run(steps) == 0
    [answer] = slack.delivered("chat.postMessage")
    assert JEVONS in answer.text


def test_serve_with_no_front_end_secrets_is_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "DISCORD_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    assert main(["serve"]) == 2
    assert capsys.readouterr().err == (
        "citebot: error: no front end to serve: export SLACK_BOT_TOKEN and SLACK_APP_TOKEN (Slack), "
        "DISCORD_TOKEN (Discord), or both\n"
    )


def test_half_a_slack_setup_is_an_error_not_a_silent_skip(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1")
    monkeypatch.delenv("SLACK_APP_TOKEN", raising=False)
    monkeypatch.setenv("DISCORD_TOKEN", "some-token")
    assert main(["serve"]) == 2
    assert "SLACK_BOT_TOKEN is set but SLACK_APP_TOKEN is not" in capsys.readouterr().err
