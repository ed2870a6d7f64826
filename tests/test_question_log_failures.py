"""A store that is unreachable, locked or overwhelmed costs a warning, never an answer or a wait."""

from __future__ import annotations

import functools
import logging
import sqlite3
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest

from bot.config import LogSettings
from bot.store import Asked, QuestionLog, RateLimitedWarning, open_store
from retrieval.retriever import Retriever

NADELLA = "what did Nadella say?"
REPO = Path(__file__).resolve().parent.parent
LONG_AGO = datetime(2000, 1, 1)


def warnings_of(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "citebot.store" and r.levelno == logging.WARNING]


def test_an_unusable_store_is_one_warning_however_many_writes_fail(
    tmp_path: Path, bundled: Retriever, caplog: pytest.LogCaptureFixture
) -> None:
    """The file cannot be created (its directory is a regular file): every write fails, one warning says so."""
    (tmp_path / "not-a-directory").write_text("")
    log = QuestionLog(open_store(f"sqlite:///{tmp_path / 'not-a-directory' / 'q.sqlite3'}"), LogSettings())
    for _ in range(3):
        answer_id = log.record(Asked("console", "me", NADELLA), bundled.ask(NADELLA, 3), 0.1)
        log.vote(answer_id, "me", up=True)
    assert log.flush()
    log.close()

    [warning] = warnings_of(caplog)
    assert "cannot create the file" in warning and "answers go on without it" in warning


def test_an_unreachable_postgresql_server_is_a_warning(
    tmp_path: Path, bundled: Retriever, caplog: pytest.LogCaptureFixture
) -> None:
    log = QuestionLog(open_store(f"postgresql://citebot@/citebot?host={tmp_path}&port=1"), LogSettings())
    log.record(Asked("console", "me", NADELLA), bundled.ask(NADELLA, 3), 0.1)
    assert log.flush()
    log.close()

    [warning] = warnings_of(caplog)
    assert "answers go on without it" in warning


def test_a_locked_database_is_waited_on_in_the_writer_thread_only(tmp_path: Path, bundled: Retriever) -> None:
    """While another process holds the file's write lock, recording returns at once; the row lands after."""
    path = tmp_path / "q.sqlite3"
    store = open_store(f"sqlite:///{path}")
    store.salt()  # the schema exists before the lock is taken
    log = QuestionLog(store, LogSettings())
    locker = sqlite3.connect(path, isolation_level=None)
    locker.execute("BEGIN EXCLUSIVE")
    try:
        answer_id = log.record(Asked("console", "me", NADELLA), bundled.ask(NADELLA, 3), 0.1)
        assert not log.flush(timeout=0.1)  # still waiting for the lock, in its own thread
    finally:
        locker.execute("ROLLBACK")
        locker.close()
    assert log.flush()
    assert [record.id for record in store.questions_since(LONG_AGO)] == [answer_id]
    log.close()


def test_writes_beyond_the_backlog_are_dropped_with_one_warning(
    tmp_path: Path, bundled: Retriever, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "q.sqlite3"
    store = open_store(f"sqlite:///{path}")
    store.salt()
    log = QuestionLog(store, LogSettings(), backlog=1)
    locker = sqlite3.connect(path, isolation_level=None)
    locker.execute("BEGIN EXCLUSIVE")
    try:
        for _ in range(5):
            log.record(Asked("console", "me", NADELLA), bundled.ask(NADELLA, 3), 0.1)
    finally:
        locker.execute("ROLLBACK")
        locker.close()
    assert log.flush()
    log.close()

    [warning] = warnings_of(caplog)
    assert "1 writes already waiting" in warning
    assert 1 <= len(store.questions_since(LONG_AGO)) <= 2


def test_a_rate_limited_warning_repeats_after_its_interval_with_a_count(caplog: pytest.LogCaptureFixture) -> None:
    now = [0.0]
    warn = RateLimitedWarning(every=60.0, clock=lambda: now[0])
    for _ in range(4):
        warn("store is down")
    now[0] = 61.0
    warn("store is down")

    assert warnings_of(caplog) == [
        "question log: store is down; answers go on without it",
        "question log: store is down; answers go on without it (3 more since the last warning)",
    ]


def test_a_store_that_cannot_grow_does_not_stop_the_console_answering(tmp_path: Path) -> None:
    """The database may not grow by a byte (the process's file-size limit, as a full disk or quota would
    have it): both questions are answered, and one warning says the log is not being written.

    The limit is one database page, not the file's size: the first write goes to the write-ahead log, a file of
    its own that starts empty, and a page's frame there (page plus headers) is larger than one page."""
    path = tmp_path / "q.sqlite3"
    config = tmp_path / "citebot.toml"
    config.write_text(f'[storage]\nurl = "sqlite:///{path}"\n', encoding="utf-8")
    store = open_store(f"sqlite:///{path}")
    store.salt()
    store.close()
    run = functools.partial(subprocess.run, capture_output=True, text=True, cwd=REPO, timeout=120, check=False)
    assert run([sys.executable, "-m", "bot", "index", "--config", str(config)]).returncode == 0  # index cached
    size = path.stat().st_size
    page = 4096  # SQLite's default page size

    # the limit is set inside the child, before citebot starts (no preexec_fn: this process has threads)
    limited = (
        f"import resource, runpy, sys; resource.setrlimit(resource.RLIMIT_FSIZE, ({page}, {page})); "
        f"sys.argv = ['citebot', 'console', '--log', '--config', {str(config)!r}]; "
        "runpy.run_module('bot', run_name='__main__')"
    )
    result = run([sys.executable, "-c", limited], input=f"{NADELLA}\n{NADELLA}\n")

    assert result.returncode == 0, result.stderr
    assert result.stdout.count("Jevons Paradox") == 2
    [warning] = [line for line in result.stderr.splitlines() if "question log" in line]
    assert warning.startswith("citebot: WARNING: question log:") and "answers go on without it" in warning
    assert path.stat().st_size == size
