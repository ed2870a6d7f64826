"""Live updates: a long-running front end watches its corpus and swaps in a new index when documents change.

The watcher (watchfiles) runs in a thread of its own and groups a burst of changes into one re-index; changes that
arrive while one is being built make one more. Re-indexing reuses the unchanged files' work
(retrieval/incremental.py), then saves the index, and only then swaps it in: the answer service's retriever is
replaced in one assignment, and a `Retriever` never changes, so every answer comes wholly from the index it
started on, old or new. The chat bots' answer workers are then told to load the saved index (see
AnswerWorkers.reload). A corpus that cannot be indexed (deleted, unreadable, emptied) leaves the old index
serving, with one log line until it is readable again.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from bot.answer_workers import RetrieverSpec
from bot.answering import AnswerService, retriever_spec
from bot.config import Config
from retrieval.documents import CorpusError
from retrieval.incremental import IndexBuilder
from retrieval.retriever import Retriever

log = logging.getLogger("citebot")
QUIET_MS = 300  # a change is acted on once the corpus has been quiet this long (an editor's save is several)
GROUP_MS = 3000  # ... or once changes have gone on this long
RETRY_SECONDS = 2.0  # how often a vanished corpus directory is looked for again
IDLE_MS = 200  # the watcher reports in when idle this long, so starting can wait until it watches
START_SECONDS = 30.0  # starting waits at most this long for the watcher


class LiveIndex:
    """Keeps `service` answering from the corpus as it is now; `on_swap` hears of each new index (in the watcher's
    thread). A context manager: watching starts with the block and stops at its end."""

    def __init__(
        self,
        spec: RetrieverSpec,
        service: AnswerService,
        on_swap: Callable[[Retriever], None] | None = None,
    ) -> None:
        self.spec = spec
        self.service = service
        self.on_swap = on_swap
        self.builder = IndexBuilder(
            spec.corpus_dir,
            spec.settings,
            spec.index_path,
            follow_symlinks=spec.follow_symlinks,
            max_file_bytes=spec.max_file_bytes,
            encoder=service.retriever.encoder,
        )
        self.builder.adopt(service.retriever.index.key)
        self.generation = 0  # how many indexes have been swapped in
        self.swapped = threading.Condition()
        self._stop = threading.Event()
        self._watching = threading.Event()
        self._thread: threading.Thread | None = None
        self._failure: str | None = None

    def __enter__(self) -> LiveIndex:
        self._thread = threading.Thread(target=self._watch, name="citebot-corpus-watch", daemon=True)
        self._thread.start()
        self._watching.wait(START_SECONDS)  # from here on no change is missed
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def wait_for_generation(self, generation: int, timeout: float) -> bool:
        """Wait until `generation` indexes have been swapped in; False if that did not happen in time."""
        with self.swapped:
            return self.swapped.wait_for(lambda: self.generation >= generation, timeout)

    def refresh(self) -> bool:
        """Re-index if the corpus changed, and swap the new index in; True if it did. Never raises for a corpus
        that cannot be read: the old index keeps serving."""
        try:
            built = self.builder.build()
        except (CorpusError, OSError) as error:
            self._failed(str(error))
            return False
        if self._failure is not None:
            log.info("the corpus is readable again")
            self._failure = None
        if built is None:
            return False
        index, report = built
        retriever = Retriever(index, self.spec.settings, report, self.service.retriever.encoder, self.spec.url_template)
        self.service.retriever = retriever  # one assignment: each answer holds the retriever it started with
        with self.swapped:
            self.generation += 1
            self.swapped.notify_all()
        counts = self.builder.counts
        log.info(
            "the corpus changed: now %d documents, %d passages (%d of %d files read again, %d documents cut again; "
            "%.2f s)",
            report.documents,
            report.passages,
            counts.extracted,
            counts.files,
            counts.chunked,
            report.seconds,
        )
        if self.on_swap is not None:
            self.on_swap(retriever)
        return True

    def _failed(self, why: str) -> None:
        if why != self._failure:  # one line per problem, not one per change while it lasts
            log.warning("cannot re-index the corpus (%s); answering from the index as it was", why)
        self._failure = why

    def _watch(self) -> None:
        """Watch until stopped. Watching ends when the directory goes away: it is then looked for again every
        RETRY_SECONDS, and indexed as soon as it is back."""
        while not self._stop.is_set():
            watching = False
            for changes in self._changes(self.spec.corpus_dir):
                if not watching:  # the first report: watching has begun, so catch up with what changed before
                    watching = True
                    self._watching.set()
                    self.refresh()
                elif changes:
                    self.refresh()
            self._watching.set()  # the directory is gone: starting need not wait for it
            if not self._stop.is_set():
                self.refresh()  # says why, once
                self._stop.wait(RETRY_SECONDS)

    def _changes(self, directory: Path) -> Iterator[set[tuple[Any, str]]]:
        """Each group of changes under `directory`, and an empty set whenever it has been quiet for IDLE_MS; ends
        when the directory is gone or replaced (a watch follows the directory it began on, not its name)."""
        import watchfiles

        try:
            began = directory.stat()
        except OSError:
            return
        with contextlib.suppress(OSError, RuntimeError):  # gone or unreadable while starting: tried again later
            # watchfiles' default filter ignores editor swap files, .git and the like.
            for changes in watchfiles.watch(
                directory,
                stop_event=self._stop,
                debounce=GROUP_MS,
                step=QUIET_MS,
                raise_interrupt=False,
                ignore_permission_denied=True,
                yield_on_timeout=True,
                rust_timeout=IDLE_MS,
            ):
                now = directory.stat()
                if (now.st_dev, now.st_ino) != (began.st_dev, began.st_ino):
                    return
                yield changes


@contextlib.contextmanager
def live_updates(config: Config, service: AnswerService) -> Iterator[LiveIndex | None]:
    """Live updates of the service's collection for the block (the console's), unless its `watch = false`."""
    if not config.collection(service.collection).watch:
        yield None
        return
    with LiveIndex(retriever_spec(config, service.collection), service) as live:
        yield live
