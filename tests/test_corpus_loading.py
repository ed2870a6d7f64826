"""Loading a corpus: every usable file loads, each bad file is skipped with its reason, titles are sensible."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from support import write_corpus

from retrieval import CorpusError, Retriever

GOOD = "Nvidia shares plunged 17% on Monday after DeepSeek released its model to the public.\n"


def open_corpus(directory: Path, tmp_path: Path) -> Retriever:
    return Retriever.open(directory, index_path=tmp_path / "corpus.index")


def test_bad_files_are_skipped_with_their_reasons(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    corpus = write_corpus(
        tmp_path / "c",
        {
            "good.txt": GOOD,
            "latin1.txt": "Caf\xe9 cr\xe8me".encode("latin-1"),
            "binary.md": b"\x89PNG\r\n\x1a\n\x00\x00\x00",
            "empty.txt": "  \n\n",
            "notes.odt": b"PK\x03\x04",
        },
    )
    with caplog.at_level(logging.WARNING):
        retriever = open_corpus(corpus, tmp_path)
    assert [doc.source for doc in retriever.documents] == ["good.txt"]
    reasons = {skipped.source: skipped.reason for skipped in retriever.report.skipped}
    assert reasons.keys() == {"latin1.txt", "binary.md", "empty.txt"}
    assert "not UTF-8" in reasons["latin1.txt"]
    assert "binary" in reasons["binary.md"]
    assert "empty" in reasons["empty.txt"]
    assert "latin1.txt" in caplog.text and "not UTF-8" in caplog.text


def test_unreadable_file_is_skipped(tmp_path: Path) -> None:
    """A file that stats fine but fails to read (here: /proc/self/mem, unreadable even for root)."""
    corpus = write_corpus(tmp_path / "c", {"good.txt": GOOD})
    (corpus / "broken.txt").symlink_to("/proc/self/mem")
    retriever = Retriever.open(corpus, index_path=tmp_path / "index", follow_symlinks=True)
    assert [doc.source for doc in retriever.documents] == ["good.txt"]
    [skipped] = retriever.report.skipped
    assert skipped.source == "broken.txt" and skipped.reason.startswith("cannot read")


def test_missing_corpus_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(CorpusError, match="not found"):
        open_corpus(tmp_path / "nowhere", tmp_path)


def test_corpus_without_documents_is_an_error(tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "c", {"readme.odt": b"PK\x03\x04"})
    with pytest.raises(CorpusError, match=r"no documents \(\.txt, \.md, .*\) in the corpus directory"):
        open_corpus(corpus, tmp_path)


def test_corpus_of_only_bad_files_is_an_error(tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "c", {"empty.txt": ""})
    with pytest.raises(CorpusError, match="no usable documents"):
        open_corpus(corpus, tmp_path)


def test_titles_come_from_manifest_then_first_line_then_file_name(tmp_path: Path) -> None:
    corpus = write_corpus(
        tmp_path / "c",
        {
            "manifest.toml": '[files."a.txt"]\ntitle = "From the manifest"\nurl = "https://example.com/a"\n',
            "a.txt": GOOD,
            "b.md": "Chip Stocks After DeepSeek\n" + GOOD,
            "sub/c.txt": GOOD.replace("Monday", "Tuesday"),
        },
    )
    titles = {doc.source: doc.title for doc in open_corpus(corpus, tmp_path).documents}
    assert titles == {"a.txt": "From the manifest", "b.md": "Chip Stocks After DeepSeek", "sub/c.txt": "c"}


def test_manifest_excludes_files(tmp_path: Path) -> None:
    corpus = write_corpus(
        tmp_path / "c", {"manifest.toml": 'exclude_files = ["drafts/*"]\n', "a.txt": GOOD, "drafts/b.txt": GOOD}
    )
    assert [doc.source for doc in open_corpus(corpus, tmp_path).documents] == ["a.txt"]


def test_manifest_with_unknown_key_is_an_error_naming_it(tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "c", {"manifest.toml": '[files."a.txt"]\ntitel = "typo"\n', "a.txt": GOOD})
    with pytest.raises(CorpusError, match=r"manifest\.toml: files\.a\.txt\.titel: unknown key"):
        open_corpus(corpus, tmp_path)


def test_manifest_with_bad_pattern_is_an_error(tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "c", {"manifest.toml": 'boilerplate = ["(unclosed"]\n', "a.txt": GOOD})
    with pytest.raises(CorpusError, match="not a valid regex"):
        open_corpus(corpus, tmp_path)


def test_bundled_corpus_has_the_five_seed_documents_with_titles(bundled: Retriever) -> None:
    seeds = Path(__file__).resolve().parent.parent.parent / "shared" / "seeds"
    assert len(bundled.documents) == 5
    assert all(doc.title and not doc.title.startswith("00") for doc in bundled.documents)
    if seeds.is_dir():  # the bundled files are the seeds, unchanged
        for doc in bundled.documents:
            assert (seeds / doc.source).read_bytes() == (
                Path(__file__).resolve().parent.parent / "corpus" / doc.source
            ).read_bytes()
