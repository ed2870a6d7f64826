"""`citebot console`: the local test mode, a REPL that answers through the same service as the chat bots."""

from __future__ import annotations

import asyncio
import contextlib
import getpass
import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from bot.answering import AnswerService
from bot.console_roles import ROLES_HELP, ConsoleRoles, Said
from bot.followups import Conversations, answer_turn
from bot.rendering import SEARCH_FAILED_NOTE, Page, printable
from bot.text_render import render_rich

if TYPE_CHECKING:
    from rich.text import Text

    from bot.store import QuestionLog

HELP = f"""Type a question and press Enter; `more` shows the next quotes. Commands:
  /help        this help
  /sources     the documents and their titles
  /quit        leave (Ctrl-D and Ctrl-C work too)
{ROLES_HELP}"""
log = logging.getLogger("citebot")


def _history_file() -> Path:
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / "citebot" / "console_history"


def run_console(service: AnswerService, question_log: QuestionLog | None = None) -> int:
    """The prompt loop; questions are recorded only when the operator asked for it (`--log`)."""
    from rich.console import Console

    console = Console()
    history = _enable_history()
    report = service.retriever.report
    shown = service.retriever
    roles, conversations = ConsoleRoles(), Conversations()
    try:
        console.print(
            f"[bold]citebot[/bold] — {report.documents} documents, {report.passages} passages. "
            "Ask a question, or /help."
        )
        while True:
            try:
                line = input(roles.prompt()).strip()
            except EOFError:
                console.print()
                break
            if not line:
                continue
            if line in ("/quit", "/exit", "/q"):
                break
            if line == "/help":
                console.print(HELP, highlight=False)
            elif line == "/sources":
                for doc in service.retriever.documents:
                    console.print(_source_line(doc.title, doc.source))
            elif (said := roles.read(line)) is None:
                command = printable(line.split()[0], keep_newlines=False)
                console.print(f"Unknown command {command!r}. Type /help.", highlight=False, markup=False)
            elif isinstance(said, str):
                console.print(said, highlight=False, markup=False)
            else:
                if service.retriever is not shown:  # live updates swapped in a new index
                    shown = service.retriever
                    changed = f"(the documents changed: now {shown.report.documents} documents, "
                    console.print(changed + f"{shown.report.passages} passages)", style="dim", highlight=False)
                page = _answer(service, conversations, said, question_log)
                if page is None:
                    console.print(SEARCH_FAILED_NOTE, style="yellow", highlight=False, markup=False)
                else:
                    answer, number, follows = page.answer, page.first_number, page.following_up_on
                    console.print(render_rich(answer, first_number=number, following_up_on=follows))
    except KeyboardInterrupt:
        console.print()
    finally:
        if question_log is not None:
            question_log.close()
        if history is not None:
            with contextlib.suppress(OSError):
                history()
    return 0


def _answer(
    service: AnswerService, conversations: Conversations, said: Said, question_log: QuestionLog | None
) -> Page | None:
    """A line said in its conversation (a follow-up, `more`, or a question of its own), recorded when the
    operator asked for it; None if the search failed."""
    from bot.store import Asked

    turn = conversations.turn(said.text, said.said_in)
    asked = Asked("console", getpass.getuser(), said.text)
    page, _ = asyncio.run(answer_turn(service, conversations, turn, asked, said.keys, question_log, log))
    return page


def _source_line(title: str, source: str) -> Text:
    """A /sources line built as rich Text, so brackets in a title are text, never markup."""
    from rich.text import Text

    line = Text("• ")
    line.append(printable(title, keep_newlines=False), style="bold")
    line.append(f" ({printable(source, keep_newlines=False)})", style="dim")
    return line


def _enable_history() -> Callable[[], None] | None:
    """Line editing and a persistent history where the platform has readline; returns the save function."""
    try:
        import readline
    except ImportError:  # pragma: no cover - Windows without pyreadline
        return None
    path = _history_file()
    with contextlib.suppress(OSError):
        readline.read_history_file(path)
    readline.set_history_length(1000)

    def save() -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        readline.write_history_file(path)

    return save
