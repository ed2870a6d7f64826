"""`citebot index` shows its progress on a terminal: the build reports each file read and each document cut."""

from __future__ import annotations

from pathlib import Path

from support import write_corpus

from bot.progress import progress_bar
from retrieval import Retriever


def test_a_build_reports_every_file_read_and_every_document_cut(tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "corpus", {f"{n}.txt": f"Note {n}\n\nZebras graze at dawn.\n" for n in range(3)})
    seen: list[tuple[str, int, int]] = []
    Retriever.open(corpus, index_path=tmp_path / "i.index", rebuild=True, progress=lambda *step: seen.append(step))
    assert [step for step in seen if step[0] == "reading"] == [("reading", n, 3) for n in range(3)]
    assert [step for step in seen if step[0] == "indexing"] == [("indexing", n, 3) for n in range(3)]


def test_no_bar_is_drawn_when_stderr_is_not_a_terminal() -> None:
    with progress_bar() as progress:  # pytest captures stderr: a pipe, as in a script or a log
        assert progress is None
