"""Scoring the retriever on a question set: hit@1, hit@3, MRR@10 and how well it knows when to abstain."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from retrieval.answers import Answer
from retrieval.retriever import Retriever

EVAL_TOP_K = 10


class EvalCase(BaseModel):
    """One line of an eval file: a question and substrings of a right quote (none: it should abstain)."""

    model_config = ConfigDict(extra="forbid")

    q: str
    gold: list[str] = Field(default_factory=list)
    kind: str | None = Field(None, description="How it was written: literal, paraphrase or unanswerable.")
    doc: str | None = Field(None, description="The document the writer took the gold from.")


class EvalResult(BaseModel):
    question: str
    kind: str | None = None
    should_abstain: bool
    answered: bool
    rank: int | None = Field(description="1-based rank of the first quote containing a gold substring.")


class EvalReport(BaseModel):
    questions: int
    answerable: int
    hit_at_1: float
    hit_at_3: float
    mrr_at_10: float
    abstained: int
    abstention_precision: float | None = Field(description="Share of abstentions that were right; None if none.")
    abstention_recall: float
    refused_answerable: float = Field(description="Share of answerable questions that got no answer.")
    answered_unanswerable: float = Field(description="Share of unanswerable questions that got an answer.")
    results: list[EvalResult]


class EvalFileError(Exception):
    pass


def read_cases(path: Path) -> list[EvalCase]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise EvalFileError(f"cannot read {path}: {error}") from None
    cases = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            cases.append(EvalCase.model_validate(json.loads(line)))
        except RecursionError:
            raise EvalFileError(f"{path}:{number}: not an eval case (nested too deeply)") from None
        except (json.JSONDecodeError, ValidationError) as error:
            first = str(error).splitlines()[0]
            raise EvalFileError(f"{path}:{number}: not an eval case ({first})") from None
    if not cases:
        raise EvalFileError(f"{path}: no questions")
    return cases


def first_gold_rank(answer: Answer, gold: Iterable[str]) -> int | None:
    wanted = list(gold)
    for rank, quote in enumerate(answer.quotes, start=1):
        if any(g in quote.text for g in wanted):
            return rank
    return None


def evaluate(retriever: Retriever, cases: list[EvalCase]) -> EvalReport:
    results = []
    for case in cases:
        answer = retriever.ask(case.q, EVAL_TOP_K)
        rank = first_gold_rank(answer, case.gold) if case.gold and answer.answered else None
        results.append(
            EvalResult(
                question=case.q, kind=case.kind, should_abstain=not case.gold, answered=answer.answered, rank=rank
            )
        )
    answerable = [r for r in results if not r.should_abstain]
    abstained = [r for r in results if not r.answered]
    should = [r for r in results if r.should_abstain]
    right_abstentions = sum(r.should_abstain for r in abstained)

    def share(count: float, total: int) -> float:
        return round(count / total, 4) if total else 1.0

    return EvalReport(
        questions=len(results),
        answerable=len(answerable),
        hit_at_1=share(sum(r.rank == 1 for r in answerable), len(answerable)),
        hit_at_3=share(sum(r.rank is not None and r.rank <= 3 for r in answerable), len(answerable)),
        mrr_at_10=share(sum(1 / r.rank for r in answerable if r.rank is not None), len(answerable)),
        abstained=len(abstained),
        abstention_precision=share(right_abstentions, len(abstained)) if abstained else None,
        abstention_recall=share(right_abstentions, len(should)),
        refused_answerable=share(sum(not r.answered for r in answerable), len(answerable)),
        answered_unanswerable=share(sum(r.answered for r in should), len(should)),
        results=results,
    )
