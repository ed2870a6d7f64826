"""Helpers for the core tests (importable as `support`, since pytest puts tests/ on the path)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
from collections.abc import Awaitable, Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import TypeVar

from bot.store import QuestionLog, QuestionRecord

T = TypeVar("T")


def write_corpus(directory: Path, files: dict[str, str | bytes]) -> Path:
    """A small corpus on disk; bytes are written as they are, to make broken files."""
    directory.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        path = directory / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return directory


def children_of(pid: int) -> list[int]:
    """The processes whose parent is `pid` (Linux /proc)."""
    found = []
    for status in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            if int(status.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(status.parent.name))
    return found


def wait_for(check: Callable[[], T], *, seconds: float) -> T:
    """Poll `check` until it returns something true, or give up after `seconds` and return its last result."""
    deadline = time.monotonic() + seconds
    while True:
        result = check()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(0.05)


def is_running(pid: int) -> bool:
    """True while the process exists and has not exited (a zombie waiting to be reaped counts as ended)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


@contextlib.contextmanager
def stalled(pid: int) -> Iterator[None]:
    """The process stops running (SIGSTOP) until the block ends: from outside, a worker lost in a heavy answer
    looks just like this, and unlike a heavy answer it stays stuck for exactly as long as a test needs."""
    os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGCONT)


async def recorded(log: QuestionLog) -> list[QuestionRecord]:
    """Everything the log holds once its writer has caught up."""
    assert await asyncio.to_thread(log.flush)
    return await asyncio.to_thread(log.store.questions_since, datetime(2000, 1, 1))


# ---------------------------------------------------------------------- documents made by real libraries

HANDBOOK_MD = """---
title: Engineering Handbook
url: https://handbook.example.com/engineering
owner: platform-team
---

# Engineering Handbook

## Code review

Every change needs one approving review before it merges. Reviewers answer within one working day.

## On-call rotation

The on-call engineer carries the pager for seven days, from Monday to Monday. Handovers happen at the Monday
standup, where the outgoing engineer walks through open incidents.
"""

DEPLOY_HTML = """<!doctype html>
<html><head><title>Deploying the Storefront</title>
<link rel="canonical" href="https://wiki.example.com/ops/deploy">
<link rel="stylesheet" href="{remote}/site.css"><script src="{remote}/tracker.js"></script></head>
<body>
<header class="site-header"><a href="/">Acme Wiki</a> <a href="/pricing">Pricing</a>
<a href="/careers">Careers</a></header>
<nav><ul><li><a href="/">Home</a></li><li><a href="/ops">Operations</a></li>
<li><a href="/hr">Human resources</a></li></ul></nav>
<div id="cookie-consent" class="banner">We use cookies to improve your experience. Accept all cookies to continue.</div>
<main><article>
<h1 id="top">Deploying the Storefront</h1>
<p>The deploy script copies the storefront build to three web servers, then restarts them one at a time.</p>
<section id="rolling-back"><h2>Rolling back</h2>
<p>Run <code>deploy --undo</code> to restore the previous storefront build within two minutes.</p>
<img src="{remote}/diagram.png" alt="diagram"></section>
</article></main>
<aside>Related: the office plant watering schedule.</aside>
<footer>Copyright 2025 Acme Corporation. Imprint and legal notice.</footer>
</body></html>
"""

RELEASE_RST = """===============
Release Process
===============

Releases leave the main branch every second Thursday.

Tagging
-------

The release manager signs the release tag with the team's hardware key.

Publishing
----------

Wheels are uploaded to the package index after the smoke tests pass.
"""

TRAVEL_PAGES = [
    ("Booking flights", "Employees book economy class for flights shorter than six hours."),
    ("Hotels", "A hotel night may cost at most 180 euros in Berlin and 150 euros elsewhere."),
    ("Meals", "Meals on travel days are reimbursed up to 40 euros a day."),
]


async def asked_until(ask: Callable[[], Awaitable[str]], marker: str, present: bool, *, seconds: float) -> str:
    """Ask again until `marker` is (or is no longer) in the answer, or `seconds` pass; the last answer (a live
    re-index finishes in its own time, so the test asks as a person would, until the answer changes)."""
    deadline = time.monotonic() + seconds
    while (marker in (answer := await ask())) != present and time.monotonic() < deadline:
        pass
    return answer


def make_pdf(pages: list[tuple[str, str]], title: str | None = None) -> bytes:
    """A PDF written by fpdf2: one page per (heading, body), each heading also a bookmark."""
    from fpdf import FPDF

    pdf = FPDF()
    if title:
        pdf.set_title(title)
    pdf.set_font("helvetica", size=12)
    for heading, body in pages:
        pdf.add_page()
        pdf.start_section(heading)
        pdf.cell(text=heading, new_x="LMARGIN", new_y="NEXT")
        pdf.multi_cell(w=0, text=body)
    return bytes(pdf.output())


def make_docx(title: str, sections: list[tuple[str, str]]) -> bytes:
    """A Word file written by python-docx: a Title paragraph, then a Heading 1 and a paragraph per section."""
    import io

    import docx

    document = docx.Document()
    document.add_heading(title, level=0)
    for heading, body in sections:
        document.add_heading(heading, level=1)
        document.add_paragraph(body)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


ONBOARDING_SECTIONS = [
    ("First day", "New hires collect their laptop from the front desk at nine."),
    ("Accounts", "IT creates the email account one week before the start date."),
]
