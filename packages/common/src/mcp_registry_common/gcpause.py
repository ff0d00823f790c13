"""Pausing CPython's cyclic garbage collector while a large acyclic tree is built.

Building many containers that all survive (a converted registry: some 20 dicts and lists per
server) makes the collector run full collections over the whole heap, although none of the new
objects can be cyclic garbage; on a process holding a large snapshot each one costs more than
the work that triggered it. Reference counting still frees everything as usual while paused.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_holders = 0
_resume = False


@contextmanager
def gc_paused() -> Iterator[None]:
    """Disable the cyclic collector for the block; the last block to leave (any thread, nested
    or concurrent) enables it again, and only if it was enabled when the first one entered."""
    global _holders, _resume
    with _lock:
        if _holders == 0:
            _resume = gc.isenabled()
            gc.disable()
        _holders += 1
    try:
        yield
    finally:
        with _lock:
            _holders -= 1
            if _holders == 0 and _resume:
                gc.enable()
