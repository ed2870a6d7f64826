"""citebot on the CACM test collection, beside plain whole-document BM25 baselines. `python -m bench.quality.cacm`.

CACM has graded-free (binary) judgments made by people for 52 of its 64 topics, so unlike the project's own question
files it measures ranking quality against someone else's idea of relevance. Four systems rank documents per topic:

* citebot ask: the real CLI (`python -m bot ask --json`), the documents of its quotes in order; an abstention is an
  empty ranking, so it scores zero: the bot's answer as a user sees it, cut to 10 quotes;
* citebot passages: citebot's passage BM25 (same analysis and index), passages folded into their documents, up to
  1000 documents: citebot's ranking before quote selection and abstention;
* bm25s and rank-bm25: whole-document BM25 with stopwords and Snowball stemming, the published kind of baseline
  (Anserini's BM25 has MAP about 0.31 on CACM), which also checks the metric code.

Metrics follow trec_eval: AP over the ranking as given (at most 1000 documents), P@10 over 10 ranks even when fewer
documents are returned, nDCG@10 with binary gains and a log2 discount, success@1.
"""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TypeVar

import numpy as np
import numpy.typing as npt

from bench.quality.corpora import ROOT, cacm_dir, corpus_dir

MAX_RANK = 1000
CUTOFF = 10
ASK_TOP_K = 10
PASSAGE_CANDIDATES = 3000
METRICS = ("MAP", "P@10", "nDCG@10", "success@1")
_WORD = re.compile(r"\w+")
T = TypeVar("T")

Ranking = list[str]
Rankings = dict[str, Ranking]
Results = dict[str, dict[str, float]]


@dataclass(frozen=True)
class Topic:
    """A judged topic: its text and the ids of the documents judged relevant (e.g. "CACM-1410")."""

    qid: str
    text: str
    relevant: frozenset[str]


# ---------------------------------------------------------------------------- metrics


def _distinct(ranking: Sequence[str]) -> Ranking:
    """A document counts once, at its best rank (trec_eval refuses duplicates; we forgive them)."""
    return list(dict.fromkeys(ranking))[:MAX_RANK]


def average_precision(ranking: Sequence[str], relevant: set[str] | frozenset[str]) -> float:
    """Mean of the precision at each relevant document's rank; relevant documents not retrieved add 0."""
    if not relevant:
        return 0.0
    hits = 0
    total = 0.0
    for rank, doc in enumerate(_distinct(ranking), start=1):
        if doc in relevant:
            hits += 1
            total += hits / rank
    return total / len(relevant)


def precision_at(ranking: Sequence[str], relevant: set[str] | frozenset[str], k: int = CUTOFF) -> float:
    """Relevant documents among the first k, over k: a short ranking is not rewarded for stopping early."""
    return sum(doc in relevant for doc in _distinct(ranking)[:k]) / k


def ndcg_at(ranking: Sequence[str], relevant: set[str] | frozenset[str], k: int = CUTOFF) -> float:
    """Binary-gain DCG@k over the best DCG@k possible with this many relevant documents (log2 rank discount)."""
    ideal = sum(1.0 / math.log2(rank + 1) for rank in range(1, min(k, len(relevant)) + 1))
    if ideal == 0.0:
        return 0.0
    gained = sum(
        1.0 / math.log2(rank + 1) for rank, doc in enumerate(_distinct(ranking)[:k], start=1) if doc in relevant
    )
    return gained / ideal


def success_at_1(ranking: Sequence[str], relevant: set[str] | frozenset[str]) -> float:
    """1 when the first document is relevant: whether the top of the answer is worth reading."""
    return 1.0 if ranking and ranking[0] in relevant else 0.0


def topic_metrics(ranking: Sequence[str], relevant: set[str] | frozenset[str]) -> dict[str, float]:
    """All four metrics of one ranking, keyed as in the table."""
    return {
        "MAP": average_precision(ranking, relevant),
        "P@10": precision_at(ranking, relevant),
        "nDCG@10": ndcg_at(ranking, relevant),
        "success@1": success_at_1(ranking, relevant),
    }


def mean_metrics(rankings: Mapping[str, Sequence[str]], topics: Sequence[Topic]) -> dict[str, float]:
    """Means over every judged topic, rounded to 4 places; a topic with no ranking counts as zeros."""
    per_topic = [topic_metrics(rankings.get(topic.qid, []), topic.relevant) for topic in topics]
    return {name: round(sum(m[name] for m in per_topic) / len(per_topic), 4) for name in METRICS}


# ---------------------------------------------------------------------------- collection


def read_topics(path: Path) -> dict[str, str]:
    """qid -> text from the JSON Lines topics file."""
    topics: dict[str, str] = {}
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            if line.strip():
                record = json.loads(line)
                topics[str(record["qid"])] = str(record["text"])
    return topics


def read_qrels(path: Path) -> dict[str, set[str]]:
    """qid -> relevant document ids from TREC qrels lines (`qid Q0 doc relevance`); relevance 0 is not relevant."""
    qrels: dict[str, set[str]] = {}
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            fields = line.split()
            if len(fields) == 4 and int(fields[3]) > 0:
                qrels.setdefault(fields[0], set()).add(fields[2])
    return qrels


def judged_topics(home: Path) -> list[Topic]:
    """The topics that have at least one relevant document: the others cannot be scored."""
    texts = read_topics(home / "topics.jsonl")
    qrels = read_qrels(home / "qrels.txt")
    return [Topic(qid, " ".join(text.split()), frozenset(qrels[qid])) for qid, text in texts.items() if qid in qrels]


def doc_id(source: str) -> str:
    """The qrels id of a corpus file: "CACM-1410.txt" -> "CACM-1410"."""
    return source.removesuffix(".txt")


def read_corpus(docs: Path) -> tuple[list[str], list[str]]:
    """(ids, texts) of every .txt file, in name order, for the whole-document baselines."""
    paths = sorted(docs.glob("*.txt"))
    return [doc_id(path.name) for path in paths], [path.read_text(encoding="utf-8", errors="replace") for path in paths]


# ---------------------------------------------------------------------------- systems


def citebot_ask_rankings(docs: Path, topics: Sequence[Topic], *, dense: bool = False) -> tuple[Rankings, int]:
    """(rankings, abstentions) from the real CLI in batch mode, with a fresh cache so no stale index is reused;
    `dense` turns on `[retrieval] dense` through a config file, as an operator would."""
    with tempfile.TemporaryDirectory() as cache:
        env = {key: value for key, value in os.environ.items() if key != "CITEBOT_CONFIG"}
        env["XDG_CACHE_HOME"] = cache
        config: list[str] = []
        if dense:
            (Path(cache) / "citebot.toml").write_text("[retrieval]\ndense = true\n", encoding="utf-8")
            config = ["--config", str(Path(cache) / "citebot.toml")]
        completed = subprocess.run(
            [sys.executable, "-m", "bot", "ask", *config, "--json", "--top-k", str(ASK_TOP_K), "--corpus", str(docs)],
            input="".join(topic.text + "\n" for topic in topics),
            capture_output=True,
            text=True,
            cwd=ROOT,
            env=env,
            check=True,
        )
    answers = [json.loads(line) for line in completed.stdout.splitlines() if line.strip()]
    if len(answers) != len(topics):
        raise RuntimeError(f"citebot ask printed {len(answers)} answers for {len(topics)} topics")
    rankings: Rankings = {}
    abstained = 0
    for topic, answer in zip(topics, answers, strict=True):
        if not answer["answered"]:
            abstained += 1
            rankings[topic.qid] = []
        else:
            rankings[topic.qid] = _distinct([doc_id(quote["source"]) for quote in answer["quotes"]])
    return rankings, abstained


@dataclass(frozen=True)
class PassageRun:
    """citebot's passage rankings and what its chunking left out (a document without a passage is unreachable)."""

    rankings: Rankings
    passages: int
    documents_without_passages: int
    relevant_without_passages: int


def citebot_passage_rankings(docs: Path, topics: Sequence[Topic]) -> PassageRun:
    """citebot's passage BM25 (its analysis, index and top_k) with passages folded into their documents."""
    from retrieval.analysis import analyze
    from retrieval.retriever import Retriever

    with tempfile.TemporaryDirectory() as work:
        retriever = Retriever.open(docs, index_path=Path(work) / "cacm.index")
    index = retriever.index
    ids = [doc_id(document.source) for document in index.documents]
    covered = {index.passage_document(passage) for passage in range(index.passage_count)}
    uncovered = {ids[doc] for doc in range(len(ids)) if doc not in covered}
    relevant = frozenset().union(*(topic.relevant for topic in topics))
    rankings: Rankings = {}
    for topic in topics:
        found = index.engine.top_k(analyze(topic.text), PASSAGE_CANDIDATES)
        rankings[topic.qid] = _distinct([ids[index.passage_document(passage)] for passage, _ in found])
    return PassageRun(rankings, index.passage_count, len(uncovered), len(relevant & uncovered))


def _positive_order(scores: npt.NDArray[np.floating]) -> list[int]:
    """Indices of positive scores, best first, ties by lower index, at most MAX_RANK (like citebot's top_k)."""
    order = np.argsort(-scores, kind="stable")[:MAX_RANK]
    return [int(i) for i in order if scores[i] > 0]


def bm25s_rankings(docs: Path, topics: Sequence[Topic]) -> Rankings:
    """bm25s as its README shows it: default BM25 (Lucene variant), English stopwords, Snowball stemmer."""
    import bm25s
    import Stemmer

    ids, texts = read_corpus(docs)
    stemmer = Stemmer.Stemmer("english")
    model = bm25s.BM25()
    model.index(bm25s.tokenize(texts, stopwords="en", stemmer=stemmer, show_progress=False), show_progress=False)
    queries = bm25s.tokenize([t.text for t in topics], stopwords="en", stemmer=stemmer, show_progress=False)
    found, scores = model.retrieve(queries, k=min(MAX_RANK, len(ids)), show_progress=False)
    return {
        topic.qid: [ids[int(found[row, column])] for column in _positive_order(np.asarray(scores[row]))]
        for row, topic in enumerate(topics)
    }


def rank_bm25_rankings(docs: Path, topics: Sequence[Topic]) -> Rankings:
    """rank-bm25's BM25Okapi (its defaults) over `\\w+` words, bm25s's English stopwords removed, Snowball stems."""
    import Stemmer
    from bm25s.stopwords import STOPWORDS_EN
    from rank_bm25 import BM25Okapi

    stemmer = Stemmer.Stemmer("english")
    stopwords = set(STOPWORDS_EN)

    def tokens(text: str) -> list[str]:
        words = [word for word in _WORD.findall(text.lower()) if word not in stopwords]
        return [str(stem) for stem in stemmer.stemWords(words)]

    ids, texts = read_corpus(docs)
    model = BM25Okapi([tokens(text) for text in texts])
    return {
        topic.qid: [ids[i] for i in _positive_order(np.asarray(model.get_scores(tokens(topic.text)), dtype=float))]
        for topic in topics
    }


# ---------------------------------------------------------------------------- report


def _timed(run: Callable[[], T]) -> tuple[T, float]:
    """The result and the wall-clock seconds it took (index building included)."""
    began = time.perf_counter()
    result = run()
    return result, round(time.perf_counter() - began, 1)


def run_cacm(*, dense: bool = False) -> Results:
    """Each system's mean metrics over the judged topics, with its extra counts and seconds; `dense` adds
    citebot ask with dense retrieval on (the [dense] extra)."""
    docs = corpus_dir("cacm")
    topics = judged_topics(cacm_dir())
    results: Results = {}

    (ask, abstained), seconds = _timed(lambda: citebot_ask_rankings(docs, topics))
    results["citebot ask"] = {**mean_metrics(ask, topics), "abstained": abstained, "seconds": seconds}
    if dense:
        (ask, abstained), seconds = _timed(lambda: citebot_ask_rankings(docs, topics, dense=True))
        results["citebot ask, dense"] = {**mean_metrics(ask, topics), "abstained": abstained, "seconds": seconds}

    run, seconds = _timed(lambda: citebot_passage_rankings(docs, topics))
    results["citebot passages"] = {
        **mean_metrics(run.rankings, topics),
        "passages": run.passages,
        "documents without passages": run.documents_without_passages,
        "relevant documents without passages": run.relevant_without_passages,
        "seconds": seconds,
    }

    baselines: dict[str, Callable[[Path, Sequence[Topic]], Rankings]] = {
        "bm25s": bm25s_rankings,
        "rank-bm25": rank_bm25_rankings,
    }
    for name, system in baselines.items():
        rankings, seconds = _timed(partial(system, docs, topics))
        results[name] = {**mean_metrics(rankings, topics), "seconds": seconds}

    for values in results.values():
        values["topics"] = len(topics)
    return results


def _notes(values: Mapping[str, float]) -> str:
    """The extra counts of one system in words."""
    parts: list[str] = []
    if "abstained" in values:
        parts.append(f"abstained on {int(values['abstained'])}/{int(values['topics'])} topics")
    if "passages" in values:
        parts.append(f"{int(values['passages'])} passages")
    if "documents without passages" in values:
        parts.append(f"{int(values['documents without passages'])} documents without a passage")
    if "relevant documents without passages" in values:
        parts.append(f"{int(values['relevant documents without passages'])} of them relevant to a judged topic")
    if "seconds" in values:
        parts.append(f"{values['seconds']:.1f} s")
    return "; ".join(parts)


def format_table(results: Mapping[str, Mapping[str, float]]) -> str:
    """A Markdown table, one row per system."""
    rows = [
        "| system | MAP | P@10 | nDCG@10 | success@1 | notes |",
        "|---|---:|---:|---:|---:|---|",
    ]
    rows.extend(
        f"| {name} | " + " | ".join(f"{values[metric]:.4f}" for metric in METRICS) + f" | {_notes(values)} |"
        for name, values in results.items()
    )
    return "\n".join(rows)


if __name__ == "__main__":
    print(format_table(run_cacm(dense="--dense" in sys.argv[1:])))
