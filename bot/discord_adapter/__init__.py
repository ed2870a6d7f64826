"""The Discord front end: `run_discord(config)` is what `citebot discord` calls."""

from __future__ import annotations

from bot.discord_adapter.client import CitebotClient, citebot_intents
from bot.discord_adapter.render import DiscordReply, render_answer
from bot.discord_adapter.run import run_discord, serve_discord

__all__ = [
    "CitebotClient",
    "DiscordReply",
    "citebot_intents",
    "render_answer",
    "run_discord",
    "serve_discord",
]
