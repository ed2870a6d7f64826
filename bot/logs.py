"""Logging for citebot: secrets from the environment are scrubbed from every record before it is written."""

from __future__ import annotations

import logging
import os

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


def setup_logging(level: int = logging.INFO, fmt: str = "%(asctime)s %(levelname)s %(name)s: %(message)s") -> None:
    """One handler on the root logger, with the redacting filter on the handler so every logger passes it."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter(fmt))
    handler.addFilter(SecretRedactingFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
