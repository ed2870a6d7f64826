"""Secrets never reach the logs, whatever a library or our code writes."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

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
