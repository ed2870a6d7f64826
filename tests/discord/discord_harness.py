"""What the Discord tests share besides the fake itself: the token, and aiming discord.py at the fake.

Imported by name (pytest puts this directory on sys.path); named so it cannot clash with other test helpers.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import discord
import pytest
import yarl
from fake_discord import FakeDiscord

from bot.discord_adapter.client import CitebotClient

TOKEN = "fake-bot-token.NTk2MzQ.s3cr3t-value-do-not-print"

StartBot = Callable[..., Awaitable[CitebotClient]]


def point_discord_py_at(fake: FakeDiscord, monkeypatch: pytest.MonkeyPatch) -> None:
    """The one place that aims discord.py at the fake: it has no public base-URL option, but these two class
    attributes (unchanged since 2.0, not public API) cover REST, interaction callbacks, webhooks, gateway."""
    monkeypatch.setattr(discord.http.Route, "BASE", fake.api_base)
    monkeypatch.setattr(discord.gateway.DiscordWebSocket, "DEFAULT_GATEWAY", yarl.URL(fake.gateway_url))
