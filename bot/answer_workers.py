"""Answers computed in worker processes, so that no answer can hold the event loop that acknowledges questions.

A thread cannot do this: answering is CPU work that holds the GIL, and while it runs Slack acks, Discord
heartbeats and quick questions wait (acks past Slack's 3 s were seen under load). Each worker here is one process
with a pool of its own (`ProcessPoolExecutor(max_workers=1)`), so a worker that dies or overruns costs only the
question it was answering. A slow question holds its own worker and no other; when every worker is busy, the
cheapest waiting question (by its estimated cost) gets the next one free, so quick questions do not queue behind
heavy ones, and no question is overtaken more than MAX_OVERTAKEN times.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import itertools
import logging
import multiprocessing
import os
import signal
from collections import deque
from collections.abc import Callable, Mapping
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from pydantic import BaseModel, ConfigDict

from bot.config import DEFAULT_COLLECTION, ConfigError
from retrieval.answers import Answer
from retrieval.chunking import die_with_parent
from retrieval.corpus_index import CorpusIndex, IndexReport, Progress
from retrieval.dense import DenseEncoder
from retrieval.documents import DEFAULT_MAX_FILE_BYTES
from retrieval.index_cache import default_index_path
from retrieval.index_file import IndexFileError
from retrieval.retriever import Retriever
from retrieval.settings import RetrievalSettings

log = logging.getLogger("citebot")
MAX_OVERTAKEN = 32  # a waiting question lets at most this many cheaper ones go first, so none waits for ever


class RetrieverSpec(BaseModel):
    """How to open the retriever; it crosses into every worker, which opens the same index the bot has saved."""

    model_config = ConfigDict(frozen=True)

    corpus_dir: Path
    settings: RetrievalSettings = RetrievalSettings()
    index_path: Path | None = None
    follow_symlinks: bool = False
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES
    url_template: str | None = None
    index_key: str | None = None  # set: the workers load the index saved under this key (live updates)

    def open(self, *, rebuild: bool = False, progress: Progress | None = None, warm_up: bool = True) -> Retriever:
        """Load the saved index if it is current, else build and save it (raises CorpusError). With `index_key`,
        the index saved under that key, whatever the corpus is now, if it is still there. Without `warm_up`, for
        a process that only builds, the compiled top-k is not made ready."""
        if self.index_key is not None and not rebuild:
            with contextlib.suppress(IndexFileError, OSError):
                return self.open_saved(self.index_key)
        return Retriever.open(
            self.corpus_dir,
            self.settings,
            self.index_path,
            rebuild=rebuild,
            follow_symlinks=self.follow_symlinks,
            max_file_bytes=self.max_file_bytes,
            url_template=self.url_template,
            progress=progress,
            warm_up=warm_up,
        )

    def open_saved(self, key: str) -> Retriever:
        """The index saved under `key` (raises IndexFileError when the file holds another)."""
        path = self.index_path or default_index_path(self.corpus_dir)
        index = CorpusIndex.load(path, key)
        report = IndexReport(
            len(index.documents), index.passage_count, index.engine.vocabulary_size, index.skipped, 0.0, False, path
        )
        encoder = DenseEncoder() if self.settings.dense else None
        return Retriever(index, self.settings, report, encoder, self.url_template)


class AnswerFailed(Exception):
    """This question got no answer (its worker died or ran out of time); why is already logged, in one line."""


class AnswerWorkers:
    """`count` worker processes answering from `specs` (one per collection, or a single spec: the default
    collection); an async context manager that starts them all (each has opened every collection's retriever
    before the block begins) and stops them when it ends: drain before that. One pool serves every collection,
    so the cores are shared by whoever asks, whichever collection they ask.

    `cost` estimates how much work a question is (Retriever.question_cost); without it, waiting questions are
    served in the order they came."""

    def __init__(
        self,
        specs: RetrieverSpec | Mapping[str, RetrieverSpec],
        count: int,
        max_seconds: float = 10.0,
        cost: Callable[[str], int] | None = None,
    ) -> None:
        self.specs = {DEFAULT_COLLECTION: specs} if isinstance(specs, RetrieverSpec) else dict(specs)
        self.max_seconds = max_seconds
        self._cost = cost or (lambda question: 0)
        self._workers = [_Worker(self.specs) for _ in range(count)]
        self._free = _FreeWorkers()
        self._started = self._closed = False

    @property
    def pids(self) -> list[int]:
        """The workers' process ids (a worker being replaced has none until its new process is ready)."""
        return [worker.pid for worker in self._workers if worker.pid is not None]

    async def __aenter__(self) -> AnswerWorkers:
        try:
            started = await asyncio.gather(*(worker.start() for worker in self._workers), return_exceptions=True)
        except BaseException:  # cancelled while starting
            await self.close()
            raise
        failed = [outcome for outcome in started if isinstance(outcome, BaseException)]
        if failed:
            await self.close()
            if isinstance(failed[0], BrokenProcessPool):
                raise ConfigError(
                    f"the answer worker processes could not start: one exited at once "
                    f"(out of memory? try fewer [bot] answer_workers than {len(self._workers)})"
                ) from None
            raise failed[0]
        for worker in self._workers:
            self._free.give_back(worker)
        self._started = True
        log.info("answering in %d worker processes (pids %s)", len(self._workers), ", ".join(map(str, self.pids)))
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        await self.close()

    async def answer(
        self,
        question: str,
        top_k: int | None = None,
        *,
        collection: str = DEFAULT_COLLECTION,
        cost: int | None = None,
    ) -> Answer:
        """The answer from `collection`, by the next free worker, within `max_seconds` of its starting; `cost`
        overrides the estimate of `cost` given at construction. Raises AnswerFailed when the worker dies (killed,
        out of memory) or overruns; it is then replaced for the next question."""
        if not self._started:
            raise RuntimeError("AnswerWorkers is used as `async with AnswerWorkers(...) as workers:`")
        if self._closed:
            log.warning("a question arrived after the answer workers stopped")
            raise AnswerFailed("the answer workers have stopped")
        if collection not in self.specs:
            raise ValueError(f"no collection {collection!r} in these answer workers")
        worker = await self._free.take(self._cost(question) if cost is None else cost)
        job: concurrent.futures.Future[Answer] | None = None
        try:
            if worker.pool is None:
                await self._replace(worker)
            job = worker.ask(collection, question, top_k)
            return await asyncio.wait_for(asyncio.shield(asyncio.wrap_future(job)), self.max_seconds)
        except TimeoutError:
            log.warning(
                "a question took over %g s ([bot] max_answer_seconds): its worker (pid %s) is stopped and replaced",
                self.max_seconds,
                worker.pid,
            )
            _let_go(worker.detach(kill=True))
            raise AnswerFailed("the answer took too long") from None
        except BrokenProcessPool:
            if not self._closed:  # else the bot stopped it, and the drain has said so
                log.warning("an answer worker (pid %s) died before answering a question; it is replaced", worker.pid)
            _let_go(worker.detach(kill=False))
            raise AnswerFailed("the answer worker died") from None
        finally:
            self._release(worker, job)

    def reload(self, index_key: str, collection: str = DEFAULT_COLLECTION) -> None:
        """Every worker moves `collection` to the index saved under `index_key`: it loads it after the question it
        is answering, if any (which finishes on the index it started on), and before any question asked from now
        on. A worker started later opens it too. Call on the event loop's thread."""
        spec = self.specs[collection].model_copy(update={"index_key": index_key})
        self.specs = self.specs | {collection: spec}
        for worker in self._workers:
            worker.specs = self.specs
            if worker.pool is None:
                continue  # started afresh, with the new spec, before its next question
            try:
                loading = worker.pool.submit(_reload_in_worker, collection, spec)
            except (BrokenProcessPool, RuntimeError):
                continue  # it died: its replacement opens the new index
            loading.add_done_callback(_log_reload_failure)

    async def close(self) -> None:
        """Stop every worker and wait for its process to end: an idle one exits at once, one still answering (the
        drain gave up on it) is killed rather than waited for. Questions asked afterwards fail."""
        self._closed = True
        self._free.fail_waiting(AnswerFailed("the answer workers have stopped"))  # the drain has counted them
        pools = [worker.detach(kill=worker.busy) for worker in self._workers]
        await asyncio.to_thread(_shut_down, [pool for pool in pools if pool is not None])

    async def _replace(self, worker: _Worker) -> None:
        """A new process for a worker whose last one died or overran; this question waits for it."""
        try:
            await worker.start()
        except Exception as error:
            _let_go(worker.detach(kill=False))
            why = "it exited at once" if isinstance(error, BrokenProcessPool) else str(error) or type(error).__name__
            log.warning("a new answer worker could not start (%s); the next question tries again", why)
            raise AnswerFailed("no answer worker could start") from None

    def _release(self, worker: _Worker, job: concurrent.futures.Future[Answer] | None) -> None:
        """The worker takes questions again; if this question was cancelled while its process still works on it,
        only once the process is done (a pool of one would otherwise queue the next question behind it)."""
        if job is None or job.done() or worker.pool is None:
            self._free.give_back(worker)
            return
        loop = asyncio.get_running_loop()

        def when_done(_: concurrent.futures.Future[Answer]) -> None:
            with contextlib.suppress(RuntimeError):  # the loop has closed: nobody is asking any more
                loop.call_soon_threadsafe(self._free.give_back, worker)

        job.add_done_callback(when_done)


@dataclass(eq=False)
class _Waiting:
    cost: int
    arrival: int
    worker: asyncio.Future[_Worker]
    overtaken: int = 0


class _FreeWorkers:
    """Who gets the next free worker: the cheapest waiting question (then the earliest), unless one has been
    overtaken MAX_OVERTAKEN times, which goes first. A free worker goes to the question at once."""

    def __init__(self) -> None:
        self._free: deque[_Worker] = deque()
        self._waiting: list[_Waiting] = []
        self._arrivals = itertools.count()

    async def take(self, cost: int) -> _Worker:
        if self._free:
            return self._free.popleft()  # the one free longest
        waiting = _Waiting(cost, next(self._arrivals), asyncio.get_running_loop().create_future())
        self._waiting.append(waiting)
        try:
            return await waiting.worker
        except asyncio.CancelledError:
            if waiting.worker.done() and not waiting.worker.cancelled():  # handed a worker as it was cancelled
                self.give_back(waiting.worker.result())
            self._waiting = [other for other in self._waiting if other is not waiting]
            raise

    def give_back(self, worker: _Worker) -> None:
        self._waiting = [waiting for waiting in self._waiting if not waiting.worker.done()]
        if not self._waiting:
            self._free.append(worker)
            return
        starved = [waiting for waiting in self._waiting if waiting.overtaken >= MAX_OVERTAKEN]
        if starved:
            chosen = min(starved, key=lambda waiting: waiting.arrival)
        else:
            chosen = min(self._waiting, key=lambda waiting: (waiting.cost, waiting.arrival))
        self._waiting.remove(chosen)
        for waiting in self._waiting:
            waiting.overtaken += waiting.arrival < chosen.arrival
        chosen.worker.set_result(worker)

    def fail_waiting(self, error: Exception) -> None:
        for waiting in self._waiting:
            if not waiting.worker.done():
                waiting.worker.set_exception(error)
        self._waiting.clear()


class _Worker:
    """One worker process and its pool of one; replaced whole when the process dies or overruns."""

    def __init__(self, specs: dict[str, RetrieverSpec]) -> None:
        self.specs = specs
        self.pool: concurrent.futures.ProcessPoolExecutor | None = None
        self.pid: int | None = None
        self.job: concurrent.futures.Future[Answer] | None = None

    @property
    def busy(self) -> bool:
        return self.job is not None and not self.job.done()

    async def start(self) -> None:
        """Start the process and wait until it has opened the retriever (raises what opening raised).

        Called on the event loop's thread, which lives as long as the bot: the process is started by the thread
        that submits to the pool, and the kernel's parent-death signal follows that thread (see die_with_parent).
        "spawn", not "fork": the bot has threads, and a forked copy of a lock held by one of them never opens."""
        self.pool = concurrent.futures.ProcessPoolExecutor(
            1,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_start_worker,
            initargs=(self.specs, os.getpid()),
        )
        self.pid = await asyncio.wrap_future(self.pool.submit(_worker_pid))

    def ask(self, collection: str, question: str, top_k: int | None) -> concurrent.futures.Future[Answer]:
        assert self.pool is not None, "a stopped worker is started again before it is given a question"
        self.job = self.pool.submit(_answer_in_worker, collection, question, top_k)
        return self.job

    def detach(self, *, kill: bool) -> concurrent.futures.ProcessPoolExecutor | None:
        """Let go of the process (SIGKILL first if `kill`: it may be stuck) and return its pool, for the caller to
        shut down; the worker is started afresh before its next question."""
        pool, pid = self.pool, self.pid
        self.pool = self.pid = self.job = None
        if kill and pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        return pool


def _let_go(pool: concurrent.futures.ProcessPoolExecutor | None) -> None:
    """Shut down without waiting: the pool's own thread reaps a dead or killed process."""
    if pool is not None:
        pool.shutdown(wait=False, cancel_futures=True)


def _shut_down(pools: list[concurrent.futures.ProcessPoolExecutor]) -> None:
    """Shut down and wait until every process has ended (a blocking call: run it in a thread)."""
    for pool in pools:
        pool.shutdown(wait=True, cancel_futures=True)


# --------------------------------------------------------------------------------------------- in the workers

# This worker process's retrievers, one per collection, or why they could not be opened: set once by the pool's
# initializer, never in the bot's own process.
_opened: dict[str, Retriever] | Exception | None = None


def _start_worker(specs: dict[str, RetrieverSpec], parent: int) -> None:
    """Open every collection's retriever once per process. A terminal's Ctrl-C, or a service manager's SIGTERM,
    may reach every process of the bot, but stopping is the bot's to do (it drains, then ends the workers); a
    worker still never outlives the bot."""
    global _opened
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    die_with_parent(parent)
    logging.getLogger("retrieval").setLevel(logging.ERROR)  # the bot has already said what opening found
    try:
        _opened = {collection: spec.open() for collection, spec in specs.items()}
    except Exception as error:  # raised in the parent by the first call; the initializer's own would be a traceback
        _opened = error


def _retrievers() -> dict[str, Retriever]:
    if isinstance(_opened, Exception):
        raise _opened
    assert _opened is not None, "the pool's initializer opens the retrievers"
    return _opened


def _reload_in_worker(collection: str, spec: RetrieverSpec) -> str | None:
    """Swap this worker's retriever of `collection` for the index saved under `spec.index_key`; why not, if it
    could not."""
    assert spec.index_key is not None, "a reload names the index"
    try:
        _retrievers()[collection] = spec.open_saved(spec.index_key)
    except (IndexFileError, OSError) as error:
        return str(error)  # kept answering from the index it has; a newer reload follows when one was saved
    return None


def _log_reload_failure(loading: concurrent.futures.Future[str | None]) -> None:
    with contextlib.suppress(Exception):  # a worker that died while loading is replaced at its next question
        failure = loading.result()
        if failure is not None:
            log.info("an answer worker kept its index: %s", failure)


def _worker_pid() -> int:
    _retrievers()
    return os.getpid()


def _answer_in_worker(collection: str, question: str, top_k: int | None) -> Answer:
    return _retrievers()[collection].ask(question, top_k)
