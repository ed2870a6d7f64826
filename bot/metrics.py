"""What `citebot serve` exposes at /metrics (Prometheus text format, through prometheus-client).

The metrics live in a registry of their own (`REGISTRY`), not prometheus-client's global one, and are recorded by
plain functions, so a front end says *what happened* ("a Slack call failed with not_in_channel") in one line and
knows nothing of Prometheus. Counters only grow for the life of the process: readers (and tests) look at changes.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Literal

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.process_collector import ProcessCollector

from retrieval.answers import Answer
from retrieval.compose import ABSTAIN_NOTE

Outcome = Literal["answered", "abstained", "refused", "error"]

REGISTRY = CollectorRegistry(auto_describe=True)
ProcessCollector(registry=REGISTRY)  # memory, CPU and open files of the bot's own process

QUESTIONS = Counter(
    "citebot_questions",
    "Questions handled, by front end, outcome (answered, abstained, refused, error) and collection asked.",
    ["front_end", "outcome", "collection"],
    registry=REGISTRY,
)
ANSWER_SECONDS = Histogram(
    "citebot_answer_seconds",
    "Time from a question reaching the answer service to its answer (or failure).",
    ["front_end"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
    registry=REGISTRY,
)
PLATFORM_ERRORS = Counter(
    "citebot_platform_api_errors",
    "Calls to a platform's API that failed, by platform and error code (Slack's error, Discord's HTTP status).",
    ["platform", "code"],
    registry=REGISTRY,
)
RATE_LIMIT_WAITS = Counter(
    "citebot_rate_limit_waits",
    "Times a platform answered 429 and citebot waited before trying again.",
    ["platform"],
    registry=REGISTRY,
)
QUESTIONS_LIMITED = Counter(
    "citebot_questions_limited",
    "Questions turned away by fair use ([limits]), by front end and limit: per_person (one person asking too "
    "often) or busy (every answer slot and queue place taken). Not platforms' rate limits: see rate_limit_waits.",
    ["front_end", "limit"],
    registry=REGISTRY,
)
RATE_LIMIT_SECONDS = Counter(
    "citebot_rate_limit_wait_seconds",
    "Seconds spent waiting out platforms' rate limits.",
    ["platform"],
    registry=REGISTRY,
)
INDEX_DOCUMENTS = Gauge(
    "citebot_index_documents", "Documents in each collection's index in use.", ["collection"], registry=REGISTRY
)
INDEX_PASSAGES = Gauge(
    "citebot_index_passages", "Passages in each collection's index in use.", ["collection"], registry=REGISTRY
)
INDEX_BUILT = Gauge(
    "citebot_index_built_timestamp_seconds",
    "When each collection's index in use was built (Unix time).",
    ["collection"],
    registry=REGISTRY,
)
INDEX_AGE = Gauge(
    "citebot_index_age_seconds",
    "How long ago each collection's index in use was built.",
    ["collection"],
    registry=REGISTRY,
)
REINDEXES = Counter(
    "citebot_reindexes", "Times a collection's index was rebuilt while citebot ran.", ["collection"], registry=REGISTRY
)
REINDEX_SECONDS = Histogram(
    "citebot_reindex_seconds",
    "How long each rebuild of an index took.",
    ["collection"],
    buckets=(0.1, 0.5, 1.0, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 3600.0),
    registry=REGISTRY,
)


def outcome_of(answer: Answer | None) -> Outcome:
    """answered: quotes; abstained: the documents do not say; refused: not a question citebot can search (empty,
    no words, not text, too long); error: no answer at all (the search or its worker failed)."""
    if answer is None:
        return "error"
    if answer.answered and answer.quotes:
        return "answered"
    return "abstained" if (answer.note or ABSTAIN_NOTE) == ABSTAIN_NOTE else "refused"


def question_handled(front_end: str, answer: Answer | None, seconds: float, collection: str) -> None:
    QUESTIONS.labels(front_end, outcome_of(answer), collection).inc()
    ANSWER_SECONDS.labels(front_end).observe(seconds)


def question_limited(front_end: str, limit: str) -> None:
    QUESTIONS_LIMITED.labels(front_end, limit).inc()


def platform_error(platform: str, code: str | int) -> None:
    PLATFORM_ERRORS.labels(platform, str(code)).inc()


def rate_limit_wait(platform: str, seconds: float) -> None:
    RATE_LIMIT_WAITS.labels(platform).inc()
    RATE_LIMIT_SECONDS.labels(platform).inc(max(seconds, 0.0))


def index_in_use(documents: int, passages: int, built_at: float, collection: str) -> None:
    """The index a collection's answers now come from (at start, and after every swap)."""
    INDEX_DOCUMENTS.labels(collection).set(documents)
    INDEX_PASSAGES.labels(collection).set(passages)
    INDEX_BUILT.labels(collection).set(built_at)
    INDEX_AGE.labels(collection).set_function(lambda: time.time() - built_at)
    REINDEXES.labels(collection)  # shown as 0 from the start, not only after the first rebuild


def reindexed(seconds: float, collection: str) -> None:
    """One rebuild of a collection's index while running (live re-indexing calls this)."""
    REINDEXES.labels(collection).inc()
    REINDEX_SECONDS.labels(collection).observe(seconds)


def index_built_at(index_path: Path | None, saved: bool) -> float:
    """When an index was built: its saved file's time, else now (it was just built in memory)."""
    if index_path is not None and saved:
        try:
            return index_path.stat().st_mtime
        except OSError:
            pass
    return time.time()
