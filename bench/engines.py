"""The three BM25 engines behind one small interface: build, save, load, top-10.

Each adapter uses its library the way its documentation shows, with the same k1 and b:
* citebot: `Bm25Engine` saved with `write_index_file` and loaded memory-mapped;
* rank-bm25: `BM25Okapi.get_scores` then a top-k selection (it has no persistence; pickle is what people use);
* bm25s: `BM25(method="robertson")`, `retrieve(k=10)`, `save`, `load(mmap=True)` (its fastest start-up).
"""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from retrieval.bm25 import Bm25Engine
from retrieval.index_file import read_index_file, write_index_file

K1, B, EPSILON = 1.5, 0.75, 0.25
TOP_K = 10


class BenchEngine(Protocol):
    name: str

    def build(self, passages: list[list[str]]) -> None: ...
    def save(self, directory: Path) -> None: ...
    def load(self, directory: Path) -> None: ...
    def top_k(self, question: list[str]) -> list[int]: ...


class CitebotEngine:
    name = "citebot"

    def __init__(self) -> None:
        self.engine: Bm25Engine | None = None

    def build(self, passages: list[list[str]]) -> None:
        self.engine = Bm25Engine.build(passages, k1=K1, b=B, epsilon=EPSILON)

    def save(self, directory: Path) -> None:
        assert self.engine is not None
        arrays, meta = self.engine.to_arrays()
        write_index_file(directory / "index.bin", {"bm25": meta}, arrays)

    def load(self, directory: Path) -> None:
        header, arrays = read_index_file(directory / "index.bin")
        self.engine = Bm25Engine.from_arrays(arrays, header["bm25"])

    def top_k(self, question: list[str]) -> list[int]:
        assert self.engine is not None
        return [passage for passage, _ in self.engine.top_k(question, TOP_K)]


class RankBm25Engine:
    name = "rank-bm25"

    def __init__(self) -> None:
        self.engine: Any = None

    def build(self, passages: list[list[str]]) -> None:
        from rank_bm25 import BM25Okapi

        self.engine = BM25Okapi(passages, k1=K1, b=B, epsilon=EPSILON)

    def save(self, directory: Path) -> None:
        with (directory / "rank_bm25.pickle").open("wb") as out:
            pickle.dump(self.engine, out, protocol=pickle.HIGHEST_PROTOCOL)

    def load(self, directory: Path) -> None:
        with (directory / "rank_bm25.pickle").open("rb") as saved:
            self.engine = pickle.load(saved)  # our own file, written a moment ago

    def top_k(self, question: list[str]) -> list[int]:
        """Positive scores, best first, equal scores by lower id: the same rule as citebot's top_k."""
        scores = self.engine.get_scores(question)
        candidates = np.flatnonzero(scores > 0)
        if len(candidates) > TOP_K:
            values = scores[candidates]
            kth_best = np.partition(values, len(values) - TOP_K)[len(values) - TOP_K]
            candidates = candidates[values >= kth_best]  # every tie at the boundary, so the lower id can win
        ordered = candidates[np.lexsort((candidates, -scores[candidates]))][:TOP_K]
        return [int(i) for i in ordered]


class Bm25sEngine:
    name = "bm25s"

    def __init__(self) -> None:
        self.engine: Any = None

    def build(self, passages: list[list[str]]) -> None:
        import bm25s

        self.engine = bm25s.BM25(k1=K1, b=B, method="robertson")
        self.engine.index(passages, show_progress=False)

    def save(self, directory: Path) -> None:
        self.engine.save(str(directory / "bm25s"))

    def load(self, directory: Path) -> None:
        import bm25s

        self.engine = bm25s.BM25.load(str(directory / "bm25s"), mmap=True)

    def top_k(self, question: list[str]) -> list[int]:
        documents, scores = self.engine.retrieve([question], k=TOP_K, show_progress=False)
        return [int(d) for d, s in zip(documents[0], scores[0], strict=True) if s > 0]


ENGINES: dict[str, type[BenchEngine]] = {
    CitebotEngine.name: CitebotEngine,
    RankBm25Engine.name: RankBm25Engine,
    Bm25sEngine.name: Bm25sEngine,
}
