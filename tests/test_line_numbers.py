"""A quote cites the line it starts on, whatever the line endings, without counting through the whole document."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st
from support import write_corpus

from retrieval import Retriever
from retrieval.documents import line_breaks, line_of, lines_at

texts = st.lists(st.sampled_from(["a", "b. ", "\n", "\r", "\r\n", " "]), max_size=60).map("".join)


@given(text=texts, cuts=st.lists(st.integers(0, 200), max_size=8))
def test_lines_at_many_offsets_agree_with_line_of_each(text: str, cuts: list[int]) -> None:
    offsets = sorted(min(cut, len(text)) for cut in cuts)
    assert lines_at(text, offsets) == [line_of(text, offset) for offset in offsets]


@given(text=texts, cut=st.integers(0, 200))
def test_line_breaks_of_two_adjacent_pieces_add_up(text: str, cut: int) -> None:
    cut = min(cut, len(text))
    assert line_breaks(text, 0, cut) + line_breaks(text, cut, len(text)) == line_breaks(text, 0, len(text))


def test_quotes_cite_their_line_in_files_with_any_line_endings(tmp_path: Path) -> None:
    files = {
        "unix.txt": "Intro line.\n\nThe heron waits by the river.\n",
        "windows.txt": "Intro line.\r\n\r\nFiller text here.\r\nThe heron fishes at dawn.\r\n",
        "old-mac.txt": "Intro line.\r\rMore filler.\rThe heron nests in reeds.\r",
    }
    corpus = write_corpus(tmp_path / "docs", files)
    retriever = Retriever.open(corpus, index_path=tmp_path / "index")
    answer = retriever.ask("where does the heron wait, fish and nest?", top_k=5)
    assert {quote.source for quote in answer.quotes} == set(files)
    for quote in answer.quotes:
        lines = files[quote.source].splitlines()  # splits at \n, \r\n and a lone \r alike
        assert lines[quote.line - 1].startswith(quote.text.splitlines()[0])
