"""Clocks, memory and percentiles: small helpers shared by the workers and the report."""

from __future__ import annotations

import resource
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

import numpy as np

T = TypeVar("T")
MB = 1024 * 1024


def rss_mb() -> float:
    """Resident memory now (Linux /proc; elsewhere the peak is the best we can read)."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except (OSError, IndexError, ValueError):
        return peak_rss_mb()
    return pages * resource.getpagesize() / MB


def peak_rss_mb() -> float:
    """This process's peak resident memory so far.

    Linux's VmHWM, not ru_maxrss: ru_maxrss survives exec, so a worker would inherit its parent's peak.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError, IndexError):
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@contextmanager
def stopwatch() -> Iterator[list[float]]:
    """`with stopwatch() as elapsed:` then `elapsed[0]` holds the seconds the block took."""
    elapsed = [0.0]
    began = time.perf_counter()
    try:
        yield elapsed
    finally:
        elapsed[0] = time.perf_counter() - began


def timed(function: Callable[[], T]) -> tuple[T, float]:
    began = time.perf_counter()
    result = function()
    return result, time.perf_counter() - began


def latency_summary(seconds: list[float]) -> dict[str, float]:
    """p50, p99 and max in milliseconds."""
    if not seconds:
        return {"p50_ms": float("nan"), "p99_ms": float("nan"), "max_ms": float("nan")}
    ms = np.asarray(seconds) * 1000
    return {
        "p50_ms": float(np.percentile(ms, 50)),
        "p99_ms": float(np.percentile(ms, 99)),
        "max_ms": float(ms.max()),
    }


def directory_size_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / MB
