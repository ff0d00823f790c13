"""Blocking fetch work (dulwich) on a thread of its own that can really be abandoned.

`asyncio.to_thread` cannot stop a thread: a cancelled caller returns while the thread stays
blocked on a socket, holds one of the loop's few default-executor workers (file reads, parsing
and DNS wait behind it) and keeps the source's clone busy. Here each fetch gets a dedicated
daemon thread and an `Interrupt`: the transports register every socket and subprocess they
open on that thread with it, and when the awaiting task is cancelled (the attempt's deadline,
a removed source, shutdown) the interrupt shuts them down, so the thread's blocking call fails
at once and the thread ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import socket
import threading
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")
Hook = Callable[[], Any]


class Interrupt:
    """Thread-safe: `fire()` runs every registered hook once; a hook registered after it ran
    runs at once (a socket opened just after the fetch was abandoned is shut down too)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._fired = False
        self._hooks: list[Hook] = []

    @property
    def fired(self) -> bool:
        return self._fired

    def on_fire(self, hook: Hook) -> None:
        with self._lock:
            if not self._fired:
                self._hooks.append(hook)
                return
        _run(hook)

    def watch_socket(self, sock: socket.socket) -> None:
        """Shut `sock` down when fired: a recv blocked on it in another thread returns."""
        self.on_fire(lambda: sock.shutdown(socket.SHUT_RDWR))

    def fire(self) -> None:
        with self._lock:
            self._fired = True
            hooks, self._hooks = self._hooks, []
        for hook in hooks:
            _run(hook)


def _run(hook: Hook) -> None:
    with contextlib.suppress(OSError):  # already closed, or the process already gone
        hook()


_current = threading.local()


def current_interrupt() -> Interrupt | None:
    """The interrupt of the fetch running on this thread (None outside a `BlockingWorker`)."""
    found: Interrupt | None = getattr(_current, "interrupt", None)
    return found


class WorkerBusyError(Exception):
    """The previous call on this worker is still running (it was abandoned and has not ended)."""


class BlockingWorker:
    """Runs one blocking call at a time, each on a new daemon thread named `name`."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._finished: asyncio.Future[None] | None = None

    @property
    def busy(self) -> bool:
        """A call's thread has not finished yet (even if its caller gave up on it)."""
        return self._finished is not None and not self._finished.done()

    async def run(self, call: Callable[[], T], *, grace: float) -> T:
        """`call()` on a thread of its own; its result or exception.

        A previous call that was abandoned gets up to `grace` seconds to end first, else
        `WorkerBusyError`. Cancelling the caller fires the call's interrupt and returns
        without waiting for the thread."""
        if self._finished is not None and not self._finished.done():
            await asyncio.wait({self._finished}, timeout=grace)
            if not self._finished.done():
                raise WorkerBusyError(self._name)
        loop = asyncio.get_running_loop()
        result: asyncio.Future[T] = loop.create_future()
        finished: asyncio.Future[None] = loop.create_future()
        interrupt = Interrupt()
        thread = threading.Thread(
            target=_main,
            args=(call, interrupt, loop, result, finished),
            name=self._name,
            daemon=True,  # never keeps the process alive; the interrupt ends it anyway
        )
        self._finished = finished
        thread.start()
        try:
            return await result
        except asyncio.CancelledError:
            interrupt.fire()
            raise


def _main(
    call: Callable[[], T],
    interrupt: Interrupt,
    loop: asyncio.AbstractEventLoop,
    result: asyncio.Future[T],
    finished: asyncio.Future[None],
) -> None:
    _current.interrupt = interrupt
    outcome: Hook
    try:
        outcome = functools.partial(result.set_result, call())
    except BaseException as exc:  # handed to the caller, whatever it is
        outcome = functools.partial(result.set_exception, exc)
    finally:
        _current.interrupt = None

    def settle() -> None:  # one callback: the caller never sees the worker still busy
        finished.set_result(None)
        if not result.done():  # else the caller was cancelled and is gone
            outcome()

    with contextlib.suppress(RuntimeError):  # the loop is closed: the program is exiting
        loop.call_soon_threadsafe(settle)
