"""The shared answer service: a stopping bot finishes the questions it has taken on, for a bounded time."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.answering import AnswerService
from retrieval import Retriever


async def test_drain_waits_for_questions_being_handled(bundled: Retriever) -> None:
    service = AnswerService(bundled)
    posted: list[str] = []
    started = asyncio.Event()

    async def handle(question: str) -> None:
        async with service.in_flight():
            started.set()
            answer = await service.answer(question)
            await asyncio.sleep(0.2)  # the platform round trip that posts it
            posted.append(answer.quotes[0].text)

    task = asyncio.create_task(handle("what did Nadella say?"))
    await started.wait()
    assert await service.drain(30) == 0
    assert task.done() and "Jevons" in posted[0]


async def test_drain_gives_up_after_its_time_and_says_how_many_were_left(bundled: Retriever) -> None:
    service = AnswerService(bundled)
    release = asyncio.Event()
    started = asyncio.Event()

    async def stuck() -> None:
        async with service.in_flight():
            started.set()
            await release.wait()

    task = asyncio.create_task(stuck())
    await started.wait()
    assert await service.drain(0.1) == 1
    release.set()
    await task
    assert await service.drain(0.1) == 0


def test_a_live_swap_reaches_every_front_end_of_one_serve(bundled: Retriever, tmp_path: Path) -> None:
    """`citebot serve` gives each front end its own service (its own top_k); a new index swapped into the
    shared one must answer on all of them."""
    shared = AnswerService(bundled)
    slack, discord = shared.for_front_end(3), shared.for_front_end(5)
    corpus = tmp_path / "docs"
    corpus.mkdir()
    (corpus / "birds.txt").write_text("The barn swallow migrates across the Sahara every autumn.\n", encoding="utf-8")
    newer = Retriever.open(corpus, index_path=tmp_path / "index")

    shared.retriever = newer

    assert slack.retriever is newer and discord.retriever is newer
    assert (slack.top_k, discord.top_k) == (3, 5)
