"""`python -m bench`: citebot's BM25 against rank-bm25 and bm25s, side by side, at 1k to 1M passages.

Every measurement runs in its own process (peak memory and start-up are then one engine's alone) on the same
corpus and the same questions; the table goes to stdout and to bench/results.md.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench.corpora import (
    questions_from_texts,
    real_documents,
    real_passage_texts,
    write_real_corpus_dir,
    write_synthetic_corpus_dir,
)
from bench.report import render_report

BENCH_DIR = Path(__file__).resolve().parent
REPO_DIR = BENCH_DIR.parent
ENGINE_ORDER = ("citebot", "rank-bm25", "bm25s", "tantivy")
WORKER_TIMEOUT_S = 3600
REAL_MIN_PASSAGES = 10_000


def parse_size(text: str) -> int:
    text = text.strip().lower().replace("_", "")
    factor = {"k": 1_000, "m": 1_000_000}.get(text[-1:], 1)
    number = text[:-1] if factor > 1 else text
    return int(float(number) * factor)


def size_label(size: int) -> str:
    if size >= 1_000_000 and size % 1_000_000 == 0:
        return f"{size // 1_000_000}M"
    if size >= 1_000 and size % 1_000 == 0:
        return f"{size // 1_000}k"
    return f"{size:,}"


def arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--sizes", default="1k,10k,100k,1M", help="passage counts (default: %(default)s)")
    parser.add_argument("--questions", type=int, default=200, help="questions per run (default: %(default)s)")
    parser.add_argument("--corpora", default="synthetic,real", help="synthetic and/or real (default: both)")
    parser.add_argument("--engines", default=",".join(ENGINE_ORDER), help="default: %(default)s")
    parser.add_argument(
        "--rank-bm25-max",
        default="100k",
        help="skip rank-bm25 above this many passages: at 1M a question takes ~3 s and the build needs a "
        "dict per passage (default: %(default)s)",
    )
    parser.add_argument("--bm25s-max", default="1M", help="skip bm25s above this (default: %(default)s)")
    parser.add_argument("--no-end-to-end", action="store_true", help="skip the runs through the Retriever")
    parser.add_argument("--concurrency", type=int, default=100, help="questions in the burst (default: 100)")
    parser.add_argument("--data-dir", type=Path, default=BENCH_DIR / "data", help="corpora and indexes")
    parser.add_argument("--output", type=Path, default=BENCH_DIR / "results.md", help="the report")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = arguments(argv)
    sizes = sorted({parse_size(s) for s in args.sizes.split(",") if s.strip()})
    corpora = [c.strip() for c in args.corpora.split(",") if c.strip()]
    engines = [e for e in ENGINE_ORDER if e in args.engines.split(",")]
    limits = {"rank-bm25": parse_size(args.rank_bm25_max), "bm25s": parse_size(args.bm25s_max)}
    data_dir: Path = args.data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    began = time.perf_counter()
    results: dict[str, Any] = {
        "sizes": sizes,
        "questions": args.questions,
        "engine_runs": [],
        "retriever_runs": [],
    }

    real_available = 0
    if "real" in corpora:
        progress("collecting real text (Python docstrings, Debian package descriptions; cached)")
        documents = real_documents(data_dir)
        real_available = len(real_passage_texts(documents))
        progress(f"real text: {len(documents):,} documents, {real_available:,} passages")

    for corpus in corpora:
        done: set[int] = set()
        for size in sizes:
            target = size if corpus == "synthetic" else min(size, real_available)
            if corpus == "real" and (size < REAL_MIN_PASSAGES or target in done):
                continue
            done.add(target)
            for engine in engines:
                results["engine_runs"].append(run_engine(corpus, target, engine, limits.get(engine), args, data_dir))
            add_agreement(results["engine_runs"], corpus, target, data_dir)
            if not args.no_end_to_end:
                results["retriever_runs"].append(run_retriever(corpus, target, args, data_dir))
            write_outputs(results, args.output, time.perf_counter() - began)
    report = write_outputs(results, args.output, time.perf_counter() - began)
    print(report)


def run_engine(
    corpus: str, size: int, engine: str, limit: int | None, args: argparse.Namespace, data_dir: Path
) -> dict[str, Any]:
    run: dict[str, Any] = {"corpus": corpus, "size": size, "engine": engine}
    if limit is not None and size > limit:
        run["skipped"] = f"skipped above {size_label(limit)} passages (--{engine}-max): it would take too long"
        progress(f"{corpus} {size_label(size)} {engine}: {run['skipped']}")
        return run
    index_dir = data_dir / "indexes" / f"{corpus}-{size}" / engine
    spec = {
        "corpus": corpus,
        "size": size,
        "engine": engine,
        "questions": args.questions,
        "data_dir": str(data_dir),
        "index_dir": str(index_dir),
    }
    progress(f"{corpus} {size_label(size)} {engine}: building")
    run["build"] = worker({"task": "engine-build", **spec})
    if "error" not in run["build"]:
        progress(f"{corpus} {size_label(size)} {engine}: loading and asking {args.questions} questions")
        run["query"] = worker({"task": "engine-query", **spec})
    return run


def add_agreement(runs: list[dict[str, Any]], corpus: str, size: int, data_dir: Path) -> None:
    """How often each engine's top-10 equals rank-bm25's (citebot should agree every time)."""
    reference_path = data_dir / "indexes" / f"{corpus}-{size}" / "rank-bm25" / "top10.json"
    if not reference_path.exists():
        return
    reference = json.loads(reference_path.read_text())
    for run in runs:
        if run["corpus"] != corpus or run["size"] != size or "query" not in run:
            continue
        path = data_dir / "indexes" / f"{corpus}-{size}" / run["engine"] / "top10.json"
        if not path.exists():
            continue
        results = json.loads(path.read_text())
        run["same_top10"] = float(np.mean([a == b for a, b in zip(results, reference, strict=True)]))
        run["top10_overlap"] = float(
            np.mean([len(set(a) & set(b)) / max(1, len(b)) for a, b in zip(results, reference, strict=True)])
        )
    shutil.rmtree(data_dir / "indexes" / f"{corpus}-{size}", ignore_errors=True)


def run_retriever(corpus: str, size: int, args: argparse.Namespace, data_dir: Path) -> dict[str, Any]:
    """The whole path: a directory of files -> citebot's saved index -> answers with quotes."""
    corpus_dir = data_dir / "corpora" / f"{corpus}-{size}"
    progress(f"{corpus} {size_label(size)} end to end: writing the corpus directory (cached)")
    if corpus == "synthetic":
        write_synthetic_corpus_dir(corpus_dir, size)
    else:
        write_real_corpus_dir(corpus_dir, real_documents_for(size, data_dir))
    questions = sample_corpus_questions(corpus_dir, args.questions + 5)
    spec = {
        "corpus_dir": str(corpus_dir),
        "index_path": str(data_dir / "indexes" / f"retriever-{corpus}-{size}.index"),
        "questions": questions,
        "concurrency": args.concurrency,
    }
    run: dict[str, Any] = {"corpus": corpus, "size": size}
    progress(f"{corpus} {size_label(size)} end to end: building citebot's index from files")
    run["build"] = worker({"task": "retriever-build", **spec})
    if "error" not in run["build"]:
        progress(f"{corpus} {size_label(size)} end to end: loading, answering, burst of {args.concurrency}")
        run["query"] = worker({"task": "retriever-query", **spec})
    Path(spec["index_path"]).unlink(missing_ok=True)
    return run


def real_documents_for(passages: int, data_dir: Path) -> list[Any]:
    """Real documents in a fixed random order, enough of them for about `passages` 120-word passages."""
    documents = real_documents(data_dir)
    chosen, total = [], 0
    for i in np.random.default_rng(passages).permutation(len(documents)).tolist():
        if total >= passages:
            break
        chosen.append(documents[i])
        total += -(-len(documents[i].text.split()) // 120)
    return chosen


def sample_corpus_questions(corpus_dir: Path, count: int) -> list[str]:
    files = sorted(corpus_dir.rglob("*.txt"))
    rng = np.random.default_rng(len(files))
    picked = [files[int(i)] for i in rng.integers(len(files), size=min(count, 400))]
    paragraphs = [p for f in picked for p in f.read_text(encoding="utf-8").split("\n\n") if len(p.split()) > 8]
    return questions_from_texts(paragraphs, count)


def worker(spec: dict[str, Any]) -> dict[str, Any]:
    """Run one measurement in a fresh interpreter; its last stdout line is the JSON result."""
    command = [sys.executable, "-m", "bench.worker", json.dumps(spec)]
    try:
        done = subprocess.run(
            command, cwd=REPO_DIR, capture_output=True, text=True, timeout=WORKER_TIMEOUT_S, check=False
        )
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {WORKER_TIMEOUT_S} s"}
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        tail = done.stderr.strip().splitlines()[-1:] or [f"exit status {done.returncode}"]
        progress(f"  worker failed: {tail[0]}")
        return {"error": tail[0]}
    result: dict[str, Any] = json.loads(lines[-1])
    return result


def write_outputs(results: dict[str, Any], output: Path, elapsed: float) -> str:
    results["elapsed_s"] = elapsed
    report = render_report(results)
    output.write_text(report, encoding="utf-8")
    output.with_suffix(".json").write_text(json.dumps(results, indent=1), encoding="utf-8")
    return report


def progress(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)
