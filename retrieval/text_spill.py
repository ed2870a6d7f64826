"""The corpus's text, moved out of memory while a large index is built.

A build holds every document's text from the start (it is cleaned and chunked from it), and the index keeps it
as one UTF-8 blob. Held in memory, that blob sat next to the engine's postings when they were merged at the
end, the build's peak; written to an unnamed temporary file as each document is chunked, it is in the page
cache instead (not in the process's memory), and comes back only once the postings are done.
"""

from __future__ import annotations

import tempfile
from typing import IO

import numpy as np
import numpy.typing as npt

from retrieval.memory import give_back_freed_memory

_TRIM_BYTES = 64 << 20  # give freed texts back to the system each time this much more text has moved


class TextSpill:
    """Documents' UTF-8 texts appended in order to an unnamed temporary file (gone when closed, or if the
    process dies), then read back as one array."""

    def __init__(self, offsets: npt.NDArray[np.int64]) -> None:
        self._offsets = offsets
        # The file lives as long as the spill: `read_back` or `close` closes it (the build's `finally`).
        self._file: IO[bytes] = tempfile.TemporaryFile(prefix="citebot-texts-")  # noqa: SIM115
        self._written = 0

    def append(self, doc_id: int, text: str) -> None:
        """A document's text, in document order; its size must be the one its offsets were made for."""
        encoded = text.encode("utf-8")
        if self._offsets[doc_id] != self._written or self._offsets[doc_id + 1] - self._written != len(encoded):
            raise ValueError(f"document {doc_id}'s text is not where its offsets put it")
        self._file.write(encoded)
        before, self._written = self._written, self._written + len(encoded)
        if self._written // _TRIM_BYTES > before // _TRIM_BYTES:
            give_back_freed_memory()  # the texts moved so far, while the file fills

    def read_back(self) -> npt.NDArray[np.uint8]:
        """Every text as one array, and the file closed."""
        if self._written != self._offsets[-1]:
            raise ValueError(f"{self._written} bytes of text were written, {int(self._offsets[-1])} expected")
        try:
            self._file.seek(0)
            blob = np.fromfile(self._file, dtype=np.uint8, count=self._written)
        finally:
            self._file.close()
        if len(blob) != self._written:
            raise OSError(f"read back {len(blob)} of {self._written} bytes of text")
        return blob

    def close(self) -> None:
        self._file.close()
