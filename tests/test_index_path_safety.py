"""citebot only ever replaces its own index files: anything else at the index path is refused, untouched."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from support import write_corpus

from bot.cli import main
from retrieval import CorpusError, Retriever

TEXT = "Nvidia shares plunged 17% on Monday after the new model was released.\n"


def test_an_existing_file_that_is_not_an_index_is_refused_and_left_as_it_was(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("my notes\n", encoding="utf-8")
    corpus = write_corpus(tmp_path / "c", {"a.txt": TEXT})
    with pytest.raises(CorpusError, match="not a citebot index"):
        Retriever.open(corpus, index_path=notes)
    assert notes.read_text(encoding="utf-8") == "my notes\n"


def test_the_command_says_so_in_one_line_and_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "c.toml"
    config.write_text(f'[corpus]\nindex_path = "{config}"\n', encoding="utf-8")
    before = config.read_bytes()
    assert main(["ask", "--config", str(config), "what did Nadella say?"]) == 2
    assert "not a citebot index" in capsys.readouterr().err
    assert config.read_bytes() == before


def test_a_fifo_at_the_index_path_is_refused_without_opening_it(tmp_path: Path) -> None:
    fifo = tmp_path / "index.fifo"
    os.mkfifo(fifo)
    corpus = write_corpus(tmp_path / "c", {"a.txt": TEXT})
    with pytest.raises(CorpusError, match="not a regular file"):
        Retriever.open(corpus, index_path=fifo)


def test_an_old_index_and_an_empty_file_are_replaced(tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "c", {"a.txt": TEXT})
    index = tmp_path / "i"
    index.touch()
    assert Retriever.open(corpus, index_path=index).report.saved
    write_corpus(corpus, {"b.txt": "Meta will spend $65 billion on AI this year.\n"})
    reopened = Retriever.open(corpus, index_path=index)
    assert reopened.report.rebuilt and reopened.report.saved and reopened.report.documents == 2
