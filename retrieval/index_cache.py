"""The saved index as a cache: where it lives, what each file was, and the key that says whether it is current.

The key hashes the corpus files' contents, the manifest, the indexing settings, the code that shapes an index and
the versions of the format libraries that extract text (installing `citebot[pdf]` brings in the skipped PDFs);
a file whose size, mtime and ctime are unchanged reuses its saved digest instead of being read again.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from retrieval.documents import MANIFEST_NAME, CorpusFile, SkippedFile, unreadable_reason
from retrieval.formats import library_versions
from retrieval.index_file import IndexFileError, read_index_header
from retrieval.settings import RetrievalSettings

# Modules that read an index but never shape one: changing them must not rebuild (and re-embed) every index.
ANSWERING_ONLY_MODULES = frozenset(
    {
        "answer_types.py",
        "answers.py",
        "citations.py",
        "compose.py",
        "evaluation.py",
        "explain.py",
        "question.py",
        "retriever.py",
    }
)


@dataclass(frozen=True)
class FileState:
    """What a file was when indexed: enough to tell, without reading it, that it is unchanged."""

    source: str
    size: int
    mtime_ns: int
    ctime_ns: int
    digest: str


def default_index_path(corpus_dir: Path) -> Path:
    """A per-corpus file in the user's cache directory, so a read-only corpus still gets a saved index."""
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    digest = hashlib.sha256(str(corpus_dir.resolve()).encode()).hexdigest()[:16]
    return cache / "citebot" / f"{corpus_dir.resolve().name}-{digest}.index"


def previous_file_states(path: Path) -> dict[str, FileState]:
    try:
        header = read_index_header(path)
        return {f["source"]: FileState(**f) for f in header.get("files", [])}
    except (IndexFileError, OSError, TypeError, KeyError):
        return {}


def file_states(
    files: list[CorpusFile], previous: dict[str, FileState]
) -> tuple[list[FileState], dict[str, bytes | OSError]]:
    """Each file's content digest. A file whose size, mtime and ctime are unchanged reuses its saved digest
    instead of being read again (any write changes ctime, which no tool can set back)."""
    states: list[FileState] = []
    contents: dict[str, bytes | OSError] = {}
    for file in files:
        try:
            stat = file.path.stat()
            signature = (stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns)
            known = previous.get(file.source)
            if known and (known.size, known.mtime_ns, known.ctime_ns) == signature:
                states.append(known)
                continue
            raw = file.path.read_bytes()
        except OSError as error:
            contents[file.source] = error
            states.append(FileState(file.source, -1, -1, -1, f"unreadable: {unreadable_reason(error)}"))
            continue
        contents[file.source] = raw
        states.append(FileState(file.source, *signature, hashlib.sha256(raw).hexdigest()))
    return states, contents


@cache
def pipeline_digest() -> str:
    """The indexing code itself is part of the key: an upgrade that changes how text is read, cleaned, cut,
    analyzed or embedded rebuilds saved indexes instead of serving passages made by the old code. Every module
    of the package is hashed except those that only answer (a new module counts until it is listed there), so
    no hand-kept list of indexing modules can miss one."""
    digest = hashlib.sha256()
    package = Path(__file__).resolve().parent
    for path in sorted(package.rglob("*.py")):
        if path.name not in ANSWERING_ONLY_MODULES:
            digest.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def index_key(
    corpus_dir: Path, settings: RetrievalSettings, states: list[FileState], outside: list[SkippedFile], schema: int
) -> str:
    """Everything that decides what an index holds: a saved index with another key is rebuilt, never used."""
    manifest_path = corpus_dir / MANIFEST_NAME
    manifest_digest = hashlib.sha256(manifest_path.read_bytes()).hexdigest() if manifest_path.is_file() else ""
    material: dict[str, Any] = {
        "schema": schema,
        "pipeline": pipeline_digest(),
        "settings": settings.index_key_fields(),
        "manifest": manifest_digest,
        "formats": library_versions(),
        "files": [(s.source, s.digest) for s in states],
        "outside": [s.source for s in outside],
    }
    return hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest()
