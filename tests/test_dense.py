"""Dense retrieval (the optional [dense] extra): paraphrases reach passages that words alone rank too low.

These run where the extra is installed (CI installs it in a second step); without it, `dense = true` is one
clear line naming what to install.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from support import write_corpus

from retrieval import CorpusError, RetrievalSettings, Retriever

HAS_EXTRA = importlib.util.find_spec("sentence_transformers") is not None
needs_extra = pytest.mark.skipif(not HAS_EXTRA, reason="the [dense] extra is not installed")

FILES = {
    "refunds.txt": "Refunds reach your card within five working days after we receive the returned goods.\n",
    "club.txt": "Get money back: our money back club gives money back points on every item you buy.\n",
    **{
        f"filler/{n}.txt": f"Section {n} talks about the weather in town number {n}, which was mild and dry.\n"
        for n in range(40)
    },
}
QUESTION = "How long until I get my money back after returning an item?"


@needs_extra
def test_a_paraphrased_question_reaches_the_passage_that_means_it(tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "c", FILES)
    words_only = Retriever.open(corpus, RetrievalSettings(), tmp_path / "plain")
    with_meaning = Retriever.open(corpus, RetrievalSettings(dense=True), tmp_path / "dense")
    assert "refunds.txt" not in [q.source for q in words_only.ask(QUESTION).quotes]
    answer = with_meaning.ask(QUESTION)
    assert "refunds.txt" in [q.source for q in answer.quotes]
    text = (corpus / "refunds.txt").read_text(encoding="utf-8")
    assert all(q.text == text[q.start : q.end] for q in answer.quotes if q.source == "refunds.txt")


@needs_extra
def test_the_vectors_are_saved_with_the_index_and_reused(tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "c", FILES)
    first = Retriever.open(corpus, RetrievalSettings(dense=True), tmp_path / "i")
    again = Retriever.open(corpus, RetrievalSettings(dense=True), tmp_path / "i")
    assert first.report.rebuilt and not again.report.rebuilt
    assert again.index.dense_vectors is not None and again.index.dense_vectors.shape == (len(FILES), 384)
    assert again.ask(QUESTION) == first.ask(QUESTION)


@pytest.mark.skipif(HAS_EXTRA, reason="the [dense] extra is installed")
def test_without_the_extra_dense_is_one_line_naming_what_to_install(tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "c", FILES)
    with pytest.raises(CorpusError, match=r"pip install 'citebot\[dense\]'"):
        Retriever.open(corpus, RetrievalSettings(dense=True), tmp_path / "i")
