"""Secrets never reach the logs, whatever a library or our code writes."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.cli import main
from bot.logs import SecretRedactingFilter, setup_logging


@pytest.fixture(autouse=True)
def _restore_root_logger() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def test_secret_values_are_redacted_from_messages_and_tracebacks(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-very-secret-token")
    setup_logging()
    log = logging.getLogger("some.library")
    log.error("calling https://api/?token=%s", "xoxb-very-secret-token")
    try:
        raise RuntimeError("auth failed for xoxb-very-secret-token")
    except RuntimeError:
        log.exception("request failed")
    err = capsys.readouterr().err
    assert "xoxb-very-secret-token" not in err
    assert "token=[redacted]" in err and "RuntimeError: auth failed for [redacted]" in err


def test_short_values_are_not_treated_as_secrets() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "a b c", None, None)
    assert SecretRedactingFilter(["a"]).filter(record) and record.getMessage() == "a b c"


def test_json_log_lines_carry_the_text_fields_and_no_secrets(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """[log] format = "json": one object a line (time, level, logger, message, exception), scrubbed as text is."""
    monkeypatch.setenv("DISCORD_TOKEN", "discord-secret-token-value")
    setup_logging(json_lines=True)
    log = logging.getLogger("citebot.slack")
    log.warning("posting failed with token %s", "discord-secret-token-value")
    try:
        raise RuntimeError("refused: discord-secret-token-value")
    except RuntimeError:
        log.exception("oops")

    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert [(line["level"], line["logger"], line["message"]) for line in lines] == [
        ("WARNING", "citebot.slack", "posting failed with token [redacted]"),
        ("ERROR", "citebot.slack", "oops"),
    ]
    assert "RuntimeError: refused: [redacted]" in lines[1]["exception"]
    assert all(line["time"].endswith("+00:00") for line in lines)
    assert "discord-secret-token-value" not in json.dumps(lines)


def test_the_bots_log_json_when_the_config_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "citebot.toml"
    config.write_text('[log]\nformat = "json"\n', encoding="utf-8")
    for name in ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "DISCORD_TOKEN"):
        monkeypatch.delenv(name, raising=False)

    assert main(["--config", str(config), "serve"]) == 2  # no secrets: it stops before serving, logging set up
    logging.getLogger("citebot").warning("a line")

    assert json.loads(capsys.readouterr().err.splitlines()[-1])["message"] == "a line"
