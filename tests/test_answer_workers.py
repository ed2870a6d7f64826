"""The chat bots' answer workers: real processes, each answering one question at a time.

A worker made slow or killed from outside (SIGSTOP, SIGKILL: what a heavy answer or the OOM killer does) stands in
for a heavy question, so the tests say what happens in which order, never how long anything takes.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from pathlib import Path

import pytest
from support import is_running, stalled, wait_for

from bot.answer_workers import MAX_OVERTAKEN, AnswerFailed, AnswerWorkers, RetrieverSpec
from bot.answering import AnswerService, bot_service
from bot.config import BotSettings, Config, CorpusSection
from retrieval import Retriever
from retrieval.documents import CorpusError

QUESTIONS = [
    "What did Nadella say?",
    "What did DeepSeek claim to have spent on training?",
    "How many H100 GPUs does DeepSeek reportedly have access to?",
    "what is the airspeed velocity of an unladen swallow?",
]
QUICK = "What did Nadella say?"  # one rare name: few passages to score
HEAVY = "the market stock shares AI DeepSeek Nvidia chips fell investors billion company model"  # common words


def warnings_from_citebot(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "citebot" and r.levelno >= logging.WARNING]


async def test_workers_answer_exactly_as_the_retriever_does(bundled: Retriever, bundled_spec: RetrieverSpec) -> None:
    """Quotes, offsets, highlights, abstentions and top_k: the worker's answer is the in-process answer."""
    async with AnswerWorkers(bundled_spec, 2) as workers:
        answers = await asyncio.gather(*(workers.answer(question) for question in QUESTIONS))
        assert answers == [bundled.ask(question) for question in QUESTIONS]
        assert await workers.answer(QUESTIONS[0], top_k=1) == bundled.ask(QUESTIONS[0], 1)


async def test_a_question_on_a_stalled_worker_holds_only_that_worker(bundled_spec: RetrieverSpec) -> None:
    """Two workers, one stuck in its answer: questions asked after that one are answered first, one by one."""
    answered: list[str] = []

    async def ask(question: str) -> None:
        await workers.answer(question)
        answered.append(question)

    async with AnswerWorkers(bundled_spec, 2) as workers:
        with stalled(workers.pids[0]):
            first_two = {asyncio.create_task(ask(question)) for question in QUESTIONS[:2]}
            _, [held] = await asyncio.wait(first_two, return_when=asyncio.FIRST_COMPLETED)
            await ask(QUESTIONS[2])
            await ask(QUESTIONS[3])
            assert not held.done()
        await held

    assert answered[1:3] == QUESTIONS[2:4]
    assert answered[3] in QUESTIONS[:2] and len(set(answered)) == 4


def test_a_question_of_common_words_costs_more_than_one_of_rare_words(bundled: Retriever) -> None:
    """The estimate the queue orders by: postings to score, nothing for words the corpus never uses."""
    assert bundled.question_cost(HEAVY) > 10 * bundled.question_cost(QUICK) > 0
    assert bundled.question_cost("zzyzx qwxv?") == bundled.question_cost("x" * 5000) == 0


async def test_when_every_worker_is_busy_the_cheapest_waiting_question_goes_first(
    bundled: Retriever, bundled_spec: RetrieverSpec
) -> None:
    """A quick question asked after a heavy one, both waiting for the only worker, is answered before it."""
    answered: list[str] = []

    async def ask(label: str, question: str) -> None:
        await workers.answer(question)
        answered.append(label)

    async with AnswerWorkers(bundled_spec, 1, cost=bundled.question_cost) as workers:
        with stalled(workers.pids[0]):
            asked = [
                asyncio.create_task(ask(*pair))
                for pair in [("first", QUESTIONS[1]), ("heavy", HEAVY), ("quick", QUICK)]
            ]
            await asyncio.sleep(0)  # the first has the worker, the others wait in line
        await asyncio.gather(*asked)

    assert answered == ["first", "quick", "heavy"]


async def test_a_waiting_question_is_overtaken_only_so_many_times(
    bundled: Retriever, bundled_spec: RetrieverSpec
) -> None:
    """However many quick questions keep coming, a heavy one waits for at most MAX_OVERTAKEN of them."""
    answered: list[str] = []
    quick = [f"quick {n}" for n in range(MAX_OVERTAKEN + 1)]

    async def ask(label: str, question: str) -> None:
        await workers.answer(question)
        answered.append(label)

    async with AnswerWorkers(bundled_spec, 1, cost=bundled.question_cost) as workers:
        with stalled(workers.pids[0]):
            line = [("first", QUESTIONS[1]), ("heavy", HEAVY), *((label, QUICK) for label in quick)]
            asked = [asyncio.create_task(ask(*pair)) for pair in line]
            await asyncio.sleep(0)
        await asyncio.gather(*asked)

    assert answered == ["first", *quick[:MAX_OVERTAKEN], "heavy", quick[MAX_OVERTAKEN]]


async def test_a_question_that_stops_waiting_gives_up_its_place(
    bundled: Retriever, bundled_spec: RetrieverSpec
) -> None:
    """Cancelled while waiting for a worker (its asker went away): the next in line gets the worker."""
    async with AnswerWorkers(bundled_spec, 1) as workers:
        with stalled(workers.pids[0]):
            first = asyncio.create_task(workers.answer(QUESTIONS[0]))
            gone = asyncio.create_task(workers.answer(QUESTIONS[1]))
            then = asyncio.create_task(workers.answer(QUESTIONS[2]))
            await asyncio.sleep(0)
            gone.cancel()
        assert [await first, await then] == [bundled.ask(QUESTIONS[0]), bundled.ask(QUESTIONS[2])]
    assert gone.cancelled()


async def test_a_killed_worker_fails_its_question_and_the_next_is_answered(
    bundled: Retriever, bundled_spec: RetrieverSpec, caplog: pytest.LogCaptureFixture
) -> None:
    """SIGKILL mid-answer (the OOM killer): that question fails with one log line; a new worker answers the next."""
    async with AnswerWorkers(bundled_spec, 1) as workers:
        [victim] = workers.pids
        with stalled(victim):
            asked = asyncio.create_task(workers.answer(QUESTIONS[0]))
            os.kill(victim, signal.SIGKILL)
            with pytest.raises(AnswerFailed):
                await asked
        assert await workers.answer(QUESTIONS[1]) == bundled.ask(QUESTIONS[1])
        assert victim not in workers.pids and len(workers.pids) == 1

    [warning] = warnings_from_citebot(caplog)
    assert f"answer worker (pid {victim}) died" in warning


async def test_an_answer_over_the_time_limit_is_given_up_and_its_worker_replaced(
    bundled: Retriever, bundled_spec: RetrieverSpec, caplog: pytest.LogCaptureFixture
) -> None:
    """A worker that never finishes is killed at the limit; the asker's question fails, the next is answered."""
    async with AnswerWorkers(bundled_spec, 1, max_seconds=0.5) as workers:
        [stuck] = workers.pids
        with stalled(stuck):
            with pytest.raises(AnswerFailed):
                await workers.answer(QUESTIONS[0])
            assert await asyncio.to_thread(wait_for, lambda: not is_running(stuck), seconds=30)  # reaped by its pool
        assert await workers.answer(QUESTIONS[1]) == bundled.ask(QUESTIONS[1])

    [warning] = warnings_from_citebot(caplog)
    assert "took over 0.5 s ([bot] max_answer_seconds)" in warning and f"pid {stuck}" in warning


async def test_a_cancelled_question_frees_its_worker_once_the_process_is_done(
    bundled: Retriever, bundled_spec: RetrieverSpec
) -> None:
    """The asker went away (its task was cancelled): the worker takes the next question after finishing this one."""
    async with AnswerWorkers(bundled_spec, 1) as workers:
        with stalled(workers.pids[0]):
            gone = asyncio.create_task(workers.answer(QUESTIONS[0]))
            await asyncio.sleep(0)  # it has taken the worker
            gone.cancel()
            waiting = asyncio.create_task(workers.answer(QUESTIONS[1]))
        assert await waiting == bundled.ask(QUESTIONS[1])
    assert gone.cancelled()


async def test_stopping_drains_first_then_ends_every_worker(bundled_spec: RetrieverSpec, bundled: Retriever) -> None:
    """The bot's stop: the question taken on is answered and posted, then no worker process is left."""
    posted: list[str] = []
    async with AnswerWorkers(bundled_spec, 2) as workers:
        service = AnswerService(bundled, workers=workers)
        pids = workers.pids
        started = asyncio.Event()

        async def handle(question: str) -> None:
            async with service.in_flight():
                started.set()
                posted.append((await service.answer(question)).quotes[0].text)

        task = asyncio.create_task(handle(QUESTIONS[0]))
        await started.wait()
        assert await service.drain(30) == 0
    assert task.done() and "Jevons" in posted[0]
    assert len(pids) == 2 and not any(is_running(pid) for pid in pids)


async def test_a_worker_still_answering_when_the_drain_gives_up_is_killed_not_waited_for(
    bundled_spec: RetrieverSpec, bundled: Retriever
) -> None:
    """The drain's time is up: the question being answered and the one waiting for a worker both fail (the drain
    has counted them) and the stuck process is killed, so the bot stops."""
    async with AnswerWorkers(bundled_spec, 1) as workers:
        service = AnswerService(bundled, workers=workers)
        [stuck] = workers.pids
        os.kill(stuck, signal.SIGSTOP)  # never resumed: the stop has to deal with it

        async def handle(question: str) -> None:
            async with service.in_flight():
                await service.answer(question)

        handling = [asyncio.create_task(handle(question)) for question in QUESTIONS[:2]]
        await asyncio.sleep(0)
        assert await service.drain(0.2) == 2
    assert not is_running(stuck)
    for task in handling:
        with pytest.raises(AnswerFailed):
            await task


async def test_a_corpus_the_workers_cannot_open_is_one_error_at_start(tmp_path: Path) -> None:
    """Raised where the bot starts them (the CLI prints it as one line), not at the first question."""
    with pytest.raises(CorpusError, match=r"no documents \(.txt, .md"):
        async with AnswerWorkers(RetrieverSpec(corpus_dir=tmp_path), 1):
            pass


async def test_an_index_that_cannot_be_saved_is_built_by_each_worker_and_the_bot_says_so(
    tmp_path: Path, bundled: Retriever, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / "a-file").write_text("not a directory", encoding="utf-8")
    config = Config(corpus=CorpusSection(index_path=tmp_path / "a-file" / "bundled.index"), bot=BotSettings())
    async with bot_service(config) as service:
        assert await service.answer(QUESTIONS[0]) == bundled.ask(QUESTIONS[0])
    assert "each of the 2 answer workers builds its own" in caplog.text
