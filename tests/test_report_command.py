"""`citebot console --log`, `citebot report` and `citebot forget`, run as an operator runs them."""

from __future__ import annotations

import getpass
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
ASKED = [
    "what did Nadella say?",
    "unladen swallow airspeed?",
    "What is the airspeed of an unladen swallow",
    "what did Nadella say?",
]


def citebot(*args: str, stdin: str = "", cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, "COLUMNS": "200", "TERM": "dumb", "PYTHONPATH": str(REPO)},
        timeout=120,
        check=False,
    )


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "citebot.toml"
    path.write_text(f'[storage]\nurl = "sqlite:///{tmp_path / "questions.sqlite3"}"\n', encoding="utf-8")
    return path


@pytest.fixture
def logged(config: Path) -> Path:
    """Four questions asked in the console with --log: two the documents answer, two rewordings they don't."""
    result = citebot("console", "--log", "--config", str(config), stdin="\n".join(ASKED) + "\n")
    assert result.returncode == 0, result.stderr
    return config


def test_the_console_records_nothing_without_log(config: Path, tmp_path: Path) -> None:
    result = citebot("console", "--config", str(config), stdin="what did Nadella say?\n")
    assert result.returncode == 0, result.stderr
    assert not (tmp_path / "questions.sqlite3").exists()


def test_report_counts_questions_answers_and_groups_unanswered_rewordings(logged: Path) -> None:
    result = citebot("report", "--since", "7d", "--config", str(logged))
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "questions  4" in out
    assert "answered   2 (50%)" in out
    unanswered = out.split("unanswered (similar wordings counted together)\n")[1].split("\n\n")[0]
    assert unanswered.strip().splitlines() == [
        "2  unladen swallow airspeed?  (also: What is the airspeed of an unladen swallow)"
    ]
    assert "console" in out.split("per channel\n")[1]
    assert "004_250e2ef35fa11695.txt" in out.split("most cited\n")[1].split("\n\n")[0]


def test_report_as_json_and_csv(logged: Path) -> None:
    report = json.loads(citebot("report", "--format", "json", "--config", str(logged)).stdout)
    assert (report["questions"], report["answered"]) == (4, 2)
    assert report["most_asked"][0]["count"] == 2
    assert [w["count"] for w in report["unanswered"]] == [2]
    assert report["least_cited"][0]["count"] == 0  # a bundled document nobody's question needed

    rows = citebot("report", "--format", "csv", "--config", str(logged)).stdout.splitlines()
    assert rows[0] == "section,item,count,detail"
    assert "summary,questions,4," in rows
    assert "unanswered,unladen swallow airspeed?,2,What is the airspeed of an unladen swallow" in rows


def test_export_eval_writes_unanswered_questions_as_eval_lines(logged: Path, tmp_path: Path) -> None:
    """One line per wording, gold empty for an editor to fill in; `citebot eval` reads the file as it is."""
    exported = tmp_path / "to-review.jsonl"
    result = citebot("report", "--export-eval", str(exported), "--config", str(logged))
    assert result.returncode == 0, result.stderr
    assert [json.loads(line) for line in exported.read_text().splitlines()] == [
        {"q": "unladen swallow airspeed?", "gold": []}
    ]

    evaluated = citebot("eval", str(exported), "--config", str(logged))
    assert evaluated.returncode == 0, evaluated.stderr


def test_forget_removes_the_person_and_the_report_shows_nothing_of_them(logged: Path) -> None:
    result = citebot("forget", getpass.getuser(), "--config", str(logged))
    assert result.returncode == 0, result.stderr
    assert "deleted" in result.stdout
    assert json.loads(citebot("report", "--format", "json", "--config", str(logged)).stdout)["questions"] == 0


def test_a_bad_period_is_one_line(config: Path) -> None:
    result = citebot("report", "--since", "a week", "--config", str(config))
    assert result.returncode == 2
    assert result.stderr.strip() == "citebot: error: --since: not a period: 'a week' (use e.g. 24h, 7d or 4w)"
