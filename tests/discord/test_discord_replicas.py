"""With claims in a shared store, a Discord message or /ask delivered twice (as to two replicas running the same
shard during a rolling deploy) is answered once."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from discord_harness import StartBot
from fake_discord import BOT_ID, FakeDiscord

from bot.store import open_store
from bot.store.claims import SharedClaims

NADELLA = "what did Nadella say?"


def turned_away(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [message for message in caplog.messages if message.startswith("already taken on, not answering again")]


async def test_a_message_and_an_ask_delivered_twice_are_answered_once(
    fake_discord: FakeDiscord, start_bot: StartBot, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    store = open_store(f"sqlite:///{tmp_path / 'claims.sqlite3'}")
    await start_bot(claims=SharedClaims(store, "discord"))

    message = await fake_discord.post_message(f"<@{BOT_ID}> {NADELLA}")
    await fake_discord.dispatch("MESSAGE_CREATE", message)
    interaction = await fake_discord.slash_ask(NADELLA)
    await fake_discord.dispatch("INTERACTION_CREATE", interaction)
    await fake_discord.wait_until(lambda: len(turned_away(caplog)) == 2)
    await fake_discord.wait_until(lambda: fake_discord.calls("POST", f"/interactions/{interaction['id']}/"))
    await fake_discord.wait_until(lambda: fake_discord.calls("POST", f"/channels/{message['channel_id']}/messages"))

    assert sorted(turned_away(caplog)) == [
        f"already taken on, not answering again: interaction:{interaction['id']}",
        f"already taken on, not answering again: message:{message['id']}",
    ]
    assert len(fake_discord.calls("POST", f"/channels/{message['channel_id']}/messages")) == 1
    assert len(fake_discord.calls("POST", f"/interactions/{interaction['id']}/")) == 1
    store.close()
