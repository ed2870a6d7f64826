"""`citebot report` and `citebot forget`: the operator's commands on the question log."""

from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path

from bot.config import Config, ConfigError
from bot.store.records import person_digest, utc_now
from bot.store.report import build_report, eval_lines, parse_period, report_csv, report_json, report_text
from bot.store.sql import Store, StoreError, open_store
from retrieval.documents import CorpusError


def run_report(config: Config, *, since: str, output: str, export_eval: Path | None) -> int:
    try:
        period = parse_period(since)
    except ValueError as error:
        raise ConfigError(f"--since: {error}") from None
    until = utc_now()
    store = _open(config)
    try:
        store.delete_older_than(until - timedelta(days=config.log.retention_days))  # even if no bot ran lately
        records = store.questions_since(until - period)
    except StoreError as error:
        raise ConfigError(f"cannot read the question log: {error}") from None
    finally:
        store.close()
    report = build_report(records, until - period, until, _corpus_sources(config))
    if export_eval is not None:
        lines = eval_lines(records)
        try:
            export_eval.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
        except OSError as error:
            raise ConfigError(f"cannot write {export_eval}: {error.strerror or error}") from None
        print(
            f"wrote {len(lines)} question(s) to {export_eval}: fill in each gold, then run citebot eval",
            file=sys.stderr,
        )
    if output == "json":
        print(report_json(report))
    elif output == "csv":
        sys.stdout.write(report_csv(report))
    else:
        print("\n".join(report_text(report)))
    return 0


def run_forget(config: Config, user: str) -> int:
    """Deletes every row of one person: the questions they asked and the votes they cast."""
    store = _open(config)
    try:
        deleted = store.forget(person_digest(store.salt(), user))
    except StoreError as error:
        raise ConfigError(f"cannot change the question log: {error}") from None
    finally:
        store.close()
    print(f"deleted {deleted} row(s) of {user} from {store.url}")
    return 0


def _open(config: Config) -> Store:
    try:
        return open_store(config.storage.url)
    except StoreError as error:
        raise ConfigError(str(error)) from None


def _corpus_sources(config: Config) -> list[str] | None:
    """The corpus's documents, so the report can name the ones never cited; None if it cannot be read."""
    from bot.answering import open_retriever

    try:
        return [document.source for document in open_retriever(config).documents]
    except CorpusError:
        return None
