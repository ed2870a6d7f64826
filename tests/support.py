"""Helpers for the core tests (importable as `support`, since pytest puts tests/ on the path)."""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

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
