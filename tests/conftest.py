"""Shared fixtures: the bundled corpus opened once, and a private cache dir so tests never touch ~/.cache."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

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
