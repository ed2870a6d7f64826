"""A progress bar for long builds (`citebot index`), on a terminal only, and only once a build has taken a while."""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING

from retrieval.corpus_index import Progress

if TYPE_CHECKING:
    from rich.progress import Progress as RichProgress
    from rich.progress import TaskID

SHOW_AFTER_SECONDS = 2.0  # a quick build stays quiet: the bar appears only for one that takes longer
STAGES = {"reading": "reading files", "indexing": "cutting and analysing"}


@contextlib.contextmanager
def progress_bar() -> Iterator[Progress | None]:
    """A callback for retrieval's builds that draws a rich progress bar on stderr; None when stderr is no
    terminal (a pipe or a log gets the report alone)."""
    if not sys.stderr.isatty():
        yield None
        return
    began = time.monotonic()
    bar: RichProgress | None = None
    tasks: dict[str, TaskID] = {}

    def report(stage: str, done: int, total: int) -> None:
        nonlocal bar
        if bar is None:
            if time.monotonic() - began < SHOW_AFTER_SECONDS:
                return
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

            bar = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeRemainingColumn(),
                console=Console(stderr=True),
                transient=True,
            )
            bar.start()
        if stage not in tasks:
            tasks[stage] = bar.add_task(STAGES.get(stage, stage), total=total)
        bar.update(tasks[stage], completed=done + 1, total=total)

    try:
        yield report
    finally:
        if bar is not None:
            bar.stop()
