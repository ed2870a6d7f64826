"""Hostile and broken input: one clear line or an error object, and the rest keeps working."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from support import write_corpus

from retrieval import CorpusError, RetrievalSettings, Retriever

REPO = Path(__file__).resolve().parent.parent
TEXT = "Nvidia shares plunged 17% on Monday after the new model was released.\n"


def test_a_catastrophic_manifest_pattern_is_named_not_run_forever(tmp_path: Path) -> None:
    corpus = write_corpus(
        tmp_path / "c",
        {"manifest.toml": "boilerplate = ['(a|aa)+$']\n", "a.txt": TEXT + "a" * 40 + "!\n"},
    )
    with pytest.raises(CorpusError, match=r"\(a\|aa\)\+\$.*simplify it"):
        Retriever.open(corpus, index_path=tmp_path / "i")


def test_a_question_that_is_not_utf8_gets_its_own_error_object_and_the_batch_goes_on() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot", "ask", "--json"],
        input=b"what did \xff Nadella say?\nwhat did Nadella say?\n",
        capture_output=True,
        cwd=REPO,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    first, second = (json.loads(line) for line in result.stdout.decode().splitlines())
    assert not first["answered"] and "not valid UTF-8" in first["note"]
    assert second["answered"] and "Jevons" in second["quotes"][0]["text"]


def test_a_file_name_that_is_not_utf8_is_skipped_and_named(tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "c", {"a.txt": TEXT})
    name = os.fsdecode(b"b\xff.txt")  # a name no UTF-8 decoder accepts, carried as a lone surrogate
    (corpus / name).write_bytes(b"Meta will spend $65 billion on AI.\n")
    retriever = Retriever.open(corpus, index_path=tmp_path / "i")
    assert [d.source for d in retriever.documents] == ["a.txt"]
    assert "not valid UTF-8" in retriever.report.skipped[0].reason
    json.dumps([s.source for s in retriever.report.skipped])  # shown and serialised without error


def test_lines_are_counted_with_carriage_return_endings(tmp_path: Path) -> None:
    text = "Intro line.\rSecond line.\r[postviewcount]\rNvidia shares plunged 17% on Monday.\r"
    corpus = write_corpus(tmp_path / "c", {"a.txt": text.encode()})
    quote = Retriever.open(corpus, index_path=tmp_path / "i").ask("How far did Nvidia shares plunge?").quotes[0]
    assert "17%" in quote.text and quote.line == text[: quote.start].count("\r") + 1 > 1


@pytest.mark.parametrize("value", [float("inf"), float("nan")])
def test_non_finite_settings_are_refused(value: float) -> None:
    with pytest.raises(ValueError, match="finite"):
        RetrievalSettings(k1=value)


def test_a_nul_byte_anywhere_makes_a_file_binary(tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "c", {"a.txt": TEXT, "b.txt": (TEXT * 400).encode() + b"\x00tail\n"})
    retriever = Retriever.open(corpus, index_path=tmp_path / "i")
    assert [d.source for d in retriever.documents] == ["a.txt"]
    assert retriever.report.skipped[0].reason.startswith("binary")


def test_a_config_that_is_a_device_is_refused_in_one_line() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot", "ask", "--config", "/dev/zero", "what did Nadella say?"],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2 and "not a regular file" in result.stderr and result.stderr.count("\n") == 1


def test_a_huge_config_is_refused(tmp_path: Path) -> None:
    from bot.config import ConfigError, load_config

    config = tmp_path / "big.toml"
    config.write_text("# padding\n" * 200_000, encoding="utf-8")
    with pytest.raises(ConfigError, match="KiB"):
        load_config(config)


def test_an_eval_line_nested_too_deeply_is_one_line(tmp_path: Path) -> None:
    from retrieval.evaluation import EvalFileError, read_cases

    cases = tmp_path / "q.jsonl"
    cases.write_text("[" * 100_000 + "]" * 100_000 + "\n", encoding="utf-8")
    with pytest.raises(EvalFileError, match="not an eval case"):
        read_cases(cases)
