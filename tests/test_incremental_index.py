"""Re-indexing a changed corpus reuses the unchanged files' work, and answers exactly as a fresh full build."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from support import write_corpus

from bot.config import BUNDLED_CORPUS
from retrieval import RetrievalSettings, Retriever
from retrieval.incremental import IndexBuilder

QUESTIONS = [
    json.loads(line)["q"] for line in (Path(__file__).parent / "data" / "questions.jsonl").read_text().splitlines()
]
QUESTIONS += ["what does the cookie notice say?", "Subscribe to our newsletter", "tavomi kelubo"]
FURNITURE = "Subscribe to our newsletter for daily market news\nAll rights reserved by the publisher\n"
NOTE = "DeepSeek's engineers trained the model on 2,048 H800 GPUs over two months, the note says.\n"


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """The bundled articles (scraped, with site furniture) and three small notes."""
    directory = tmp_path / "corpus"
    shutil.copytree(BUNDLED_CORPUS, directory, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    return write_corpus(directory, {f"notes/note{n}.txt": f"Note {n}\n\n{NOTE}" for n in range(3)})


def answers(retriever: Retriever) -> list[str]:
    return [retriever.ask(question).model_dump_json() for question in QUESTIONS]


def fresh_full_build(corpus: Path, where: Path) -> list[str]:
    return answers(Retriever.open(corpus, index_path=where, rebuild=True))


def built(builder: IndexBuilder) -> Retriever:
    result = builder.build()
    assert result is not None, "the corpus changed, so there is a new index"
    index, report = result
    return Retriever(index, builder.settings, report)


EDITS: dict[str, Callable[[Path], object]] = {
    "one article edited": lambda c: (c / "002_1f824fb0266c188b.txt").write_text(
        (c / "002_1f824fb0266c188b.txt").read_text() + "\nNvidia's chief said demand for H800 chips stays high.\n"
    ),
    "a note added": lambda c: (c / "notes/note9.txt").write_text("Note 9\n\nMeta will spend $65 billion on AI.\n"),
    "a note deleted": lambda c: (c / "notes/note0.txt").unlink(),
    # Three documents share these lines once a third carries them: they become furniture everywhere.
    "furniture appears": lambda c: [
        (c / f"notes/note{n}.txt").write_text(f"Note {n}\n\n{NOTE}{FURNITURE}") for n in (1, 2, 9)
    ],
    # The first document is in the cleaning filter's language sample: its vocabulary changes.
    "the first article rewritten": lambda c: (c / "000_260f8037f40a256e.txt").write_text(
        "Sjældne ord hvor ingen engelske ord findes overhovedet i denne linje her\n\n" + NOTE
    ),
    "the manifest changed": lambda c: (c / "manifest.toml").write_text(
        (c / "manifest.toml").read_text() + '\n[files."notes/note1.txt"]\ntitle = "The GPU note"\n'
    ),
    "an article removed": lambda c: (c / "004_250e2ef35fa11695.txt").unlink(),
}


def test_every_update_answers_byte_for_byte_as_a_fresh_full_build(corpus: Path, tmp_path: Path) -> None:
    """Each edit in turn, including ones that change what cleaning decides for documents that did not change."""
    builder = IndexBuilder(corpus, RetrievalSettings(), tmp_path / "live.index")
    assert answers(built(builder)) == fresh_full_build(corpus, tmp_path / "full0.index")
    for number, (name, edit) in enumerate(EDITS.items(), start=1):
        edit(corpus)
        assert answers(built(builder)) == fresh_full_build(corpus, tmp_path / f"full{number}.index"), name


def test_one_changed_file_is_the_only_one_read_and_chunked_again(corpus: Path, tmp_path: Path) -> None:
    builder = IndexBuilder(corpus, RetrievalSettings(), tmp_path / "live.index")
    built(builder)
    assert builder.counts.chunked == builder.counts.documents == 8
    (corpus / "notes/note1.txt").write_text(f"Note 1\n\n{NOTE}Meta will spend $65 billion on AI, the note says.\n")
    built(builder)
    assert (builder.counts.extracted, builder.counts.chunked) == (1, 1)


def test_an_unchanged_corpus_is_not_built_again(corpus: Path, tmp_path: Path) -> None:
    builder = IndexBuilder(corpus, RetrievalSettings(), tmp_path / "live.index")
    built(builder)
    (corpus / "notes/note1.txt").touch()  # the same content, a newer time
    (corpus / "notes/ignored.log").write_text("not a document")
    assert builder.build() is None


def test_the_index_served_is_adopted_so_an_unchanged_corpus_needs_no_build(corpus: Path, tmp_path: Path) -> None:
    served = Retriever.open(corpus, index_path=tmp_path / "live.index")
    builder = IndexBuilder(corpus, RetrievalSettings(), tmp_path / "live.index")
    builder.adopt(served.index.key)
    assert builder.build() is None
    (corpus / "notes/note1.txt").write_text("Note 1\n\nMeta will spend $65 billion.\n")
    assert answers(built(builder)) == fresh_full_build(corpus, tmp_path / "full.index")


def test_a_saved_update_is_what_the_next_start_loads(corpus: Path, tmp_path: Path) -> None:
    builder = IndexBuilder(corpus, RetrievalSettings(), tmp_path / "live.index")
    built(builder)
    (corpus / "notes/note1.txt").write_text("Note 1\n\nMeta will spend $65 billion.\n")
    live = built(builder)
    restarted = Retriever.open(corpus, index_path=tmp_path / "live.index")
    assert not restarted.report.rebuilt and answers(restarted) == answers(live)


def test_a_live_update_saves_the_very_file_a_full_build_saves(corpus: Path, tmp_path: Path) -> None:
    """Byte for byte: the engine built from the kept documents' counted terms is the one built from scratch."""
    builder = IndexBuilder(corpus, RetrievalSettings(), tmp_path / "live.index")
    built(builder)
    for number, name in enumerate(["one article edited", "a note added", "an article removed"]):
        EDITS[name](corpus)
        built(builder)
        Retriever.open(corpus, index_path=tmp_path / f"full{number}.index", rebuild=True)
        assert (tmp_path / "live.index").read_bytes() == (tmp_path / f"full{number}.index").read_bytes(), name


def test_a_live_update_looks_up_only_the_changed_documents_terms(corpus: Path, tmp_path: Path) -> None:
    """The engine is rebuilt over every passage, but the kept documents' terms are named by the ids the term
    table gave them before: only the document cut again is looked up term by term (what keeps an update cheap)."""
    builder = IndexBuilder(corpus, RetrievalSettings(), tmp_path / "live.index")
    built(builder)
    before = builder.terms.looked_up
    EDITS["one article edited"](corpus)
    built(builder)
    assert builder.counts.chunked == 1
    assert builder.terms.looked_up - before == 1
