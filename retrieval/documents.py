"""The corpus on disk: which files count, what the manifest says of them, and which files are unusable."""

from __future__ import annotations

import datetime
import fnmatch
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import regex
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from retrieval.settings import describe_validation_error

DOCUMENT_SUFFIXES = (".txt", ".md")
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
    source: str
    text: str
    title: str
    url: str | None = None
    date: str | None = None
    author: str | None = None


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
    corpus_dir: Path, manifest: Manifest, *, follow_symlinks: bool = False
) -> tuple[list[CorpusFile], list[SkippedFile]]:
    """Every .txt/.md file under the directory, sorted, minus hidden paths and the manifest's exclusions; and
    the files left out because they resolve outside the directory (a link to /etc/passwd is never quoted)."""
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
        files.append(CorpusFile(source, path))
    return files, skipped


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


def decode_text(raw: bytes) -> tuple[str | None, str]:
    """The file's text, or None and the reason it cannot be a document."""
    if b"\x00" in raw:
        return None, "binary file (contains NUL bytes)"
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        return None, f"not UTF-8 (invalid byte at offset {error.start})"
    if not text.strip():
        return None, "empty file"
    return text, ""


def make_document(source: str, text: str, manifest: Manifest) -> Document:
    entry = manifest.entry(source)
    return Document(
        source=source,
        text=text,
        title=entry.title or derive_title(source, text),
        url=entry.url,
        date=entry.date,
        author=entry.author,
    )


def derive_title(source: str, text: str) -> str:
    """The first line when it reads like a title (short, not a sentence), else the file name."""
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    looks_like_title = (
        0 < len(first) <= _TITLE_MAX_CHARS
        and len(first.split()) <= _TITLE_MAX_WORDS
        and not first.endswith((".", ",", ";", ":"))
        and any(ch.isalpha() for ch in first)
    )
    return first if looks_like_title else Path(source).stem


def read_documents(
    files: list[CorpusFile], contents: dict[str, bytes | OSError], manifest: Manifest
) -> tuple[list[Document], list[SkippedFile]]:
    """Each listed file decoded into a document, or skipped with the reason; `contents` holds the bytes
    already read while checking the files (each is let go once decoded)."""
    documents: list[Document] = []
    skipped: list[SkippedFile] = []
    for file in files:
        raw = contents.pop(file.source, None)  # let each file's bytes go once decoded
        if raw is None:
            try:
                raw = file.path.read_bytes()
            except OSError as error:
                raw = error
        if isinstance(raw, OSError):
            skipped.append(SkippedFile(file.source, f"cannot read ({raw.strerror or raw})"))
            continue
        text, reason = decode_text(raw)
        if text is None:
            skipped.append(SkippedFile(file.source, reason))
        else:
            documents.append(make_document(file.source, text, manifest))
    return documents, skipped
