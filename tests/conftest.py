"""Shared fixtures: the bundled corpus opened once, and a private cache dir so tests never touch ~/.cache."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from postgres_server import PostgresServer, start_postgres, why_not_available

from bot.config import BUNDLED_CORPUS
from retrieval import RetrievalSettings, Retriever

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.getbasetemp() / "cache"))
    yield


@pytest.fixture(scope="session")
def bundled(tmp_path_factory: pytest.TempPathFactory) -> Retriever:
    """The retriever over the bundled corpus, shared by every test that only asks questions."""
    index = tmp_path_factory.mktemp("index") / "bundled.index"
    return Retriever.open(BUNDLED_CORPUS, RetrievalSettings(), index)


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
