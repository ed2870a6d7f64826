"""Slack, as `citebot slack` runs it (answer workers, corpus watched): edited documents change its answers without
a restart. End to end against the fake Slack."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from fake_slack import FakeSlack
from support import asked_until, write_corpus

from bot.answering import bot_service
from bot.config import Config, CorpusSection, LimitsSettings

GENEROUS = 60.0
ZEBRAS = "Zebras in the northern reserve graze on tall grass in the dry season."
QUESTION = "what do the zebras in the northern reserve do?"


async def test_added_and_deleted_documents_change_the_answers_without_a_restart(
    fake_slack: FakeSlack, http_bot: Callable[..., Awaitable[Any]], tmp_path: Path
) -> None:
    corpus = write_corpus(tmp_path / "corpus", {"lions.txt": "Lions\n\nLions in the southern reserve hunt at dawn.\n"})
    config = Config(
        corpus=CorpusSection(path=corpus, index_path=tmp_path / "live.index"),
        limits=LimitsSettings(burst=10_000),  # the test asks again and again until the answer changes
    )
    async with bot_service(config) as service:
        url = await http_bot(service)

        async def ask() -> str:
            asked = len(fake_slack.delivered("response_url"))
            await fake_slack.post_to_bot(url, fake_slack.slash_command(QUESTION), form=True)
            return (await fake_slack.wait_for_delivered("response_url", asked + 1))[-1].text

        assert ZEBRAS not in await ask()
        (corpus / "zebras.txt").write_text(f"Zebras\n\n{ZEBRAS}\n")
        assert ZEBRAS in await asked_until(ask, ZEBRAS, True, seconds=GENEROUS)
        (corpus / "zebras.txt").unlink()
        assert ZEBRAS not in await asked_until(ask, ZEBRAS, False, seconds=GENEROUS)
