"""The BM25 engines behind one small interface: build, save, load, top-10.

Each adapter uses its library the way its documentation shows, with the same k1 and b where it has them:
* citebot: `Bm25Engine` saved with `write_index_file` and loaded memory-mapped; `citebot-exhaustive` is the
  same engine scoring every posting (`top_k_exhaustive`, citebot before pruning);
* rank-bm25: `BM25Okapi.get_scores` then a top-k selection (it has no persistence; pickle is what people use);
* bm25s: `BM25(method="robertson")`, `retrieve(k=10)`, `save`, `load(mmap=True)` (its fastest start-up);
* tantivy: the Python bindings, one text field with the whitespace tokenizer over the same tokens (term
  frequencies, no positions), the passage id as a stored field fetched for every hit, a 2-thread writer
  merged to one segment, a boolean OR of term queries.  Its BM25 is Lucene's (k1 1.2, b 0.75, idf
  ``log(1 + (N - n + 0.5) / (n + 0.5))``, lengths quantised to a byte), fixed by the library.
"""

from __future__ import annotations

import pickle
import shutil
import tempfile
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


class CitebotExhaustiveEngine(CitebotEngine):
    name = "citebot-exhaustive"

    def top_k(self, question: list[str]) -> list[int]:
        assert self.engine is not None
        return [passage for passage, _ in self.engine.top_k_exhaustive(question, TOP_K)]


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


class TantivyEngine:
    name = "tantivy"
    THREADS = 2
    HEAP_BYTES = 512 * 1024 * 1024

    def __init__(self) -> None:
        self.index: Any = None
        self.searcher: Any = None
        self.schema: Any = None
        self.directory: Path | None = None

    def build(self, passages: list[list[str]]) -> None:
        """Tantivy indexes into a directory: a temporary one until `save` names the real one."""
        import tantivy

        builder = tantivy.SchemaBuilder()
        builder.add_text_field("body", stored=False, tokenizer_name="whitespace", index_option="freq")
        builder.add_integer_field("id", stored=True, indexed=False)
        self.schema = builder.build()
        self.directory = Path(tempfile.mkdtemp(prefix="tantivy-"))
        self.index = tantivy.Index(self.schema, path=str(self.directory))
        writer = self.index.writer(heap_size=self.HEAP_BYTES, num_threads=self.THREADS)
        for passage_id, tokens in enumerate(passages):
            writer.add_document(tantivy.Document(id=passage_id, body=" ".join(tokens)))
        writer.commit()
        writer.wait_merging_threads()
        self.index.reload()
        self.searcher = self.index.searcher()

    def save(self, directory: Path) -> None:
        assert self.directory is not None
        shutil.copytree(self.directory, directory / "tantivy")

    def load(self, directory: Path) -> None:
        import tantivy

        self.index = tantivy.Index.open(str(directory / "tantivy"))
        self.schema = self.index.schema
        self.searcher = self.index.searcher()

    def top_k(self, question: list[str]) -> list[int]:
        import tantivy

        query = tantivy.Query.boolean_query(
            [(tantivy.Occur.Should, tantivy.Query.term_query(self.schema, "body", token)) for token in question]
        )
        hits = self.searcher.search(query, TOP_K).hits
        return [int(self.searcher.doc(address)["id"][0]) for _, address in hits]

    def close(self) -> None:
        if self.directory is not None:
            shutil.rmtree(self.directory, ignore_errors=True)


ENGINES: dict[str, type[BenchEngine]] = {
    CitebotEngine.name: CitebotEngine,
    CitebotExhaustiveEngine.name: CitebotExhaustiveEngine,
    RankBm25Engine.name: RankBm25Engine,
    Bm25sEngine.name: Bm25sEngine,
    TantivyEngine.name: TantivyEngine,
}
