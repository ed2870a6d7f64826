"""Giving freed memory back to the system while a large index is built."""

from __future__ import annotations

import contextlib
import ctypes


def give_back_freed_memory() -> None:
    """Return the heap's free pages to the system (glibc's malloc_trim): many small arrays or texts freed during a
    large build otherwise stay in the process's memory, since the big arrays made next are mapped apart and never
    reuse them. Does nothing where there is no malloc_trim."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).malloc_trim(0)
