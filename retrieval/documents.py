"""The corpus on disk: which files count, what the manifest says of them, and which files are unusable.

Each file is read by the format its suffix names (`retrieval/formats/`): nothing else in retrieval/ knows formats.
"""

from __future__ import annotations

import datetime
import fnmatch
import importlib
import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import regex
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from retrieval.formats import Extracted, StructureHeading, Unreadable
from retrieval.sections import heading_name
from retrieval.settings import describe_validation_error

# Each suffix and the module of retrieval/formats/ that reads it.
FORMATS = {
    ".txt": "text",
    ".md": "markdown",
    ".markdown": "markdown",
    ".rst": "rst",
    ".html": "html",
    ".htm": "html",
    ".pdf": "pdf",
    ".docx": "docx",
}
DOCUMENT_SUFFIXES = tuple(FORMATS)
DEFAULT_MAX_FILE_BYTES = 100 * 1024 * 1024  # a policy PDF is a few MB; a 500 MB file is a mistake, not a document
MANIFEST_NAME = "manifest.toml"
_TITLE_MAX_CHARS = 120
_TITLE_MAX_WORDS = 16


class CorpusError(Exception):
    """The corpus as a whole cannot be used (missing, empty, bad manifest): one line for the operator."""


class ManifestEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str | None = None
    url: str | None = None
    date: str | None = None
    author: str | None = None
    boilerplate: list[str] = Field(default_factory=list, description="Regexes: matching lines are not indexed.")

    @field_validator("date", mode="before")
    @classmethod
    def _date_as_text(cls, value: object) -> object:
        """TOML dates (2025-01-27) and strings are both fine; citebot shows them as text."""
        return value.isoformat() if isinstance(value, datetime.date) else value


class Manifest(BaseModel):
    """`corpus/manifest.toml`: optional metadata; every key is checked so a typo is an error, not a no-op."""

    model_config = ConfigDict(extra="forbid")

    boilerplate: list[str] = Field(default_factory=list, description="Regexes applied to every file's lines.")
    exclude_files: list[str] = Field(default_factory=list, description="Glob patterns of files to leave out.")
    files: dict[str, ManifestEntry] = Field(default_factory=dict)

    def entry(self, source: str) -> ManifestEntry:
        return self.files.get(source) or ManifestEntry()

    def boilerplate_patterns(self, source: str) -> list[regex.Pattern[str]]:
        """The patterns for one file, compiled with `regex`, whose searches take a time limit (see boilerplate)."""
        return [regex.compile(p) for p in [*self.boilerplate, *self.entry(source).boilerplate]]


@dataclass(frozen=True)
class CorpusFile:
    """A candidate file, identified by its path relative to the corpus directory ('/' separators)."""

    source: str
    path: Path


@dataclass(frozen=True)
class Document:
    """A document as indexed: its extracted text (for .txt/.md/.rst, the file's text) and its structure."""

    source: str
    text: str
    title: str
    url: str | None = None
    date: str | None = None
    author: str | None = None
    file_format: str = "text"
    headings: tuple[StructureHeading, ...] | None = None  # None: found by their shape (sections.py)
    pages: tuple[int, ...] = ()  # where each page starts (PDF)
    metadata: tuple[tuple[int, int], ...] = ()  # spans that describe the document (front matter): not indexed
    derived: bool = False  # the text was extracted from the file (HTML, PDF, Word), not the file's own text


@dataclass(frozen=True)
class SkippedFile:
    source: str
    reason: str


def read_manifest(corpus_dir: Path) -> Manifest:
    path = corpus_dir / MANIFEST_NAME
    if not path.is_file():
        return Manifest()
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
        manifest = Manifest.model_validate(raw)
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise CorpusError(f"{path}: cannot read the manifest: {error}") from None
    except ValidationError as error:
        raise CorpusError(f"{path}: {describe_validation_error(error)}") from None
    for pattern in [*manifest.boilerplate, *(p for e in manifest.files.values() for p in e.boilerplate)]:
        try:
            regex.compile(pattern)
        except regex.error as error:
            raise CorpusError(f"{path}: boilerplate pattern {pattern!r} is not a valid regex: {error}") from None
    return manifest


NAME_NOT_UTF8 = "its file name is not valid UTF-8 (rename it to index it)"
OUTSIDE_THE_CORPUS = (
    "a symbolic link to a file outside the corpus directory (set [corpus] follow_symlinks = true to index it)"
)


def list_corpus_files(
    corpus_dir: Path,
    manifest: Manifest,
    *,
    follow_symlinks: bool = False,
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
) -> tuple[list[CorpusFile], list[SkippedFile]]:
    """Every document file (DOCUMENT_SUFFIXES) under the directory, sorted, minus hidden paths and the
    manifest's exclusions; and the files left out before reading: those that resolve outside the directory (a
    link to /etc/passwd is never quoted) and those over `max_file_bytes` (never read at all)."""
    if not corpus_dir.is_dir():
        raise CorpusError(f"corpus directory not found: {corpus_dir}")
    root = corpus_dir.resolve()
    files, skipped = [], []
    try:
        found = sorted(corpus_dir.rglob("*"))
    except RecursionError:
        raise CorpusError(f"{corpus_dir}: folders nested too deeply to list") from None
    except OSError as error:
        raise CorpusError(f"{corpus_dir}: cannot list the corpus ({error.strerror or error})") from None
    for path in found:
        source = path.relative_to(corpus_dir).as_posix()
        if path.suffix.lower() not in DOCUMENT_SUFFIXES or any(p.startswith(".") for p in source.split("/")):
            continue
        if any(fnmatch.fnmatch(source, pattern) for pattern in manifest.exclude_files):
            continue
        if not path.is_file():
            continue
        if not is_unicode_text(source):
            skipped.append(SkippedFile(source.encode("utf-8", "replace").decode("utf-8"), NAME_NOT_UTF8))
            continue
        if not follow_symlinks and not path.resolve().is_relative_to(root):
            skipped.append(SkippedFile(source, OUTSIDE_THE_CORPUS))
            continue
        try:
            size = path.stat().st_size
        except OSError:
            size = 0  # reading it will say what is wrong
        if size > max_file_bytes:
            skipped.append(SkippedFile(source, too_large(size, max_file_bytes)))
            continue
        files.append(CorpusFile(source, path))
    return files, skipped


def too_large(size: int, limit: int) -> str:
    return f"over the size limit ({_size(size)} > {_size(limit)}; raise [corpus] max_file_mb to index it)"


def _size(size: int) -> str:
    if size < 1024:
        return f"{size} bytes"
    return f"{size / 1024:.1f} KB" if size < 1024 * 1024 else f"{size / 1024 / 1024:.1f} MB"


def is_unicode_text(text: str) -> bool:
    """False for undecodable bytes smuggled in as lone surrogates (how file names, argv and stdin carry them)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def line_of(text: str, offset: int) -> int:
    """The 1-based line an offset is on, whatever the line endings (\n, \r\n or a lone \r)."""
    return line_breaks(text, 0, offset) + 1


def lines_at(text: str, offsets: Iterable[int]) -> list[int]:
    """`line_of` for each of many ascending offsets, in one pass over the text rather than one per offset."""
    lines, line, previous = [], 1, 0
    for offset in offsets:
        line += line_breaks(text, previous, offset)
        lines.append(line)
        previous = offset
    return lines


def line_breaks(text: str, start: int, end: int) -> int:
    """The line breaks that begin in `text[start:end]`; each \n, \r\n or lone \r counts once, a \r\n where
    its \r stands, so counts of adjacent pieces add up to the count of the whole."""
    count = text.count("\n", start, end) + text.count("\r", start, end) - text.count("\r\n", start, end)
    if 0 < start < end and text[start] == "\n" and text[start - 1] == "\r":
        count -= 1
    return count


def extract(source: str, raw: bytes) -> Extracted:
    """The file's extracted text and structure, read by the format its suffix names; raises Unreadable."""
    module = importlib.import_module(f"retrieval.formats.{FORMATS[PurePosixPath(source).suffix.lower()]}")
    extracted: Extracted = module.extract(raw)
    return extracted


def make_document(source: str, extracted: Extracted, manifest: Manifest) -> Document:
    """The document with its metadata: the manifest's title first (the operator's word), then the document's own,
    then one derived from its first line; the document's own link first, then the manifest's."""
    entry = manifest.entry(source)
    body_start = max((end for _, end in extracted.metadata), default=0)
    return Document(
        source=source,
        text=extracted.text,
        title=entry.title or extracted.title or derive_title(source, extracted.text[body_start : body_start + 4096]),
        url=extracted.url or entry.url,
        date=entry.date,
        author=entry.author,
        file_format=FORMATS[PurePosixPath(source).suffix.lower()],
        headings=extracted.headings,
        pages=extracted.pages,
        metadata=extracted.metadata,
        derived=extracted.derived,
    )


def derive_title(source: str, text: str) -> str:
    """The first line when it reads like a title (short, not a sentence), else the file name."""
    first = heading_name(next((line.strip() for line in text.splitlines() if line.strip()), ""))
    looks_like_title = (
        0 < len(first) <= _TITLE_MAX_CHARS
        and len(first.split()) <= _TITLE_MAX_WORDS
        and not first.endswith((".", ",", ";", ":"))
        and any(ch.isalpha() for ch in first)
    )
    return first if looks_like_title else Path(source).stem


def read_documents(
    files: list[CorpusFile],
    contents: dict[str, bytes | OSError],
    manifest: Manifest,
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
    progress: Callable[[str, int, int], None] | None = None,
) -> tuple[list[Document], list[SkippedFile]]:
    """Each listed file read into a document, or skipped with the reason; `contents` holds the bytes
    already read while checking the files (each is let go once read)."""
    documents: list[Document] = []
    skipped: list[SkippedFile] = []
    for number, file in enumerate(files):
        if progress is not None:
            progress("reading", number, len(files))
        extracted = extract_file(file, contents.pop(file.source, None), max_file_bytes)  # bytes let go once read
        if isinstance(extracted, SkippedFile):
            skipped.append(extracted)
        else:
            documents.append(make_document(file.source, extracted, manifest))
    return documents, skipped


def extract_file(file: CorpusFile, raw: bytes | OSError | None, max_file_bytes: int) -> Extracted | SkippedFile:
    """One file's extracted text and structure (from `raw` when already read), or why it is skipped."""
    if raw is None:
        try:
            raw = file.path.read_bytes()
        except OSError as error:
            raw = error
    if isinstance(raw, OSError):
        return SkippedFile(file.source, unreadable_reason(raw))
    if len(raw) > max_file_bytes:  # it grew after it was listed
        return SkippedFile(file.source, too_large(len(raw), max_file_bytes))
    try:
        return extract(file.source, raw)
    except Unreadable as error:
        return SkippedFile(file.source, str(error))


def unreadable_reason(error: OSError) -> str:
    if isinstance(error, FileNotFoundError):
        return "disappeared while being read (deleted or moved)"
    return f"cannot read ({error.strerror or error})"
