"""Chunking a corpus: the same passages whether the work is done in this process or spread over workers."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from support import children_of, wait_for

from retrieval import chunking
from retrieval.documents import Document, Manifest
from retrieval.settings import RetrievalSettings

TEXTS = [
    "Nvidia shares plunged 17% on Monday. The sell-off erased $600 billion. Analysts called it a correction.\n"
    "Meta plans to invest $65 billion in AI CapEx (capital expenditure) this year. Microsoft plans $80 billion.",
    "DeepSeek claims to have spent only $5.6 million. It used 2,048 H800 GPUs.\n\nDisclaimer: not advice.",
    "Disclaimer: not advice.\nThe Philadelphia Semiconductor Index (SOX) dropped by 9.2% that day.",
]


def varied(n: int, text: str) -> str:
    """Copies that differ in every line, so repetition does not make them boilerplate."""
    return text.replace("$", f"${n}").replace("%", f"{n}%")


def chunk(
    monkeypatch: pytest.MonkeyPatch, *, parallel: bool
) -> tuple[list[chunking.ChunkedDocument], dict[str, list[str]]]:
    monkeypatch.setattr(chunking, "PARALLEL_MIN_CHARS", 0 if parallel else 10**12)
    monkeypatch.setattr(chunking, "_BATCH_CHARS", 50)  # several batches, so workers really share the work
    texts = [varied(n, text) for n, text in enumerate(TEXTS * 4)]
    documents = [Document(f"{n}.txt", text, f"doc {n}") for n, text in enumerate(texts)]
    chunked = list(chunking.chunk_corpus(documents, Manifest(), RetrievalSettings(passage_sentences=2)))
    aliases: dict[str, list[str]] = {}
    for doc in chunked:
        chunking.merge_aliases(aliases, doc.aliases)
    return chunked, aliases


def as_lists(doc: chunking.ChunkedDocument) -> tuple[object, ...]:
    return doc.sentences.tolist(), doc.passages.tolist(), passage_terms(doc), doc.aliases


def passage_terms(doc: chunking.ChunkedDocument) -> list[dict[str, int]]:
    return [doc.postings.term_counts(passage) for passage in range(doc.postings.passage_count)]


def test_workers_chunk_exactly_as_one_process_does(monkeypatch: pytest.MonkeyPatch) -> None:
    serial = chunk(monkeypatch, parallel=False)
    assert chunking._worker_count([Document("x", "x" * 10, "x")]) == 1  # small corpora stay in-process
    parallel = chunk(monkeypatch, parallel=True)
    assert parallel[1] == serial[1]
    assert [as_lists(doc) for doc in parallel[0]] == [as_lists(doc) for doc in serial[0]]


def test_passages_keep_offsets_terms_and_abbreviations(monkeypatch: pytest.MonkeyPatch) -> None:
    documents, aliases = chunk(monkeypatch, parallel=False)
    first = documents[0]
    assert [varied(0, TEXTS[0])[s:e] for s, e in first.sentences.tolist()][:2] == [
        "Nvidia shares plunged 170% on Monday.",
        "The sell-off erased $0600 billion.",
    ]
    assert all(passage_terms(first))
    assert list(passage_terms(first)[0])[:3] == ["nvidia", "share", "plung"]
    assert all("Disclaimer" not in varied(1, TEXTS[1])[s:e] for s, e in documents[1].sentences.tolist())
    assert aliases == {"capex": ["capit", "expenditur"], "sox": ["semiconductor", "index"]}


def test_index_workers_die_with_a_killed_parent(tmp_path: Path) -> None:
    """Killing `citebot index` (SIGKILL, the OOM killer) must not leave its workers running, holding pipes."""
    corpus = tmp_path / "c"
    corpus.mkdir()
    for n in range(4):  # over chunking.PARALLEL_MIN_CHARS in all, so the work is spread over processes
        line = f"Document {n} says that shares of company {{}} fell by {{}} percent on day {n} of the month.\n"
        (corpus / f"{n}.txt").write_text("".join(line.format(i, i % 97) for i in range(14_000)), encoding="utf-8")
    parent = subprocess.Popen(
        [sys.executable, "-m", "bot", "index", "--corpus", str(corpus)],
        env={**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    workers = wait_for(lambda: children_of(parent.pid), seconds=60)
    assert workers, "the index build never started its workers"
    parent.kill()
    parent.wait(timeout=30)
    assert wait_for(lambda: not any(Path(f"/proc/{pid}").exists() for pid in workers), seconds=20)
