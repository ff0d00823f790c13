"""Keep the C heap small (glibc only): one malloc arena for every thread, and the free pages
given back to the operating system after each sync."""

from __future__ import annotations

import ctypes
import ctypes.util
from collections.abc import Callable

M_ARENA_MAX = -8
"""`mallopt`'s parameter for the most arenas glibc may create (malloc.h)."""


def _libc() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        return ctypes.CDLL(name)
    except OSError:
        return None


_LIBC = _libc()
_TRIM: Callable[[int], int] | None = getattr(_LIBC, "malloc_trim", None)  # not in musl
_MALLOPT: Callable[[int, int], int] | None = getattr(_LIBC, "mallopt", None)


def use_one_malloc_arena() -> bool:
    """Have every thread allocate from glibc's main arena (`mallopt(M_ARENA_MAX, 1)`); True
    when glibc took it. Call it before the server starts threads.

    glibc gives threads arenas of their own (up to eight per core). The server's long-lived
    large objects (server bodies, rendered entries) are made in worker threads, each sync in
    whichever arena its thread had, and freed a sync later, so free runs were left between
    live ones in several arenas, which `malloc_trim` could only partly give back. At 10,000
    servers, 16 syncs took RSS from 100 to 145 MB with an arena per thread, to 134 MB with
    one. The threads run Python under the GIL, so they seldom wait for each other's
    allocations.
    """
    return _MALLOPT is not None and _MALLOPT(M_ARENA_MAX, 1) == 1


def release_free_memory() -> None:
    """Return the free pages of the C heap to the system (`malloc_trim(0)`).

    A sync frees the data and the snapshot it replaced (10,000 servers: some 25 MB of
    bodies); glibc keeps the freed pages mapped unless asked, so the server's RSS would stay
    at the sync's peak.
    """
    if _TRIM is not None:
        _TRIM(0)
