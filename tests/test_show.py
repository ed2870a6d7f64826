"""`citebot show`: the stored text quotes are cut from, so anyone can check a quote against what was indexed,
even after the file changed."""

from __future__ import annotations

import json
from pathlib import Path

from support import TRAVEL_PAGES, make_pdf, write_corpus
from test_cli import citebot

from retrieval import Retriever

NOTES = "Release notes\n\nThe importer now reads gzip archives directly. Old archives still work.\n"


def corpus_with_config(tmp_path: Path, files: dict[str, str | bytes]) -> tuple[Path, Path]:
    corpus = write_corpus(tmp_path / "c", files)
    config = tmp_path / "citebot.toml"
    config.write_text(f'[corpus]\npath = "{corpus}"\nindex_path = "{tmp_path / "index"}"\n', encoding="utf-8")
    return corpus, config


def ask_json(config: Path, question: str) -> dict[str, object]:
    result = citebot("ask", "--json", "--config", str(config), question)
    assert result.returncode == 0, result.stderr
    answer: dict[str, object] = json.loads(result.stdout)
    return answer


def test_show_of_a_quotes_span_prints_the_quote(tmp_path: Path) -> None:
    _, config = corpus_with_config(tmp_path, {"notes.txt": NOTES, "policy.pdf": make_pdf(TRAVEL_PAGES)})
    for question in ("does the importer read gzip archives?", "how much may a hotel night cost in Berlin?"):
        [quote, *_] = ask_json(config, question)["quotes"]  # type: ignore[misc]
        result = citebot("show", "--config", str(config), f"{quote['source']}:{quote['start']}-{quote['end']}")
        assert result.returncode == 0, result.stderr
        assert result.stdout == quote["text"] + "\n"


def test_show_prints_the_extracted_text_of_a_pdf(tmp_path: Path) -> None:
    _, config = corpus_with_config(tmp_path, {"policy.pdf": make_pdf(TRAVEL_PAGES)})
    result = citebot("show", "--config", str(config), "policy.pdf")
    assert result.returncode == 0, result.stderr
    assert "A hotel night may cost at most 180 euros in Berlin" in result.stdout
    assert "%PDF" not in result.stdout


def test_after_the_file_changes_quotes_and_show_keep_to_the_indexed_text(tmp_path: Path) -> None:
    """Offsets always point into the stored text of the indexed version, never into the new file."""
    corpus = write_corpus(tmp_path / "c", {"notes.txt": NOTES})
    retriever = Retriever.open(corpus, index_path=tmp_path / "index")
    (corpus / "notes.txt").write_text("Rewritten.\n\n" + NOTES.replace("gzip", "zstd"), encoding="utf-8")

    [quote, *_] = retriever.ask("does the importer read gzip archives?").quotes
    assert "gzip archives" in quote.text
    assert NOTES[quote.start : quote.end] == quote.text
    assert retriever.index.document_text(0)[quote.start : quote.end] == quote.text

    config = tmp_path / "citebot.toml"
    config.write_text(f'[corpus]\npath = "{corpus}"\nindex_path = "{tmp_path / "index"}"\n', encoding="utf-8")
    result = citebot("show", "--config", str(config), f"notes.txt:{quote.start}-{quote.end}")
    assert result.stdout == quote.text + "\n"
    assert "the corpus changed since it was indexed" in result.stderr


def test_show_never_sends_a_documents_control_characters_to_the_terminal(tmp_path: Path) -> None:
    _, config = corpus_with_config(tmp_path, {"evil.txt": "Title\n\nA sentence with \x1b[2J a screen clear in it.\n"})
    result = citebot("show", "--config", str(config), "evil.txt")
    assert "\x1b" not in result.stdout and "\\x1b[2J" in result.stdout


def test_show_of_an_unknown_document_or_span_is_one_line(tmp_path: Path) -> None:
    _, config = corpus_with_config(tmp_path, {"notes.txt": NOTES})
    missing = citebot("show", "--config", str(config), "nope.txt")
    assert missing.returncode == 2 and len(missing.stderr.splitlines()) == 1 and "nope.txt" in missing.stderr
    outside = citebot("show", "--config", str(config), "notes.txt:10-99999")
    assert outside.returncode == 2 and "outside 'notes.txt'" in outside.stderr
