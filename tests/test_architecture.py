"""The shape of the code: the core knows no chat platform, and plain commands import no chat SDK."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CHAT_MODULES = ("discord", "slack_bolt", "slack_sdk", "aiohttp", "bot")


def test_retrieval_source_imports_no_chat_sdk_and_nothing_from_bot() -> None:
    for path in (REPO / "retrieval").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = (
                [alias.name for alias in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            for name in names:
                assert name.split(".")[0] not in CHAT_MODULES, f"{path.name} imports {name}"


def test_asking_a_question_loads_no_chat_sdk() -> None:
    """`citebot ask` starts fast: the chat SDKs load only in the commands that run a bot."""
    probe = (
        "import sys; from bot.cli import main; main(['ask', '--json', 'what did Nadella say?']); "
        "print([m for m in sys.modules if m.split('.')[0] in ('discord', 'slack_bolt', 'slack_sdk', 'aiohttp')])"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=REPO, check=True)
    assert result.stdout.splitlines()[-1] == "[]"


def test_the_question_log_imports_no_chat_sdk() -> None:
    """`citebot report` and `citebot forget` work without loading Slack or Discord."""
    for path in (REPO / "bot" / "store").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import | ast.ImportFrom):
                names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else [node.module or ""]
                for name in names:
                    assert name.split(".")[0] not in CHAT_MODULES[:4], f"{path.name} imports {name}"
                    assert not name.startswith(("bot.slack_adapter", "bot.discord_adapter")), f"{path.name}: {name}"


def test_asking_a_question_loads_no_database_layer() -> None:
    """`citebot ask` records nothing, so it does not pay for SQLAlchemy."""
    probe = (
        "import sys; from bot.cli import main; main(['ask', '--json', 'what did Nadella say?']); "
        "print([m for m in sys.modules if m.split('.')[0] in ('sqlalchemy', 'psycopg') or m.startswith('bot.store')])"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=REPO, check=True)
    assert result.stdout.splitlines()[-1] == "[]"
