"""The one answer service every front end shares: who gets answered, and answers off the event loop."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass

from bot import metrics
from bot.answer_workers import AnswerWorkers, RetrieverSpec
from bot.config import Config
from bot.fair_use import FairUse, Refusal
from retrieval.answers import Answer
from retrieval.retriever import Retriever

log = logging.getLogger("citebot")
DRAIN_SECONDS = 20.0  # a stopping bot finishes the answers it has taken on, for at most this long


@dataclass(frozen=True)
class Incoming:
    """A chat message reduced to what decides whether citebot answers it."""

    text: str
    author_id: str
    author_is_bot: bool = False


class AnswerService:
    """Wraps the synchronous retriever for async adapters; keeps the no-loops rule in one place."""

    def __init__(
        self,
        retriever: Retriever,
        top_k: int | None = None,
        workers: AnswerWorkers | None = None,
        fair_use: FairUse | None = None,
    ) -> None:
        self._current = [retriever]  # one cell, shared with `for_front_end` services: a live swap reaches them all
        self.top_k = top_k
        self.workers = workers
        self.fair_use = fair_use  # the chat bots' [limits]; None: every question is answered (the console)
        self._in_flight: set[asyncio.Task[object]] = set()

    @property
    def retriever(self) -> Retriever:
        return self._current[0]

    @retriever.setter
    def retriever(self, retriever: Retriever) -> None:
        """One assignment swaps the index for this service and every service made by `for_front_end`."""
        self._current[0] = retriever

    def for_front_end(self, top_k: int | None) -> AnswerService:
        """A service for one front end of `citebot serve` (its own top_k and questions in flight) over this one's
        retriever, even after a live update swaps it, and its answer workers."""
        service = AnswerService(self.retriever, top_k, self.workers, self.fair_use)
        service._current = self._current
        return service

    @contextlib.asynccontextmanager
    async def in_flight(self) -> AsyncIterator[None]:
        """Wrap the handling of one question, from acknowledgement to posting the answer, so that a stopping
        bot can finish it (see `drain`): an acknowledged question is one the platform will not send again."""
        task = asyncio.current_task()
        if task is not None:
            self._in_flight.add(task)
        try:
            yield
        finally:
            if task is not None:
                self._in_flight.discard(task)

    async def drain(self, seconds: float = DRAIN_SECONDS) -> int:
        """Wait up to `seconds` for the questions being handled; how many were still unfinished."""
        pending = {task for task in self._in_flight if task is not asyncio.current_task()}
        if not pending:
            return 0
        _, unfinished = await asyncio.wait(pending, timeout=seconds)
        if unfinished:
            log.warning("stopping with %d question(s) still unanswered after %.0f s", len(unfinished), seconds)
        return len(unfinished)

    def admit(self, front_end: str, person: str) -> AbstractAsyncContextManager[object] | Refusal:
        """A place to answer `person`'s question (hold it, `async with`, while answering), or why fair use turns
        the question away; always a place without [limits] (the console)."""
        if self.fair_use is None:
            return contextlib.nullcontext()
        return self.fair_use.admit(front_end, person)

    @staticmethod
    def should_answer(message: Incoming, bot_user_id: str | None) -> bool:
        """Never answer a bot, least of all ourselves: two bots answering each other never stop."""
        if message.author_is_bot:
            return False
        return bot_user_id is None or message.author_id != bot_user_id

    async def answer(self, question: str, top_k: int | None = None) -> Answer:
        """With workers (the chat bots), in a worker process: answering holds the GIL, and in this process it would
        hold acks, heartbeats and quick questions too; raises AnswerFailed when the worker dies or overruns. Without
        (the console, which has no event loop to protect), in a thread of this process."""
        if self.workers is not None:
            return await self.workers.answer(question, top_k or self.top_k)
        return await asyncio.to_thread(self.retriever.ask, question, top_k or self.top_k)


def retriever_spec(config: Config) -> RetrieverSpec:
    return RetrieverSpec(
        corpus_dir=config.corpus_dir,
        settings=config.retrieval,
        index_path=config.corpus.index_path,
        follow_symlinks=config.corpus.follow_symlinks,
        max_file_bytes=config.corpus.max_file_bytes,
        url_template=config.corpus.url_template,
    )


def open_retriever(config: Config, *, rebuild: bool = False) -> Retriever:
    """The retriever for the configured corpus (raises CorpusError with a one-line reason)."""
    return retriever_spec(config).open(rebuild=rebuild)


def open_service(config: Config, top_k: int | None = None) -> AnswerService:
    """The console's service: answers in this process."""
    return AnswerService(open_retriever(config), top_k)


@contextlib.asynccontextmanager
async def bot_service(config: Config, top_k: int | None = None) -> AsyncIterator[AnswerService]:
    """A chat bot's service: the index opened here (built and saved if it is not current), answers computed by
    `[bot] answer_workers` processes that load it, quick questions first when all are busy. The workers stop
    when the block ends, so drain before."""
    spec = retriever_spec(config)
    retriever = await asyncio.to_thread(spec.open)  # the loop keeps serving meanwhile (citebot serve's /healthz)
    count, seconds = config.bot.answer_workers, config.bot.max_answer_seconds
    if not retriever.report.saved:
        log.warning(
            "the index was not saved, so each of the %d answer workers builds its own (slow, more memory)", count
        )
    spec = spec.model_copy(update={"index_key": retriever.index.key if retriever.report.saved else None})
    service = AnswerService(retriever, top_k, fair_use=FairUse(config.limits))
    cost = lambda question: service.retriever.question_cost(question)  # noqa: E731 - the retriever of the moment
    async with AnswerWorkers(spec, count, seconds, cost=cost) as workers:
        service.workers = workers
        async with watching(config, service, workers):
            yield service


@contextlib.asynccontextmanager
async def watching(config: Config, service: AnswerService, workers: AnswerWorkers | None = None) -> AsyncIterator[None]:
    """Live updates for the block, unless `[corpus] watch = false`: see bot/live_index.py."""
    if not config.corpus.watch:
        yield
        return
    from bot.live_index import LiveIndex

    loop = asyncio.get_running_loop()

    def swapped(retriever: Retriever) -> None:
        """Count the rebuild for /metrics, and move the answer workers to the new index."""
        report = retriever.report
        metrics.reindexed(report.seconds)
        metrics.index_in_use(report.documents, report.passages, metrics.index_built_at(report.path, report.saved))
        if workers is not None and retriever.index.key is not None and report.saved:
            with contextlib.suppress(RuntimeError):  # the loop has closed: nobody is asking any more
                loop.call_soon_threadsafe(workers.reload, retriever.index.key)

    live = LiveIndex(retriever_spec(config), service, on_swap=swapped)
    await asyncio.to_thread(live.__enter__)
    try:
        yield
    finally:
        await asyncio.to_thread(live.__exit__, None, None, None)
