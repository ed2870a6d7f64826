"""Passages: a few consecutive sentences of one content block, overlapping their neighbours.

Passages never cross documents or boilerplate (each content block is chunked on its own), so a quote built
from a passage's sentences is always one clean, contiguous slice of its file.
"""

from __future__ import annotations

from collections.abc import Sequence

from retrieval.sentences import split_sentences


def chunk_block(
    text: str, lines: Sequence[tuple[int, int]], *, size: int, overlap: int, max_chars: int
) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """The sentences of a block of lines, and its passages as `[first, stop)` ranges over those sentences."""
    sentences = split_sentences(text, lines[0][0], lines[-1][1]) if lines else []
    passages: list[tuple[int, int]] = []
    first = 0
    while first < len(sentences):
        stop = first + 1
        while stop < len(sentences) and stop - first < size and sentences[stop][1] - sentences[first][0] <= max_chars:
            stop += 1
        passages.append((first, stop))
        if stop == len(sentences):
            break
        first = max(first + 1, stop - overlap)
    return sentences, passages
