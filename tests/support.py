"""Helpers for the core tests (importable as `support`, since pytest puts tests/ on the path)."""

from __future__ import annotations

from pathlib import Path


def write_corpus(directory: Path, files: dict[str, str | bytes]) -> Path:
    """A small corpus on disk; bytes are written as they are, to make broken files."""
    directory.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        path = directory / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return directory
