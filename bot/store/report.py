"""`citebot report`: what people asked over a period, what went unanswered, what they disliked, and which
documents answered them, from the question log's records. Pure functions of the records: the command reads
them through the store and picks a renderer (a terminal table, CSV or JSON).
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections import Counter
from collections.abc import Iterable
from datetime import datetime, timedelta

from pydantic import BaseModel

from bot.rendering import printable
from bot.store.records import QuestionRecord

TOP = 10
VARIANTS = 3
NOT_KEPT = '(question not kept: [log] questions = "off")'
_PERIOD = re.compile(r"^(\d{1,5})([hdw])$")


class Count(BaseModel):
    key: str
    count: int


class Wording(BaseModel):
    """Questions with the same analysed words, counted as one; `examples` are their commonest phrasings."""

    question: str
    count: int
    examples: list[str]


class Downvote(BaseModel):
    asked_at: datetime
    where: str
    question: str
    comment: str | None


class Report(BaseModel):
    since: datetime
    until: datetime
    questions: int
    answered: int
    answer_rate: float | None
    votes_up: int
    votes_down: int
    per_day: list[Count]
    per_channel: list[Count]
    most_asked: list[Wording]
    unanswered: list[Wording]
    downvoted: list[Downvote]
    most_cited: list[Count]
    least_cited: list[Count]


def parse_period(text: str) -> timedelta:
    """'7d', '24h', '2w' -> a timedelta; anything else raises ValueError with what is accepted."""
    match = _PERIOD.match(text.strip())
    if not match:
        raise ValueError(f"not a period: {text!r} (use e.g. 24h, 7d or 4w)")
    number, unit = int(match.group(1)), match.group(2)
    return {"h": timedelta(hours=number), "d": timedelta(days=number), "w": timedelta(weeks=number)}[unit]


def build_report(
    records: list[QuestionRecord], since: datetime, until: datetime, corpus_sources: Iterable[str] | None = None
) -> Report:
    """The report over `records` (asked in [since, until]); `corpus_sources` lets it name documents that were
    never cited as the least cited."""
    answered = sum(record.answered for record in records)
    votes = [vote for record in records for vote in record.votes]
    cited = Counter(quote.source for record in records for quote in record.quotes)
    sources = list(corpus_sources or ())
    least = {source: cited.get(source, 0) for source in sources} if sources else dict(cited)
    return Report(
        since=since,
        until=until,
        questions=len(records),
        answered=answered,
        answer_rate=answered / len(records) if records else None,
        votes_up=sum(vote.up for vote in votes),
        votes_down=sum(not vote.up for vote in votes),
        per_day=_counts(Counter(record.asked_at.date().isoformat() for record in records), by_key=True),
        per_channel=_counts(Counter(_where(record) for record in records)),
        most_asked=_wordings(records)[:TOP],
        unanswered=_wordings([record for record in records if not record.answered])[:TOP],
        downvoted=[
            Downvote(asked_at=record.asked_at, where=_where(record), question=_shown(record), comment=vote.comment)
            for record in records
            for vote in record.votes
            if not vote.up
        ],
        most_cited=_counts(cited)[:TOP],
        least_cited=sorted((Count(key=k, count=v) for k, v in least.items()), key=lambda c: (c.count, c.key))[:TOP],
    )


def _where(record: QuestionRecord) -> str:
    return f"{record.front_end} {record.channel}" if record.channel else record.front_end


def _shown(record: QuestionRecord) -> str:
    if record.question is not None:
        return record.question
    return f"(hashed {record.wording[:8]})" if record.wording else NOT_KEPT


def _counts(counter: Counter[str], *, by_key: bool = False) -> list[Count]:
    order = sorted(counter.items(), key=(lambda kv: kv[0]) if by_key else (lambda kv: (-kv[1], kv[0])))
    return [Count(key=key, count=count) for key, count in order]


def _wordings(records: list[QuestionRecord]) -> list[Wording]:
    """Groups by the digest of the analysed words ("refund policy?" = "what is the refund policy")."""
    groups: dict[str, list[QuestionRecord]] = {}
    for record in records:
        groups.setdefault(record.wording or "", []).append(record)
    wordings = []
    for members in groups.values():
        phrasings = Counter(" ".join(m.question.split()) for m in members if m.question is not None)
        examples = [text for text, _ in sorted(phrasings.items(), key=lambda kv: (-kv[1], len(kv[0]), kv[0]))]
        question = examples[0] if examples else _shown(members[0])
        wordings.append(Wording(question=question, count=len(members), examples=examples[:VARIANTS]))
    return sorted(wordings, key=lambda w: (-w.count, w.question))


# ------------------------------------------------------------------------------------------------ output


def report_text(report: Report) -> list[str]:
    """The report for a terminal, as plain lines: user text is shown through `printable`, never obeyed."""
    lines = [
        f"citebot report: {report.since:%Y-%m-%d %H:%M} to {report.until:%Y-%m-%d %H:%M} UTC",
        "",
        f"questions  {report.questions}",
        f"answered   {report.answered} ({_rate(report.answer_rate)})",
        f"votes      {report.votes_up} 👍  {report.votes_down} 👎",
    ]
    sections: list[tuple[str, list[tuple[int, str]]]] = [
        ("per day", [(c.count, c.key) for c in report.per_day]),
        ("per channel", [(c.count, c.key) for c in report.per_channel]),
        ("most asked", [(w.count, _examples(w)) for w in report.most_asked]),
        ("unanswered (similar wordings counted together)", [(w.count, _examples(w)) for w in report.unanswered]),
        (
            "👎",
            [
                (1, f"{d.question}  ({d.where})" + (f"\n        said: {d.comment}" if d.comment else ""))
                for d in report.downvoted
            ],
        ),
        ("most cited", [(c.count, c.key) for c in report.most_cited]),
        ("least cited", [(c.count, c.key) for c in report.least_cited]),
    ]
    for title, rows in sections:
        lines += ["", title]
        lines += [f"  {count:>4}  {text}" for count, text in rows] or ["     -"]
    return [printable(line) for line in lines]


def _examples(wording: Wording) -> str:
    others = [example for example in wording.examples if example != wording.question]
    return wording.question + (f"  (also: {' / '.join(others)})" if others else "")


def report_json(report: Report) -> str:
    return report.model_dump_json(indent=2)


def report_csv(report: Report) -> str:
    """One table for spreadsheets: section, item, count, detail."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["section", "item", "count", "detail"])
    writer.writerow(["summary", "questions", report.questions, ""])
    writer.writerow(["summary", "answered", report.answered, _rate(report.answer_rate)])
    writer.writerow(["summary", "votes up", report.votes_up, ""])
    writer.writerow(["summary", "votes down", report.votes_down, ""])
    rows: list[tuple[str, list[Count]]] = [
        ("per day", report.per_day),
        ("per channel", report.per_channel),
        ("most cited", report.most_cited),
        ("least cited", report.least_cited),
    ]
    for section, counts in rows:
        writer.writerows([section, c.key, c.count, ""] for c in counts)
    for section, wordings in (("most asked", report.most_asked), ("unanswered", report.unanswered)):
        writer.writerows([section, w.question, w.count, " | ".join(w.examples[1:])] for w in wordings)
    writer.writerows(["downvoted", d.question, 1, d.comment or ""] for d in report.downvoted)
    return out.getvalue()


def _rate(rate: float | None) -> str:
    return "-" if rate is None else f"{rate:.0%}"


def eval_lines(records: list[QuestionRecord]) -> list[str]:
    """`citebot eval` lines for the unanswered and 👎 questions whose text is kept, one per wording, gold
    left empty for an editor to fill in (empty gold means "should abstain" until they do)."""
    seen: set[str] = set()
    lines = []
    for record in records:
        disliked = any(not vote.up for vote in record.votes)
        if record.question is None or (record.answered and not disliked):
            continue
        key = record.wording or record.question
        if key in seen:
            continue
        seen.add(key)
        lines.append(json.dumps({"q": record.question, "gold": []}, ensure_ascii=False))
    return lines
