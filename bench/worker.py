"""One measurement in a fresh process, so peak memory and start-up belong to one engine alone.

Run by bench.run as ``python -m bench.worker '<json spec>'``; prints one JSON object as its last stdout line.
"""

from __future__ import annotations

import asyncio
import gc
import json
import shutil
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench.corpora import questions_from_passages, real_documents, real_passage_texts, synthetic_passages
from bench.engines import ENGINES, TOP_K
from bench.measure import directory_size_mb, latency_summary, peak_rss_mb, rss_mb, stopwatch

WARMUP_QUESTIONS = 5


def engine_corpus(kind: str, size: int, data_dir: Path) -> list[list[str]]:
    """The token lists every engine gets: synthetic tokens, or real passages through citebot's analyzer."""
    if kind == "synthetic":
        return synthetic_passages(size)
    from retrieval.analysis import analyze

    texts = real_passage_texts(real_documents(data_dir))
    order = np.random.default_rng(size).permutation(len(texts))[:size]
    return [analyze(texts[i]) for i in order.tolist()]


def engine_build(spec: dict[str, Any]) -> dict[str, Any]:
    passages = engine_corpus(spec["corpus"], spec["size"], Path(spec["data_dir"]))
    questions = questions_from_passages(passages, spec["questions"] + WARMUP_QUESTIONS)
    index_dir = Path(spec["index_dir"])
    shutil.rmtree(index_dir, ignore_errors=True)
    index_dir.mkdir(parents=True)
    (index_dir / "questions.json").write_text(json.dumps(questions))
    gc.collect()
    corpus_rss = rss_mb()
    engine = ENGINES[spec["engine"]]()
    with stopwatch() as build:
        engine.build(passages)
    peak = peak_rss_mb()
    with stopwatch() as save:
        engine.save(index_dir)
    close = getattr(engine, "close", None)  # tantivy builds in a temporary directory
    if close is not None:
        close()
    return {
        "passages": len(passages),
        "tokens": sum(map(len, passages)),
        "build_s": build[0],
        "corpus_rss_mb": corpus_rss,
        "peak_rss_mb": peak,
        "save_s": save[0],
        "index_mb": directory_size_mb(index_dir) - directory_size_mb(index_dir / "questions.json"),
    }


def engine_query(spec: dict[str, Any]) -> dict[str, Any]:
    index_dir = Path(spec["index_dir"])
    questions: list[list[str]] = json.loads((index_dir / "questions.json").read_text())
    warmup, measured = questions[:WARMUP_QUESTIONS], questions[WARMUP_QUESTIONS:]
    engine = ENGINES[spec["engine"]]()
    with stopwatch() as load:
        engine.load(index_dir)
    with stopwatch() as first:
        engine.top_k(warmup[0])
    for question in warmup[1:]:
        engine.top_k(question)
    latencies, results = [], []
    for question in measured:
        began = time.perf_counter()
        results.append(engine.top_k(question))
        latencies.append(time.perf_counter() - began)
    (index_dir / "top10.json").write_text(json.dumps(results))
    return {"load_s": load[0], "first_question_ms": first[0] * 1000, **latency_summary(latencies)}


def retriever_build(spec: dict[str, Any]) -> dict[str, Any]:
    from retrieval import RetrievalSettings, Retriever

    index_path = Path(spec["index_path"])
    index_path.unlink(missing_ok=True)
    gc.collect()
    before = rss_mb()
    with stopwatch() as build:
        retriever = Retriever.open(
            Path(spec["corpus_dir"]), RetrievalSettings(), index_path, rebuild=True, warm_up=False
        )
    report = retriever.report
    return {
        "documents": report.documents,
        "passages": report.passages,
        "vocabulary": report.vocabulary,
        "build_s": build[0],
        "rss_before_mb": before,
        "peak_rss_mb": peak_rss_mb(),
        "index_mb": index_path.stat().st_size / 1024 / 1024,
    }


def retriever_query(spec: dict[str, Any]) -> dict[str, Any]:
    """Start-up, retrieval alone vs the whole answer, and a burst of questions at the answer service."""
    from bot.answering import AnswerService
    from retrieval import RetrievalSettings, Retriever
    from retrieval.analysis import analyze

    questions: list[str] = spec["questions"]
    warmup, measured = questions[:WARMUP_QUESTIONS], questions[WARMUP_QUESTIONS:]
    settings = RetrievalSettings()
    with stopwatch() as load:
        retriever = Retriever.open(Path(spec["corpus_dir"]), settings, Path(spec["index_path"]))
    if retriever.report.rebuilt:
        raise RuntimeError("the saved index was rebuilt instead of loaded")
    with stopwatch() as first:
        retriever.ask(warmup[0])
    for question in warmup[1:]:
        retriever.ask(question)
    engine = retriever.index.engine
    retrieval, answering, answered = [], [], 0
    for question in measured:
        began = time.perf_counter()
        engine.top_k(analyze(question), TOP_K)
        retrieval.append(time.perf_counter() - began)
        began = time.perf_counter()
        answered += retriever.ask(question).answered
        answering.append(time.perf_counter() - began)
    burst = asyncio.run(_burst(AnswerService(retriever, settings.top_k), measured[: spec["concurrency"]]))
    return {
        "load_s": load[0],
        "first_answer_ms": first[0] * 1000,
        "retrieval": latency_summary(retrieval),
        "answer": latency_summary(answering),
        "answered_share": answered / max(1, len(measured)),
        "burst": burst,
        "peak_rss_mb": peak_rss_mb(),
    }


async def _burst(service: Any, questions: list[str]) -> dict[str, float]:
    """All questions at once, as a busy channel would send them; each latency runs from the common start."""

    async def one(question: str) -> float:
        await service.answer(question)
        return time.perf_counter() - began

    began = time.perf_counter()
    latencies = await asyncio.gather(*(one(question) for question in questions))
    wall = time.perf_counter() - began
    return {
        "questions": len(questions),
        "wall_s": wall,
        "per_second": len(questions) / wall,
        "worst_ms": max(latencies) * 1000,
        "p50_ms": float(np.percentile(latencies, 50)) * 1000,
    }


def retriever_serving(spec: dict[str, Any]) -> dict[str, Any]:
    """What a serving process costs: memory with the index loaded and after answering, load time, and answers a
    second on one core (questions answered one after another in this one thread)."""
    from retrieval import RetrievalSettings, Retriever

    questions: list[str] = spec["questions"]
    gc.collect()
    before = rss_mb()
    with stopwatch() as load:
        retriever = Retriever.open(Path(spec["corpus_dir"]), RetrievalSettings(), Path(spec["index_path"]))
    if retriever.report.rebuilt:
        raise RuntimeError("the saved index was rebuilt instead of loaded")
    loaded = rss_mb()
    for question in questions[:WARMUP_QUESTIONS]:
        retriever.ask(question)
    measured = questions[WARMUP_QUESTIONS:]
    with stopwatch() as answering:
        for question in measured:
            retriever.ask(question)
    return {
        "passages": retriever.report.passages,
        "load_s": load[0],
        "rss_before_mb": before,
        "rss_loaded_mb": loaded,
        "rss_answering_mb": rss_mb(),
        "peak_rss_mb": peak_rss_mb(),
        "answers_per_second": len(measured) / answering[0],
    }


TASKS = {
    "engine-build": engine_build,
    "engine-query": engine_query,
    "retriever-build": retriever_build,
    "retriever-query": retriever_query,
    "retriever-serving": retriever_serving,
}


def main() -> None:
    spec = json.loads(sys.argv[1])
    result = TASKS[spec["task"]](spec)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
