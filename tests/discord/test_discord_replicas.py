"""With claims in a shared store, a Discord message or /ask delivered twice (as to two replicas running the same
shard during a rolling deploy) is answered once; with `[discord] shard_ids`/`shard_count`, processes split the
guilds between them."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest
from discord_harness import StartBot
from fake_discord import BOT_ID, FakeDiscord

from bot.config import ConfigError, DiscordSettings, load_config
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


async def test_a_process_identifies_as_the_shard_its_config_names(
    fake_discord: FakeDiscord, start_bot: StartBot
) -> None:
    """`[discord] shard_ids = [1]` and `shard_count = 2`: Discord sends this process the guilds of shard 1 only."""
    await start_bot(DiscordSettings(shard_ids=[1], shard_count=2))

    (identify,) = fake_discord.identify_payloads
    assert identify["shard"] == [1, 2]


async def test_without_shards_a_process_identifies_as_the_only_one(
    fake_discord: FakeDiscord, start_bot: StartBot
) -> None:
    await start_bot()

    (identify,) = fake_discord.identify_payloads
    assert "shard" not in identify


@pytest.mark.parametrize(
    ("shards", "problem"),
    [
        ("shard_ids = [0]", "shard_ids and shard_count go together"),
        ("shard_count = 2", "shard_ids and shard_count go together"),
        ("shard_ids = [2]\nshard_count = 2", "from 0 to shard_count - 1 (1)"),
        ("shard_ids = [0, 1]\nshard_count = 2", "one Discord shard a process"),
    ],
)
def test_shard_settings_that_cannot_work_are_one_line_errors(shards: str, problem: str, tmp_path: Path) -> None:
    path = tmp_path / "citebot.toml"
    path.write_text(f"[discord]\n{shards}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=re.escape(problem)):
        load_config(path)
