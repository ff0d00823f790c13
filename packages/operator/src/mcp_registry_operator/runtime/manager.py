"""The manager: runs Runnables in one TaskGroup, gates some on the leader Lease, stops on signals.

Runnables that do not need leadership (informers, the health server) run on every replica.
The others (controllers) start only once the Lease is held and are cancelled when it is lost;
losing it ends `run` with LeadershipLostError so the process restarts as a fresh candidate
(controller-runtime does the same). On SIGTERM/SIGINT everything is cancelled and the Lease is
released, each step bounded by `shutdown_timeout`.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import structlog

from .leader import LeaderElector, LeadershipLostError

log = structlog.get_logger(__name__)


class Runnable(Protocol):
    @property
    def needs_leader_election(self) -> bool: ...

    async def run(self) -> None:
        """Run until cancelled (returning early is allowed)."""
        ...


@dataclass(frozen=True)
class ManagerSettings:
    shutdown_timeout: float = 20.0
    """Bound on releasing the Lease during shutdown (keep below terminationGracePeriod)."""
    signals: tuple[signal.Signals, ...] = (signal.SIGTERM, signal.SIGINT)


class Manager:
    def __init__(
        self,
        *,
        runnables: Sequence[Runnable],
        elector: LeaderElector | None = None,
        settings: ManagerSettings | None = None,
    ) -> None:
        self._always = [r for r in runnables if not r.needs_leader_election]
        self._gated = [r for r in runnables if r.needs_leader_election]
        self._elector = elector
        self.settings = settings or ManagerSettings()
        self.leading = asyncio.Event()
        """Set while the leader-gated runnables are running."""

    async def run(self) -> None:
        """Run until cancelled; raises LeadershipLostError when the Lease is lost."""
        try:
            async with asyncio.TaskGroup() as tg:
                for runnable in self._always:
                    tg.create_task(runnable.run())
                tg.create_task(self._run_gated())
        except ExceptionGroup as group:
            lost = group.subgroup(LeadershipLostError)
            if lost is not None:
                raise LeadershipLostError(str(lost.exceptions[0])) from group
            raise

    async def _run_gated(self) -> None:
        if self._elector is None:
            self.leading.set()
            async with asyncio.TaskGroup() as tg:
                for runnable in self._gated:
                    tg.create_task(runnable.run())
            return
        await self._elector.acquire()
        self.leading.set()
        try:
            async with asyncio.TaskGroup() as tg:
                tg.create_task(self._elector.hold())
                for runnable in self._gated:
                    tg.create_task(runnable.run())
        finally:
            self.leading.clear()
            try:
                async with asyncio.timeout(self.settings.shutdown_timeout):
                    await self._elector.release()
            except TimeoutError:
                log.warning("leader_release_timeout", seconds=self.settings.shutdown_timeout)

    async def run_until_signalled(self) -> None:
        """`run`, but a SIGTERM/SIGINT cancels it and returns normally after cleanup."""
        loop = asyncio.get_running_loop()
        task = asyncio.current_task()
        assert task is not None
        received: list[signal.Signals] = []

        def on_signal(sig: signal.Signals) -> None:
            log.info("shutdown_signal", signal=sig.name)
            received.append(sig)
            task.cancel()

        for sig in self.settings.signals:
            loop.add_signal_handler(sig, on_signal, sig)
        try:
            await self.run()
        except asyncio.CancelledError:
            if not received:
                raise
            task.uncancel()
        finally:
            for sig in self.settings.signals:
                loop.remove_signal_handler(sig)
