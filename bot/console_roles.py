"""The parts `citebot console` plays, so follow-ups and "more" can be tried locally with the platforms' rules.

In a channel (the default) each question is a mention answered in a thread of its own; `/thread` goes into the
last answer's thread, where a follow-up builds on the question there (as a mention in citebot's Slack thread);
`/reply TEXT` replies to the last answer (as on Discord); in a DM (`/as dm`) the whole conversation is one. The
conversations themselves are bot.followups', the same as Slack's and Discord's.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Literal

ROLES_HELP = """  /as channel  ask as a mention in a channel: each question gets a thread of its own (the default)
  /as dm       ask as in a direct message: the whole conversation is one, follow-ups and `more` included
  /thread      go into the last answer's thread: follow-ups and `more` build on its question
  /reply TEXT  reply to the last answer (as on Discord): a follow-up, or `more`"""
NOTHING_TO_CONTINUE = "No answer yet to continue: ask a question first."
SAY_REPLY = "Say /reply and your follow-up, e.g. /reply more."


@dataclass(frozen=True)
class Said:
    """A line to answer: its text, the conversation it is said in, and the keys its answer is remembered under."""

    text: str
    said_in: str | None
    keys: list[str]


@dataclass
class ConsoleRoles:
    """Where the next line is said, and the conversation it starts or continues."""

    role: Literal["channel", "dm"] = "channel"
    thread: str | None = None  # the thread the person is in (in a channel)
    last: str | None = None  # the conversation of the last answer
    _numbers: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def prompt(self) -> str:
        where = "dm" if self.role == "dm" else "thread" if self.thread else None
        return f"citebot ({where})> " if where else "citebot> "

    def read(self, line: str) -> Said | str | None:
        """A line typed at the prompt: a question or `/reply` to answer (Said), what to print for a role command
        or a `/reply` that cannot be (str), or None for any other command."""
        if line.split()[:1] == ["/reply"]:
            text = line.removeprefix("/reply").strip()
            if self.last is None or not text:
                return NOTHING_TO_CONTINUE if self.last is None else SAY_REPLY
            return Said(text, *self.place(reply=True))
        if not line.startswith("/"):
            return Said(line, *self.place())
        return self.command(line)

    def command(self, line: str) -> str | None:
        """What to print for a role command (`/as channel`, `/as dm`, `/thread`), or None if `line` is not one."""
        words = line.split()
        if words[:1] == ["/as"]:
            if words[1:] == ["channel"]:
                self.role, self.thread = "channel", None
                return "Asking as a mention in a channel: each question gets a thread of its own."
            if words[1:] == ["dm"]:
                self.role, self.thread = "dm", None
                return "Asking as in a direct message: follow-ups and `more` build on what was asked before."
            return "Say /as channel or /as dm."
        if words == ["/thread"]:
            if self.last is None:
                return NOTHING_TO_CONTINUE
            self.role, self.thread = "channel", self.last
            return "In the last answer's thread: follow-ups and `more` build on its question. /as channel leaves."
        return None

    def place(self, *, reply: bool = False) -> tuple[str | None, list[str]]:
        """(the conversation the next line is said in, the keys its answer is remembered under)."""
        if reply:
            said_in, answered_in = self.last, f"console:message:{next(self._numbers)}"
        elif self.role == "dm":
            said_in = answered_in = "console:dm"
        elif self.thread is not None:
            said_in = answered_in = self.thread
        else:
            said_in, answered_in = None, f"console:thread:{next(self._numbers)}"
        self.last = answered_in
        return said_in, [answered_in]
