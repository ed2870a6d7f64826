"""Discord, as `citebot discord` runs it (answer workers, corpus watched): edited documents change its answers
without a restart. End to end against the fake Discord."""

from __future__ import annotations

from pathlib import Path

from discord_harness import StartBot
from fake_discord import FakeDiscord, message_text
from support import asked_until, write_corpus

from bot.answering import bot_service
from bot.config import Config, CorpusSection, LimitsSettings

GENEROUS = 60.0
ZEBRAS = "Zebras in the northern reserve graze on tall grass in the dry season."
QUESTION = "what do the zebras in the northern reserve do?"
UNMARKED = "graze on tall grass in the dry season"  # the quote's words the question does not bold


async def test_added_and_deleted_documents_change_the_answers_without_a_restart(
    start_bot: StartBot, fake_discord: FakeDiscord, tmp_path: Path
) -> None:
    corpus = write_corpus(tmp_path / "corpus", {"lions.txt": "Lions\n\nLions in the southern reserve hunt at dawn.\n"})
    config = Config(
        corpus=CorpusSection(path=corpus, index_path=tmp_path / "live.index"),
        limits=LimitsSettings(burst=10_000),  # the test asks again and again until the answer changes
    )
    async with bot_service(config) as service:
        await start_bot(answer_service=service)

        async def ask() -> str:
            interaction = await fake_discord.slash_ask(QUESTION)
            token = str(interaction["token"])

            def answer() -> str | None:
                """The reply (type 4) or the follow-up after "thinking…" (type 5), whichever came."""
                for request in (r for r in fake_discord.requests if token in r.path and r.body):
                    message = request.body.get("data") if request.body.get("type") == 4 else request.body
                    if isinstance(message, dict) and ("embeds" in message or "content" in message):
                        return message_text(message)
                return None

            text: str = await fake_discord.wait_until(answer)
            return text

        assert UNMARKED not in await ask()
        (corpus / "zebras.txt").write_text(f"Zebras\n\n{ZEBRAS}\n")
        assert UNMARKED in await asked_until(ask, UNMARKED, True, seconds=GENEROUS)
        (corpus / "zebras.txt").unlink()
        assert UNMARKED not in await asked_until(ask, UNMARKED, False, seconds=GENEROUS)
