"""A serving process makes the compiled top-k ready when it opens a large corpus, so no question waits seconds for
numba's compiling; a process that only builds the index (`citebot index`) skips it and the memory it keeps."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.corpora import write_synthetic_corpus_dir
from retrieval import Retriever

LARGE = 21_000  # passages: past the size from which top-k runs compiled


@pytest.fixture(scope="module")
def large_corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    directory = tmp_path_factory.mktemp("large")
    write_synthetic_corpus_dir(directory / "corpus", LARGE)
    return directory / "corpus", directory / "corpus.idx"


def test_a_build_only_process_leaves_the_compiled_top_k_unmade(large_corpus: tuple[Path, Path]) -> None:
    corpus, index = large_corpus
    built = Retriever.open(corpus, index_path=index, rebuild=True, warm_up=False)

    assert built.report.passages >= LARGE
    assert not built.index.engine.compiled_ready


def test_a_serving_process_has_it_ready_before_the_first_question(large_corpus: tuple[Path, Path]) -> None:
    corpus, index = large_corpus
    serving = Retriever.open(corpus, index_path=index)

    assert serving.index.engine.compiled_ready
