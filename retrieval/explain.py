"""`citebot index --explain FILE`: what cleaning kept of one document and what it left out, line by line."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from retrieval.boilerplate import BoilerplateFilter, LineKind, SlowPatternError
from retrieval.chunking import classify_document
from retrieval.documents import CorpusError, lines_at, list_corpus_files, read_documents, read_manifest


@dataclass(frozen=True)
class ExplainedLine:
    line: int  # 1-based line number where it starts
    kept: bool
    reason: str  # why it was left out; empty when kept
    text: str


def explain_file(corpus_dir: Path, source: str, *, follow_symlinks: bool = False) -> list[ExplainedLine]:
    """Every non-blank line of `source` (a path relative to the corpus, or a path to a file in it), judged as
    indexing judges it: against the whole corpus, since repetition across documents is evidence."""
    manifest = read_manifest(corpus_dir)
    files, _ = list_corpus_files(corpus_dir, manifest, follow_symlinks=follow_symlinks)
    wanted = _relative(corpus_dir, source)
    documents, _ = read_documents(files, {}, manifest)
    document = next((doc for doc in documents if doc.source == wanted), None)
    if document is None:
        raise CorpusError(f"{source}: not a readable document of the corpus {corpus_dir}")
    cleaner = BoilerplateFilter(doc.text for doc in documents)
    try:
        lines = classify_document(cleaner, document, manifest)
    except SlowPatternError as error:
        raise CorpusError(f"{corpus_dir}: {error}") from None
    numbers = lines_at(document.text, (line.start for line in lines))
    return [
        ExplainedLine(
            number,
            line.kind is LineKind.CONTENT,
            "" if line.kind is LineKind.CONTENT or line.reason is None else line.reason.value,
            document.text[line.start : line.end],
        )
        for number, line in zip(numbers, lines, strict=True)
    ]


def _relative(corpus_dir: Path, source: str) -> str:
    path = Path(source)
    if path.is_absolute() or path.exists():
        try:
            return path.resolve().relative_to(corpus_dir.resolve()).as_posix()
        except ValueError:
            return source
    return source
