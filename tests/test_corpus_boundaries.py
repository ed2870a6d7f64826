"""A corpus is its directory: links that lead elsewhere are skipped and named, unless the operator allows them."""

from __future__ import annotations

from pathlib import Path

from support import write_corpus

from retrieval import Retriever

TEXT = "Nvidia shares plunged 17% on Monday after the new model was released.\n"
SECRET = "root:x:0:0:the secret line that must never be quoted:/root:/bin/bash\n"


def corpus_with_outside_link(tmp_path: Path) -> Path:
    outside = tmp_path / "outside.txt"
    outside.write_text(SECRET, encoding="utf-8")
    corpus = write_corpus(tmp_path / "c", {"a.txt": TEXT})
    (corpus / "x.txt").symlink_to(outside)
    return corpus


def test_a_link_to_a_file_outside_the_corpus_is_skipped_and_named(tmp_path: Path) -> None:
    retriever = Retriever.open(corpus_with_outside_link(tmp_path), index_path=tmp_path / "i")
    assert [d.source for d in retriever.documents] == ["a.txt"]
    assert [(s.source, "outside the corpus" in s.reason) for s in retriever.report.skipped] == [("x.txt", True)]
    assert not retriever.ask("What is the secret line?").answered


def test_follow_symlinks_lets_the_operator_index_it(tmp_path: Path) -> None:
    retriever = Retriever.open(corpus_with_outside_link(tmp_path), index_path=tmp_path / "i", follow_symlinks=True)
    assert sorted(d.source for d in retriever.documents) == ["a.txt", "x.txt"]


def test_a_link_inside_the_corpus_is_indexed(tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "c", {"a.txt": TEXT})
    (corpus / "b.txt").symlink_to(corpus / "a.txt")
    retriever = Retriever.open(corpus, index_path=tmp_path / "i")
    assert sorted(d.source for d in retriever.documents) == ["a.txt", "b.txt"]
