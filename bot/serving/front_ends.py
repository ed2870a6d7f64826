"""Which front ends `citebot serve` runs: every one whose secrets are in the environment, and why the others are off.

A front end is off when none of its secrets is set; one set without the other is an operator's slip, reported as a
ConfigError rather than silently running less than was meant. Slack needs its bot token and either an app token
(Socket Mode) or a signing secret (HTTP mode, served on `[serve] slack_http_port`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from bot.config import ConfigError, require_secret


@dataclass(frozen=True)
class SlackSecrets:
    """Socket Mode with an app token; HTTP mode (Slack posts to `[serve] slack_http_port`) with a signing secret."""

    bot_token: str
    app_token: str | None = None
    signing_secret: str | None = None

    @property
    def http(self) -> bool:
        return self.app_token is None


@dataclass(frozen=True)
class FrontEnds:
    slack: SlackSecrets | None
    discord_token: str | None
    off: dict[str, str]  # front end -> why it is off

    @property
    def running(self) -> list[str]:
        slack = "Slack over HTTP" if self.slack is not None and self.slack.http else "Slack"
        return [name for name, on in ((slack, self.slack), ("Discord", self.discord_token)) if on]

    def describe(self) -> str:
        """One line for the log: what runs, and why anything else does not."""
        running = " and ".join(self.running)
        off = "; ".join(f"{name} is off: {why}" for name, why in self.off.items())
        return f"serving {running}" + (f" ({off})" if off else "")


def choose_front_ends() -> FrontEnds:
    """The front ends to run from the secrets in the environment (checked for shape). Slack runs in Socket Mode
    with an app token, else in HTTP mode with a signing secret."""
    off: dict[str, str] = {}
    slack: SlackSecrets | None = None
    slack_set = [name for name in ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN") if os.environ.get(name, "").strip()]
    signed = bool(os.environ.get("SLACK_SIGNING_SECRET", "").strip())
    if len(slack_set) == 2:
        slack = SlackSecrets(require_secret("SLACK_BOT_TOKEN", "xoxb-"), require_secret("SLACK_APP_TOKEN", "xapp-"))
    elif slack_set == ["SLACK_BOT_TOKEN"] and signed:
        slack = SlackSecrets(require_secret("SLACK_BOT_TOKEN", "xoxb-"), None, require_secret("SLACK_SIGNING_SECRET"))
    elif slack_set:
        missing = "SLACK_APP_TOKEN" if slack_set == ["SLACK_BOT_TOKEN"] else "SLACK_BOT_TOKEN"
        raise ConfigError(
            f"{slack_set[0]} is set but {missing} is not: citebot serve runs Slack in Socket Mode with both, "
            "or in HTTP mode with SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET"
        )
    else:
        off["Slack"] = "SLACK_BOT_TOKEN and SLACK_APP_TOKEN are not set"
    discord_token: str | None = None
    if os.environ.get("DISCORD_TOKEN", "").strip():
        discord_token = require_secret("DISCORD_TOKEN")
    else:
        off["Discord"] = "DISCORD_TOKEN is not set"
    if slack is None and discord_token is None:
        raise ConfigError(
            "no front end to serve: export SLACK_BOT_TOKEN and SLACK_APP_TOKEN (Slack), DISCORD_TOKEN (Discord), "
            "or both"
        )
    return FrontEnds(slack, discord_token, off)
