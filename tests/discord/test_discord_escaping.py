"""A document full of Discord markup and mentions, asked about end to end: shown literally, pinging nobody."""

from __future__ import annotations

from pathlib import Path

import pytest
from discord_harness import StartBot
from fake_discord import BOT_ID, CHANNEL_ID, FakeDiscord, pings_at_most_the_asker, shown_quotes

from bot.answering import AnswerService
from retrieval.retriever import Retriever
from retrieval.settings import RetrievalSettings

ANNOUNCEMENT = (
    "The launch announcement read: @everyone the build_v2 **shipped** on Friday, see `config.toml` for "
    "~~old~~ new settings || spoiler || and <@&123456789012345678> too, cc @here."
)
DOCUMENTS = {
    "release_notes.md": f"# Release notes for the *beta* channel\n\n{ANNOUNCEMENT}\n- Rollback: none.\n",
    "weather.txt": "Spring weather report\n\nThe spring was mild. Rain fell on most Tuesdays.\n",
    "cooking.txt": "Cooking notes\n\nBread needs flour, water, salt and time. Heat the oven first.\n",
}


@pytest.fixture
def markup_service(corpus_dir: Path, tmp_path: Path) -> AnswerService:
    for name, text in DOCUMENTS.items():
        (corpus_dir / name).write_text(text, encoding="utf-8")
    return AnswerService(Retriever.open(corpus_dir, RetrievalSettings(), index_path=tmp_path / "index.bin"))


async def test_quote_with_mentions_and_markdown_renders_literally_and_pings_no_one(
    start_bot: StartBot, fake_discord: FakeDiscord, markup_service: AnswerService
) -> None:
    await start_bot(answer_service=markup_service)

    await fake_discord.post_message(f"<@{BOT_ID}> when was the build shipped?")

    (reply,) = await fake_discord.wait_until(lambda: fake_discord.calls("POST", f"/channels/{CHANNEL_ID}/messages"))
    assert pings_at_most_the_asker(reply.body, reply=True)
    (embed,) = reply.body["embeds"]
    description = embed["description"]
    (quote,) = shown_quotes(description)
    assert ANNOUNCEMENT in quote.split("\n"), "Discord must show the document's characters as they are"
    assert "@everyone" not in description and "@here" not in description
    assert "<@&" not in description
    assert "**build**\\_v2" in description and "\\*\\***shipped**\\*\\*" in description
    assert "Release notes for the \\*beta\\* channel" in description.splitlines()[-1]
