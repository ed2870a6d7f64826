"""Bad documents, clearly: each is skipped with one line naming the file and the reason, and the rest load. No
parser fetches a URL, resolves an external entity or reads another file."""

from __future__ import annotations

import http.server
import io
import logging
import sys
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pytest
from support import DEPLOY_HTML, TRAVEL_PAGES, make_docx, make_pdf, write_corpus

from retrieval import Retriever
from retrieval.documents import list_corpus_files, read_documents, read_manifest
from retrieval.index_cache import file_states

GOOD = "Nvidia shares plunged 17% on Monday after DeepSeek released its model to the public.\n"


def encrypted_pdf() -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(make_pdf(TRAVEL_PAGES))))
    writer.encrypt("a password only the author knows", algorithm="RC4-128")
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def image_only_pdf() -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.rect(20, 20, 120, 80, style="F")  # a page with drawing and no text, as a scan has
    return bytes(pdf.output())


def zip_of(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def skipped_reasons(retriever: Retriever) -> dict[str, str]:
    return {skipped.source: skipped.reason for skipped in retriever.report.skipped}


def test_each_bad_document_is_skipped_with_its_reason_and_the_rest_load(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    corpus = write_corpus(
        tmp_path / "c",
        {
            "good.txt": GOOD,
            "locked.pdf": encrypted_pdf(),
            "scan.pdf": image_only_pdf(),
            "truncated.pdf": make_pdf(TRAVEL_PAGES)[:300],
            "spreadsheet.docx": zip_of({"[Content_Types].xml": "<Types/>", "xl/workbook.xml": "<workbook/>"}),
            "archive.docx": zip_of({"notes.txt": "not a Word file"}),
            "renamed.docx": b"This was a text file before someone renamed it.",
            "garbage.html": b"\x89PNG\r\n\x1a\n\x00\x00binary",
            "furniture.html": b"<html><body><nav>Home | About</nav><footer>(c) 2025</footer></body></html>",
        },
    )
    with caplog.at_level(logging.WARNING):
        retriever = Retriever.open(corpus, index_path=tmp_path / "index")
    assert [doc.source for doc in retriever.documents] == ["good.txt"]
    reasons = skipped_reasons(retriever)
    assert reasons == {
        "locked.pdf": "encrypted PDF: it needs a password",
        "scan.pdf": "no text layer: OCR is not supported (a scanned or image-only PDF)",
        "truncated.pdf": reasons["truncated.pdf"],
        "spreadsheet.docx": "a zip archive, but not a Word document (it has no word/document.xml)",
        "archive.docx": "a zip archive, but not a Word document (it has no word/document.xml)",
        "renamed.docx": "not a Word document (.docx files are zip archives; this is not one)",
        "garbage.html": "binary file (contains NUL bytes), not HTML",
        "furniture.html": reasons["furniture.html"],
    }
    assert reasons["truncated.pdf"].startswith("not a readable PDF (")
    assert reasons["furniture.html"].startswith("no text content in the HTML")
    for source, reason in reasons.items():
        assert "\n" not in reason
        assert f"skipped {source!r}: {reason}" in caplog.text


def test_malformed_html_still_gives_its_text(tmp_path: Path) -> None:
    """Browsers read tag soup, and so does the HTML5 parser: unclosed and stray tags lose no words."""
    page = b"<p>The <b>migration window <i>opens at</p> midnight on Sundays</b></div><li>and closes at two"
    corpus = write_corpus(tmp_path / "c", {"soup.html": page})
    retriever = Retriever.open(corpus, index_path=tmp_path / "index")
    text = retriever.index.document_text(0)
    assert "The migration window opens at" in text and "midnight on Sundays" in text and "closes at two" in text


def test_a_file_over_the_size_limit_is_skipped_unread(tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "c", {"good.txt": GOOD, "huge.txt": GOOD * 100})
    retriever = Retriever.open(corpus, index_path=tmp_path / "index", max_file_bytes=1000)
    assert [doc.source for doc in retriever.documents] == ["good.txt"]
    assert skipped_reasons(retriever) == {
        "huge.txt": "over the size limit (8.3 KB > 1000 bytes; raise [corpus] max_file_mb to index it)"
    }


def test_a_file_that_disappears_while_being_read_is_skipped(tmp_path: Path) -> None:
    """Listed, then deleted before its bytes are read: that file is named, the rest load."""
    corpus = write_corpus(tmp_path / "c", {"good.txt": GOOD, "gone.txt": GOOD.replace("Monday", "Friday")})
    manifest = read_manifest(corpus)
    files, _ = list_corpus_files(corpus, manifest)
    (corpus / "gone.txt").unlink()
    _, contents = file_states(files, {})
    documents, skipped = read_documents(files, contents, manifest)
    assert [doc.source for doc in documents] == ["good.txt"]
    assert [(s.source, s.reason) for s in skipped] == [("gone.txt", "disappeared while being read (deleted or moved)")]


@pytest.mark.parametrize(
    ("module", "source", "content", "extra"),
    [
        ("pypdf", "policy.pdf", make_pdf(TRAVEL_PAGES), "pdf"),
        ("selectolax.lexbor", "page.html", DEPLOY_HTML.format(remote="http://127.0.0.1:9").encode(), "html"),
        ("docx", "guide.docx", make_docx("Guide", [("Intro", "Hello there, reader.")]), "docx"),
    ],
)
def test_without_its_extra_a_format_is_skipped_naming_the_extra(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, module: str, source: str, content: bytes, extra: str
) -> None:
    monkeypatch.setitem(sys.modules, module, None)  # as if the extra were not installed: importing it fails
    corpus = write_corpus(tmp_path / "c", {"good.txt": GOOD, source: content})
    retriever = Retriever.open(corpus, index_path=tmp_path / "index")
    [reason] = skipped_reasons(retriever).values()
    assert f"pip install 'citebot[{extra}]'" in reason


# ---------------------------------------------------------------------- nothing is fetched, nothing else is read


class _Recorder(http.server.BaseHTTPRequestHandler):
    requests: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        _Recorder.requests.append(self.path)
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"fetched")

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def remote() -> Iterator[str]:
    """A local web server that records every request: a parser that fetches anything shows up here."""
    _Recorder.requests = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def hostile_docx(secret: Path, remote: str) -> bytes:
    """A Word file whose XML declares an external entity (the secret file) and links a remote image."""
    package = zipfile.ZipFile(io.BytesIO(make_docx("Hostile", [("Intro", "Ordinary words here.")])))
    files = {name: package.read(name) for name in package.namelist()}
    document = files["word/document.xml"].decode()
    prolog, body = document.split("?>", 1)
    files["word/document.xml"] = (
        f'{prolog}?><!DOCTYPE w:document [<!ENTITY secret SYSTEM "file://{secret}">'
        f'<!ENTITY remote SYSTEM "{remote}/entity">]>'
        + body.replace("Ordinary words here.", "Ordinary words here. &secret; &remote;")
    ).encode()
    files["word/_rels/document.xml.rels"] = (
        files["word/_rels/document.xml.rels"]
        .decode()
        .replace(
            "</Relationships>",
            f'<Relationship Id="rIdRemote" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
            f'relationships/image" Target="{remote}/image.png" TargetMode="External"/></Relationships>',
        )
        .encode()
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_no_parser_fetches_a_url_or_reads_another_file(tmp_path: Path, remote: str) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-TOKEN\n", encoding="utf-8")
    rst = (
        "Hostile page\n============\n\nOrdinary words here.\n\n"
        f".. include:: {secret}\n\n.. raw:: html\n   :file: {secret}\n\n"
        f".. csv-table:: remote\n   :url: {remote}/table.csv\n\n.. image:: {remote}/picture.png\n"
    )
    markdown = f"# Hostile\n\nOrdinary words here. ![x]({remote}/img.png) [link]({remote}/page)\n"
    corpus = write_corpus(
        tmp_path / "c",
        {
            "page.html": DEPLOY_HTML.format(remote=remote)
            + f'<iframe src="{remote}/frame"></iframe><object data="{remote}/obj"></object>',
            "hostile.docx": hostile_docx(secret, remote),
            "hostile.rst": rst,
            "hostile.md": markdown,
        },
    )
    retriever = Retriever.open(corpus, index_path=tmp_path / "index")
    assert sorted(doc.source for doc in retriever.documents) == [
        "hostile.docx",
        "hostile.md",
        "hostile.rst",
        "page.html",
    ]
    for doc in range(len(retriever.documents)):
        text = retriever.index.document_text(doc)
        assert "TOP-SECRET-TOKEN" not in text and "fetched" not in text
    assert _Recorder.requests == []
