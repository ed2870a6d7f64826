"""Live updates: a full build against a one-file update, on synthetic corpora of 10k and 100k passages.

    python -m bench.live [--sizes 10k,100k]

For each size, in one process and one run: a full build (`Retriever.open(rebuild=True)`: read, clean, cut,
analyse, index, save), then the live re-indexer's first build (it reads everything once), then one file edited
and re-indexed (`IndexBuilder.build`: changed file read, cut and counted again, the engine rebuilt over every
passage from the kept documents' counted terms, saved).
The update's time is reported as a share of the full build's.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from bench.corpora import write_synthetic_corpus_dir
from bench.run import parse_size, size_label
from retrieval import RetrievalSettings, Retriever
from retrieval.incremental import IndexBuilder


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.live", description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10k,100k", help="passages per corpus (default 10k,100k)")
    parser.add_argument("--data-dir", type=Path, default=Path(__file__).parent / "data")
    args = parser.parse_args(argv)
    print("| passages | full build s | first live build s | one-file update s | update / full |")
    print("|---|---|---|---|---|")
    for size in (parse_size(text) for text in args.sizes.split(",")):
        corpus = args.data_dir / f"live-synthetic-{size_label(size)}"
        write_synthetic_corpus_dir(corpus, size)
        index_path = args.data_dir / f"live-{size_label(size)}.index"
        began = time.perf_counter()
        full = Retriever.open(corpus, RetrievalSettings(), index_path.with_suffix(".full"), rebuild=True)
        full_seconds = time.perf_counter() - began

        builder = IndexBuilder(corpus, RetrievalSettings(), index_path)
        began = time.perf_counter()
        builder.build()
        first_seconds = time.perf_counter() - began

        edited = sorted(corpus.rglob("*.txt"))[len(list(corpus.rglob("*.txt"))) // 2]
        original = edited.read_text()
        edited.write_text(original + "\nA freshly added sentence about zebras in the northern reserve.\n")
        try:
            began = time.perf_counter()
            result = builder.build()
            update_seconds = time.perf_counter() - began
        finally:
            edited.write_text(original)
        assert result is not None and builder.counts.chunked == 1, builder.counts
        print(
            f"| {full.report.passages:,} | {full_seconds:.2f} | {first_seconds:.2f} | {update_seconds:.2f} "
            f"| {update_seconds / full_seconds:.1%} |",
            flush=True,
        )


if __name__ == "__main__":
    main(sys.argv[1:])
