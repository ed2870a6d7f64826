"""Logging for citebot: secrets from the environment are scrubbed from every record before it is written."""

from __future__ import annotations

import json
import logging
import os
from datetime import UTC, datetime

from bot.config import SECRET_VARIABLES

REDACTED = "[redacted]"


class SecretRedactingFilter(logging.Filter):
    """Replaces any secret's value in a record's final message (and traceback) with a marker."""

    def __init__(self, secrets: list[str] | None = None) -> None:
        super().__init__()
        found = [os.environ.get(name, "") for name in SECRET_VARIABLES] if secrets is None else secrets
        self.secrets = [s for s in found if len(s) >= 6]

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.secrets:
            return True
        message = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        for secret in self.secrets:
            message = message.replace(secret, REDACTED)
            if record.exc_text:
                record.exc_text = record.exc_text.replace(secret, REDACTED)
        record.msg, record.args = message, None
        return True


class JsonLinesFormatter(logging.Formatter):
    """One JSON object a line, with the text format's fields (time, level, logger, message) and the traceback,
    if any, under "exception": for log collectors that parse lines. The redacting filter has run before."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, str] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line["exception"] = record.exc_text
        return json.dumps(line, ensure_ascii=False)


def setup_logging(
    level: int = logging.INFO, fmt: str = "%(asctime)s %(levelname)s %(name)s: %(message)s", *, json_lines: bool = False
) -> None:
    """One handler on the root logger, with the redacting filter on the handler so every logger passes it;
    `json_lines` writes each record as a JSON object instead of `fmt`."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonLinesFormatter() if json_lines else logging.Formatter(fmt))
    handler.addFilter(SecretRedactingFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
