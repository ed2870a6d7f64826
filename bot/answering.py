"""The one answer service every front end shares: who gets answered, and answers off the event loop."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass

from bot import metrics
from bot.answer_workers import AnswerWorkers, RetrieverSpec
from bot.config import DEFAULT_COLLECTION, Config
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
    """Wraps the synchronous retriever of one collection for async adapters; keeps the no-loops rule in one place."""

    def __init__(
        self,
        retriever: Retriever,
        top_k: int | None = None,
        workers: AnswerWorkers | None = None,
        collection: str = DEFAULT_COLLECTION,
        fair_use: FairUse | None = None,
    ) -> None:
        self._current = [retriever]  # one cell, shared with `for_front_end` services: a live swap reaches them all
        self.top_k = top_k
        self.workers = workers
        self.collection = collection  # which of the workers' collections answers (and the label in /metrics)
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
        service = AnswerService(self.retriever, top_k, self.workers, self.collection, self.fair_use)
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
            cost = self.retriever.question_cost(question)  # so quick questions of any collection go first
            return await self.workers.answer(question, top_k or self.top_k, collection=self.collection, cost=cost)
        return await asyncio.to_thread(self.retriever.ask, question, top_k or self.top_k)


def retriever_spec(config: Config, collection: str = DEFAULT_COLLECTION) -> RetrieverSpec:
    """How to open one collection's retriever ([corpus]'s by default); raises ConfigError for an unknown name."""
    section = config.collection(collection)
    return RetrieverSpec(
        corpus_dir=section.directory,
        settings=config.retrieval,
        index_path=section.index_path,
        follow_symlinks=section.follow_symlinks,
        max_file_bytes=section.max_file_bytes,
        url_template=section.url_template,
    )


def open_retriever(config: Config, *, rebuild: bool = False, collection: str = DEFAULT_COLLECTION) -> Retriever:
    """The retriever for one configured collection (raises CorpusError with a one-line reason)."""
    return retriever_spec(config, collection).open(rebuild=rebuild)


def open_service(config: Config, top_k: int | None = None, collection: str = DEFAULT_COLLECTION) -> AnswerService:
    """The console's service: answers in this process."""
    return AnswerService(open_retriever(config, collection=collection), top_k, collection=collection)


@contextlib.asynccontextmanager
async def bot_service(config: Config, top_k: int | None = None) -> AsyncIterator[AnswerService]:
    """The default collection's service from `bot_services`."""
    async with bot_services(config) as services:
        service = services[DEFAULT_COLLECTION]
        service.top_k = top_k
        yield service


@contextlib.asynccontextmanager
async def bot_services(config: Config) -> AsyncIterator[Mapping[str, AnswerService]]:
    """A chat bot's services, one per collection: each index opened here once (built and saved if it is not
    current), answers computed by one pool of `[bot] answer_workers` processes that load them all, quick questions
    first when all are busy. The workers stop when the block ends, so drain before."""
    specs: dict[str, RetrieverSpec] = {}
    services: dict[str, AnswerService] = {}
    count, seconds = config.bot.answer_workers, config.bot.max_answer_seconds
    fair_use = FairUse(config.limits)  # one per process: a person's limit and the queue span every collection
    for name in config.collection_names:
        spec = retriever_spec(config, name)
        retriever = await asyncio.to_thread(spec.open)  # the loop keeps serving meanwhile (citebot serve's /healthz)
        if not retriever.report.saved:
            log.warning(
                "the index of collection %r was not saved, so each of the %d answer workers builds its own (slow, "
                "more memory)",
                name,
                count,
            )
        specs[name] = spec.model_copy(update={"index_key": retriever.index.key if retriever.report.saved else None})
        services[name] = AnswerService(retriever, collection=name, fair_use=fair_use)
    async with AnswerWorkers(specs, count, seconds) as workers, contextlib.AsyncExitStack() as watches:
        for service in services.values():
            service.workers = workers
            await watches.enter_async_context(watching(config, service, workers))
        yield services


@contextlib.asynccontextmanager
async def watching(config: Config, service: AnswerService, workers: AnswerWorkers | None = None) -> AsyncIterator[None]:
    """Live updates of the service's collection for the block, unless its `watch = false`: see bot/live_index.py."""
    if not config.collection(service.collection).watch:
        yield
        return
    from bot.live_index import LiveIndex

    loop = asyncio.get_running_loop()
    collection = service.collection

    def swapped(retriever: Retriever) -> None:
        """Count the rebuild for /metrics, and move the answer workers to the new index."""
        report = retriever.report
        metrics.reindexed(report.seconds, collection)
        built_at = metrics.index_built_at(report.path, report.saved)
        metrics.index_in_use(report.documents, report.passages, built_at, collection)
        if workers is not None and retriever.index.key is not None and report.saved:
            with contextlib.suppress(RuntimeError):  # the loop has closed: nobody is asking any more
                loop.call_soon_threadsafe(workers.reload, retriever.index.key, collection)

    live = LiveIndex(retriever_spec(config, collection), service, on_swap=swapped)
    await asyncio.to_thread(live.__enter__)
    try:
        yield
    finally:
        await asyncio.to_thread(live.__exit__, None, None, None)
