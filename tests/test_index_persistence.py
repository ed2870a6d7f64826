"""The saved index: reused while the corpus and settings are unchanged, rebuilt otherwise, never trusted blindly."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from support import write_corpus

from retrieval import RetrievalSettings, Retriever
from retrieval.chunking import chunk_corpus
from retrieval.corpus_index import CorpusIndex
from retrieval.documents import Document, Manifest

TEXT = "Nvidia shares plunged 17% on Monday after DeepSeek released its model to the public.\n"


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    return write_corpus(
        tmp_path / "corpus",
        {
            "a.txt": TEXT,
            "b.txt": "Meta plans to invest $65 billion in AI.\n",
            "c.txt": "Microsoft expects capital expenditure of $80 billion this year.\n",
        },
    )


def test_first_open_builds_and_saves_then_reopen_loads(corpus: Path, tmp_path: Path) -> None:
    index = tmp_path / "i.index"
    first = Retriever.open(corpus, index_path=index)
    assert first.report.rebuilt and index.is_file()
    second = Retriever.open(corpus, index_path=index)
    assert not second.report.rebuilt
    assert second.ask("How much will Meta invest?") == first.ask("How much will Meta invest?")


def test_changed_file_content_triggers_rebuild(corpus: Path, tmp_path: Path) -> None:
    index = tmp_path / "i.index"
    Retriever.open(corpus, index_path=index)
    stat = (corpus / "a.txt").stat()
    (corpus / "a.txt").write_text(TEXT.replace("17%", "18%"), encoding="utf-8")
    os.utime(corpus / "a.txt", ns=(stat.st_atime_ns, stat.st_mtime_ns))  # same mtime: content must decide
    reopened = Retriever.open(corpus, index_path=index)
    assert reopened.report.rebuilt
    assert "18%" in reopened.ask("Nvidia plunge").quotes[0].text


def test_edited_file_is_picked_up(corpus: Path, tmp_path: Path) -> None:
    index = tmp_path / "i.index"
    Retriever.open(corpus, index_path=index)
    (corpus / "a.txt").write_text(TEXT.replace("17%", "21%") + "More text.\n", encoding="utf-8")
    reopened = Retriever.open(corpus, index_path=index)
    assert reopened.report.rebuilt
    assert "21%" in reopened.ask("Nvidia shares plunge").quotes[0].text


def test_added_and_removed_files_trigger_rebuild(corpus: Path, tmp_path: Path) -> None:
    index = tmp_path / "i.index"
    Retriever.open(corpus, index_path=index)
    (corpus / "d.txt").write_text("Oracle joined the Stargate project last year.\n", encoding="utf-8")
    assert Retriever.open(corpus, index_path=index).report.documents == 4
    (corpus / "b.txt").unlink()
    assert Retriever.open(corpus, index_path=index).report.documents == 3


def test_changed_indexing_settings_trigger_rebuild(corpus: Path, tmp_path: Path) -> None:
    index = tmp_path / "i.index"
    Retriever.open(corpus, RetrievalSettings(k1=1.5), index)
    assert Retriever.open(corpus, RetrievalSettings(k1=1.2), index).report.rebuilt
    assert not Retriever.open(corpus, RetrievalSettings(k1=1.2, top_k=5), index).report.rebuilt


@pytest.mark.parametrize("damage", ["truncate", "flip"])
def test_damaged_index_is_rebuilt(corpus: Path, tmp_path: Path, damage: str) -> None:
    index = tmp_path / "i.index"
    expected = Retriever.open(corpus, index_path=index).ask("Nvidia shares")
    data = bytearray(index.read_bytes())
    if damage == "truncate":
        data = data[: len(data) // 2]
    else:
        data[-5] ^= 0xFF
    index.write_bytes(bytes(data))
    reopened = Retriever.open(corpus, index_path=index)
    assert reopened.report.rebuilt
    assert reopened.ask("Nvidia shares") == expected


def test_unwritable_index_location_still_answers(corpus: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("a file where a directory should be")
    retriever = Retriever.open(corpus, index_path=blocker / "sub" / "i.index")
    assert not retriever.report.saved
    assert retriever.ask("Nvidia shares").answered


def test_a_temporary_file_left_by_a_killed_writer_is_removed_on_the_next_save(corpus: Path, tmp_path: Path) -> None:
    index = tmp_path / "i.index"
    abandoned = tmp_path / ".i.index.4194303.abcd.tmp"  # above any pid_max: that writer is surely gone
    abandoned.write_bytes(b"half an index")
    live = tmp_path / f".i.index.{os.getpid()}.efgh.tmp"  # a writer still running keeps its file
    live.write_bytes(b"being written")
    Retriever.open(corpus, index_path=index)
    assert not abandoned.exists() and live.exists()


def test_the_index_key_covers_indexing_code_but_not_answering_code() -> None:
    """documents.py (titles) once escaped the key; answering modules must not force a rebuild."""
    from retrieval import index_cache

    package = Path(index_cache.__file__).resolve().parent
    modules = {path.name for path in package.glob("*.py")}
    assert modules > index_cache.ANSWERING_ONLY_MODULES
    assert {"documents.py", "boilerplate.py", "sections.py", "dense.py", "chunking.py"} <= (
        modules - index_cache.ANSWERING_ONLY_MODULES
    )


def test_a_build_moves_each_text_into_the_index_so_it_is_held_once() -> None:
    """The documents handed to a build are left without text: the index's UTF-8 copy, which quotes are cut
    from, is the only one (a large corpus's text is not held twice)."""
    documents = [Document("a.txt", TEXT, "A"), Document("b.txt", "Meta plans to invest €65 billion in AI.\n", "B")]
    texts = [document.text for document in documents]
    index = CorpusIndex.assemble(
        documents, chunk_corpus(documents, Manifest(), RetrievalSettings()), [], RetrievalSettings()
    )
    assert [document.text for document in documents] == ["", ""]
    assert [index.document_text(doc) for doc in range(2)] == texts
    assert index.passage_text(index.passage_count - 1) == texts[1].strip()
