"""The `citebot` command: exit codes, one-line errors, JSON shape, stdin batches."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from support import write_corpus

from bot.cli import main

REPO = Path(__file__).resolve().parent.parent


def citebot(
    *args: str, stdin: str | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """The real command in a child process, as a user runs it."""
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=stdin if stdin is not None else "",
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**os.environ, **(env or {})},
        timeout=120,
        check=False,
    )


def test_ask_prints_the_quote_and_its_source() -> None:
    result = citebot("ask", "what did Nadella say?")
    assert result.returncode == 0, result.stderr
    assert "Jevons Paradox" in result.stdout
    assert "004_250e2ef35fa11695.txt, line 31" in result.stdout


def test_ask_json_is_one_answer_object(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ask", "--json", "what did DeepSeek claim to have spent on training?"]) == 0
    [line] = capsys.readouterr().out.splitlines()
    answer = json.loads(line)
    assert set(answer) == {"question", "answered", "quotes", "note"}
    assert answer["answered"] is True
    first = answer["quotes"][0]
    assert set(first) == {
        "text",
        "source",
        "title",
        "start",
        "end",
        "line",
        "score",
        "highlights",
        "section",
        "page",
        "url",
        "derived",
        "number",
    }
    assert "$5.6 million" in first["text"]
    assert [quote["number"] for quote in answer["quotes"]] == list(range(1, len(answer["quotes"]) + 1))


def test_ask_json_reads_questions_from_stdin_as_json_lines() -> None:
    questions = "what did Nadella say?\nWhat is the capital of France?\n\nwhat did Sam Altman say?\n"
    result = citebot("ask", "--json", stdin=questions)
    assert result.returncode == 0, result.stderr
    answers = [json.loads(line) for line in result.stdout.splitlines()]
    assert [a["question"] for a in answers] == [
        "what did Nadella say?",
        "What is the capital of France?",
        "",
        "what did Sam Altman say?",
    ]
    assert [a["answered"] for a in answers] == [True, False, False, True]


def test_top_k_option_limits_quotes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ask", "--json", "--top-k", "1", "Nvidia stock price"]) == 0
    assert len(json.loads(capsys.readouterr().out)["quotes"]) == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["ask", "--corpus", "/no/such/dir", "question"], "corpus directory not found: /no/such/dir"),
        (["ask", "--top-k", "zero", "question"], "--top-k: not a number"),
        (["frobnicate"], "invalid choice"),
        ([], "no command given"),
        (["eval", "/no/such/file.jsonl"], "cannot read /no/such/file.jsonl"),
    ],
)
def test_usage_and_corpus_errors_are_one_line_and_exit_2(args: list[str], message: str) -> None:
    result = citebot(*args)
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_bad_config_names_file_and_key(tmp_path: Path) -> None:
    config = tmp_path / "citebot.toml"
    config.write_text("[retrieval]\nk1 = 'fast'\n")
    result = citebot("--config", str(config), "ask", "anything")
    assert result.returncode == 2
    assert f"{config}: retrieval.k1:" in result.stderr and len(result.stderr.splitlines()) == 1


def test_empty_corpus_is_one_line_exit_2(tmp_path: Path) -> None:
    result = citebot("ask", "--corpus", str(tmp_path), "question")
    assert result.returncode == 2
    kinds = ".txt, .md, .markdown, .rst, .html, .htm, .pdf, .docx"
    assert result.stderr.strip() == f"citebot: error: no documents ({kinds}) in the corpus directory {tmp_path}"


def test_bad_files_are_reported_and_the_rest_answer(tmp_path: Path) -> None:
    corpus = write_corpus(
        tmp_path / "c",
        {
            "good.txt": "Nvidia shares plunged 17% on Monday after the DeepSeek release.\n",
            "other.txt": "Meta plans to spend $65 billion on AI this year.\n",
            "third.txt": "Microsoft expects to spend $80 billion on data centres.\n",
            "bad.txt": b"\xff\xfe\x00b\x00a\x00d",
        },
    )
    result = citebot("ask", "--corpus", str(corpus), "how much did Nvidia shares plunge?")
    assert result.returncode == 0
    assert "17%" in result.stdout
    assert "bad.txt" in result.stderr and "binary" in result.stderr


def test_index_command_reports_what_it_built(tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "c", {"a.txt": "Nvidia shares plunged 17% on Monday.\n", "b.txt": b""})
    result = citebot("index", "--corpus", str(corpus))
    assert result.returncode == 0, result.stderr
    for label in (
        "documents:  1",
        "passages:   1",
        "vocabulary:",
        "skipped:    1 file(s)",
        "b.txt: empty file",
        "time:",
    ):
        assert label in result.stdout


def test_eval_prints_metrics_and_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cases = tmp_path / "q.jsonl"
    cases.write_text('{"q": "what did Nadella say?", "gold": ["Jevons"]}\n{"q": "capital of France?", "gold": []}\n')
    assert main(["eval", str(cases)]) == 0
    out = capsys.readouterr().out
    assert "hit@1:                1.000" in out and "abstention recall:    1.000" in out
    assert main(["eval", "--json", str(cases)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["hit_at_1"] == 1.0 and report["questions"] == 2


def test_eval_file_with_a_bad_line_names_the_line(tmp_path: Path) -> None:
    cases = tmp_path / "q.jsonl"
    cases.write_text('{"q": "fine", "gold": []}\n{"question": "wrong key"}\n')
    result = citebot("eval", str(cases))
    assert result.returncode == 2 and f"{cases}:2:" in result.stderr


def test_python_dash_m_bot_is_the_same_command() -> None:
    result = citebot("--help")
    assert result.returncode == 0 and "ask" in result.stdout and "console" in result.stdout


def test_index_reports_what_cleaning_left_out_and_why() -> None:
    result = citebot("index")
    assert result.returncode == 0, result.stderr
    assert "left out:" in result.stdout and "site notice repeated across documents" in result.stdout


def test_index_explain_shows_each_line_kept_or_left_out_with_its_reason() -> None:
    result = citebot("index", "--explain", "003_a2c33deafc2f9478.txt")
    assert result.returncode == 0, result.stderr
    assert "left out (template placeholder): [postviewcount]" in result.stdout
    assert "kept    : Morten W. Langer" in result.stdout


def test_index_explain_of_a_file_outside_the_corpus_is_one_line() -> None:
    result = citebot("index", "--explain", "no-such-file.txt")
    assert result.returncode == 2 and result.stderr.count("\n") == 1
