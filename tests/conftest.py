"""Shared fixtures: the bundled corpus opened once, and a private cache dir so tests never touch ~/.cache."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from postgres_server import PostgresServer, start_postgres, why_not_available

from bot.answer_workers import AnswerWorkers, RetrieverSpec
from bot.answering import AnswerService
from bot.config import BUNDLED_CORPUS, LogSettings
from bot.store import QuestionLog, open_store
from retrieval import Retriever

REPO = Path(__file__).resolve().parent.parent

# The compiled top-k (retrieval/block_max.py, numba, imported lazily) checks every index under test: an index out of
# range would otherwise write past a buffer silently and surface, if ever, as a crash in some later test.
os.environ.setdefault("NUMBA_BOUNDSCHECK", "1")


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.getbasetemp() / "cache"))
    yield


@pytest.fixture(scope="session")
def bundled_spec(tmp_path_factory: pytest.TempPathFactory) -> RetrieverSpec:
    """How to open the bundled corpus, with its index in a private place (answer workers open it too)."""
    return RetrieverSpec(corpus_dir=BUNDLED_CORPUS, index_path=tmp_path_factory.mktemp("index") / "bundled.index")


@pytest.fixture(scope="session")
def bundled(bundled_spec: RetrieverSpec) -> Retriever:
    """The retriever over the bundled corpus, shared by every test that only asks questions."""
    return bundled_spec.open()


@pytest.fixture
async def pooled_service(bundled: Retriever, bundled_spec: RetrieverSpec) -> AsyncIterator[AnswerService]:
    """The answer service as the chat bots run it: two worker processes over the bundled corpus."""
    async with AnswerWorkers(bundled_spec, 2) as workers:
        yield AnswerService(bundled, workers=workers)


@pytest.fixture(autouse=True)
def _private_data_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """The default question log (SQLite under XDG_DATA_HOME) lands in the test's temp dir, never in ~."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path_factory.getbasetemp() / "data"))


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A real PostgreSQL server for the session; skipped, with the reason shown, only without its binaries."""
    reason = why_not_available()
    if reason is not None:
        if os.environ.get("CITEBOT_REQUIRE_POSTGRES"):  # CI installs the server: there, a skip would hide a gap
            pytest.fail(reason)
        pytest.skip(reason)
    server = start_postgres()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The question log's URL: a fresh SQLite file, then a fresh database on the real PostgreSQL server."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'questions.sqlite3'}"
    server: PostgresServer = request.getfixturevalue("postgres_server")
    return server.new_database()


@pytest.fixture
async def question_log(store_url: str) -> AsyncIterator[QuestionLog]:
    """A question log on a fresh store (SQLite, then the real PostgreSQL server), closed after the test."""
    log = QuestionLog(open_store(store_url), LogSettings())
    yield log
    await asyncio.to_thread(log.close)
