"""The end-to-end build at scale: files -> saved index, its peak memory, and the index it makes in use.

    python -m bench.build [--sizes 1M,5M] [--questions 200]

For each size, a synthetic corpus directory (100-passage files, as `python -m bench` writes) is indexed by
`Retriever.open(rebuild=True)` in a fresh process (build time, that process's peak RSS, index size), then
loaded in another and asked questions drawn from the corpus (load time, retrieval and answer p50/p99).
Memory is each process's own high-water mark (VmHWM; the chunking workers a build forks are not in it): the
build's (`citebot index`'s, which leaves the compiled top-k uncompiled) and the serving process's.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bench.run import BENCH_DIR, parse_size, run_retriever, size_label


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.build", description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1M", help="passages per corpus (default 1M)")
    parser.add_argument("--questions", type=int, default=200, help="questions per size (default 200)")
    parser.add_argument("--concurrency", type=int, default=20, help="questions in the burst (default 20)")
    parser.add_argument("--data-dir", type=Path, default=BENCH_DIR / "data", help="corpora and indexes")
    args = parser.parse_args(argv)
    data_dir: Path = args.data_dir.resolve()
    print(
        "| passages | build s | build peak RSS MB | index MB | load s | serving peak RSS MB "
        "| retrieval p50 / p99 ms | answer p50 / p99 ms |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for size in (parse_size(text) for text in args.sizes.split(",")):
        run = run_retriever("synthetic", size, args, data_dir)
        build, query = run["build"], run.get("query", {})
        if "error" in build or "error" in query:
            print(f"| {size_label(size)} | failed: {build.get('error') or query.get('error')} |", flush=True)
            continue
        retrieval, answer = query["retrieval"], query["answer"]
        print(
            f"| {build['passages']:,} | {build['build_s']:.1f} | {build['peak_rss_mb']:,.0f} "
            f"| {build['index_mb']:,.1f} | {query['load_s']:.2f} | {query['peak_rss_mb']:,.0f} "
            f"| {retrieval['p50_ms']:.2f} / {retrieval['p99_ms']:.2f} "
            f"| {answer['p50_ms']:.2f} / {answer['p99_ms']:.2f} |",
            flush=True,
        )


if __name__ == "__main__":
    main(sys.argv[1:])
