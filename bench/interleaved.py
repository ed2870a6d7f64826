"""`python -m bench.interleaved`: the engines in one process, question by question, on two question mixes.

`python -m bench` gives every engine its own processes (fair for memory and start-up); here all engines are
built in one process and then asked each question in turn, in a random order, so a busy machine slows them
alike and the ratios stay honest.  Two question mixes, 3-8 words from one random passage each:

* *sampled*: words drawn from the passage as they come, no stopword removal, so common words are as frequent
  as in text (the mix `python -m bench` uses);
* *keywords*: the same without the corpus's 100 most frequent words, as a front end dropping stopwords asks.

citebot answers with pruning (`top_k`) and, as the before-picture, by scoring every posting
(`top_k_exhaustive`); every pruned top-10 is checked against the exhaustive one (which equals BM25Okapi's).
The table goes to stdout and to bench/results-interleaved.md (and .json).
"""

from __future__ import annotations

import argparse
import gc
import json
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench.corpora import keyword_questions_from_passages, questions_from_passages, synthetic_passages
from bench.engines import ENGINES, BenchEngine
from bench.measure import latency_summary
from bench.report import machine_description, table
from bench.run import BENCH_DIR, parse_size, progress, size_label

ENGINE_ORDER = ("citebot", "citebot-exhaustive", "bm25s", "tantivy", "rank-bm25")
MIXES = ("sampled", "keywords")
WARMUP_QUESTIONS = 5


def arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.interleaved", description=__doc__)
    parser.add_argument("--sizes", default="100k,1M", help="passage counts (default: %(default)s)")
    parser.add_argument("--questions", type=int, default=200, help="questions per mix (default: %(default)s)")
    parser.add_argument("--engines", default="citebot,citebot-exhaustive,bm25s,tantivy", help="default: %(default)s")
    parser.add_argument("--rank-bm25-max", default="100k", help="skip rank-bm25 above this (default: %(default)s)")
    parser.add_argument("--output", type=Path, default=BENCH_DIR / "results-interleaved.md", help="the report")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = arguments(argv)
    sizes = sorted({parse_size(s) for s in args.sizes.split(",") if s.strip()})
    wanted = [e for e in ENGINE_ORDER if e in args.engines.split(",")]
    began = time.perf_counter()
    runs = []
    for size in sizes:
        engines = [e for e in wanted if e != "rank-bm25" or size <= parse_size(args.rank_bm25_max)]
        runs.append(run_size(size, engines, args.questions))
        write_outputs(runs, args.output, time.perf_counter() - began, args.questions)
    print(write_outputs(runs, args.output, time.perf_counter() - began, args.questions))


def run_size(size: int, names: list[str], question_count: int) -> dict[str, Any]:
    label = size_label(size)
    progress(f"{label}: generating the synthetic corpus")
    passages = synthetic_passages(size)
    mixes = {
        "sampled": questions_from_passages(passages, question_count + WARMUP_QUESTIONS),
        "keywords": keyword_questions_from_passages(passages, question_count + WARMUP_QUESTIONS),
    }
    engines: dict[str, BenchEngine] = {}
    build_s: dict[str, float] = {}
    for name in names:  # citebot-exhaustive builds its own copy: sharing one would warm the CPU caches for it
        progress(f"{label}: building {name}")
        gc.collect()
        engine = ENGINES[name]()
        began = time.perf_counter()
        engine.build(passages)
        build_s[name] = time.perf_counter() - began
        engines[name] = engine
    del passages
    gc.collect()

    latencies: dict[str, dict[str, list[float]]] = {mix: {name: [] for name in names} for mix in mixes}
    answers: dict[str, dict[str, list[list[int]]]] = {mix: {name: [] for name in names} for mix in mixes}
    shuffle = np.random.default_rng(size)
    for mix, questions in mixes.items():
        progress(f"{label}: asking {question_count} {mix} questions, engines interleaved")
        for question in questions[:WARMUP_QUESTIONS]:
            for engine in engines.values():
                engine.top_k(question)
        for question in questions[WARMUP_QUESTIONS:]:
            for name in shuffle.permutation(names).tolist():  # a fresh order every question
                began = time.perf_counter()
                found = engines[name].top_k(question)
                latencies[mix][name].append(time.perf_counter() - began)
                answers[mix][name].append(found)
    for engine in engines.values():
        close = getattr(engine, "close", None)
        if close is not None:
            close()

    reference = "citebot-exhaustive" if "citebot-exhaustive" in names else None
    results: dict[str, Any] = {"size": size, "build_s": build_s, "mixes": {}}
    for mix in mixes:
        per_engine = {}
        for name in names:
            summary: dict[str, Any] = latency_summary(latencies[mix][name])
            if reference is not None:
                summary["same_top10_as_exhaustive"] = sum(
                    a == b for a, b in zip(answers[mix][name], answers[mix][reference], strict=True)
                ) / len(answers[mix][name])
            per_engine[name] = summary
        results["mixes"][mix] = per_engine
    return results


def write_outputs(runs: list[dict[str, Any]], output: Path, elapsed: float, questions: int) -> str:
    rows = []
    for run in runs:
        for mix, per_engine in run["mixes"].items():
            for name, summary in per_engine.items():
                agreement = summary.get("same_top10_as_exhaustive")
                rows.append(
                    [
                        size_label(run["size"]),
                        mix,
                        name,
                        f"{run['build_s'][name]:.1f}",
                        f"{summary['p50_ms']:.2f}",
                        f"{summary['p99_ms']:.2f}",
                        "" if agreement is None else f"{agreement:.0%}",
                    ]
                )
    report = "\n".join(
        [
            "# citebot retrieval: engines interleaved in one process",
            "",
            f"Generated by `python -m bench.interleaved` on {time.strftime('%Y-%m-%d %H:%M')} in {elapsed / 60:.1f}"
            f" min. Synthetic Zipfian corpus, {questions} questions per mix, top-10, each question asked of every"
            " engine in turn (random order).",
            "",
            "## Machine",
            "",
            *(f"- {line}" for line in machine_description()),
            "",
            table(
                ["passages", "questions", "engine", "build s", "p50 ms", "p99 ms", "same top-10 as exhaustive"],
                rows,
            ),
            "",
        ]
    )
    output.write_text(report, encoding="utf-8")
    output.with_suffix(".json").write_text(json.dumps(runs, indent=1), encoding="utf-8")
    return report


if __name__ == "__main__":
    main()
