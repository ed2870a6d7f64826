"""citebot on Slack: `/ask`, @-mentions and direct messages, over Socket Mode or HTTP.

Imported only by `citebot slack`, so slack-bolt loads only for that command.
"""

from __future__ import annotations

import asyncio
import contextlib

from bot.config import Config, require_secret

__all__ = ["run_slack"]


def run_slack(config: Config, *, http: bool, port: int) -> int:
    """Runs the Slack app until interrupted. Missing or malformed secrets raise `ConfigError` (one line
    naming the variable) before anything else happens; so does a token Slack refuses."""
    bot_token = require_secret("SLACK_BOT_TOKEN", "xoxb-")
    if http:
        signing_secret: str | None = require_secret("SLACK_SIGNING_SECRET")
        app_token = None
    else:
        app_token = require_secret("SLACK_APP_TOKEN", "xapp-")
        signing_secret = None

    from bot.answering import bot_services
    from bot.channels import Collections
    from bot.slack_adapter.app import build_app
    from bot.slack_adapter.run import serve
    from bot.store import open_question_log

    question_log = open_question_log(config.storage.url, config.log)

    async def main() -> None:
        async with bot_services(config) as services:  # the workers stop after serve's drain
            collections = Collections.from_config(config, services).for_front_end(config.slack.top_k)
            service = collections.default.service
            app = build_app(service, config.slack, bot_token, signing_secret, question_log, collections=collections)
            await serve(app, app_token=app_token, http=http, port=port, service=service)

    try:
        with contextlib.suppress(KeyboardInterrupt):  # a second Ctrl-C while shutting down
            asyncio.run(main())
    finally:
        if question_log is not None:
            question_log.close()
    return 0
