"""Child processes for the local e2e tier: output in a log file, stopped by SIGTERM then SIGKILL."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

STOP_TIMEOUT = 10.0
"""Seconds a process gets to exit after SIGTERM before it is killed."""


class ProcessStartError(RuntimeError):
    """The executable could not be started (missing, not executable)."""


@dataclass(eq=False)
class ManagedProcess:
    """One child in its own session (so SIGTERM reaches its children too).

    stdout and stderr both go to `log_file`; `tail()` reads its end for failure messages.
    """

    argv: tuple[str, ...]
    log_file: Path
    process: asyncio.subprocess.Process = field(repr=False)

    @classmethod
    async def start(
        cls,
        argv: Sequence[str],
        *,
        log_file: Path,
        env: Mapping[str, str],
        cwd: Path | None = None,
    ) -> ManagedProcess:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        with log_file.open("ab") as log:
            try:
                process = await asyncio.create_subprocess_exec(
                    *argv,
                    stdin=asyncio.subprocess.DEVNULL,
                    stdout=log,
                    stderr=asyncio.subprocess.STDOUT,
                    env=dict(env),
                    cwd=cwd,
                    start_new_session=True,
                )
            except OSError as exc:
                raise ProcessStartError(f"cannot start {argv[0]}: {exc}") from exc
        return cls(argv=tuple(argv), log_file=log_file, process=process)

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def returncode(self) -> int | None:
        return self.process.returncode

    def tail(self, lines: int = 20) -> str:
        """The last `lines` lines of the log ("" when nothing was written)."""
        try:
            text = self.log_file.read_text(errors="replace")
        except FileNotFoundError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    async def wait(self) -> int:
        return await self.process.wait()

    async def stop(self, *, grace: float = STOP_TIMEOUT) -> int:
        """SIGTERM the process group; SIGKILL it after `grace` seconds; return the exit status."""
        if self.process.returncode is None:
            self._signal(signal.SIGTERM)
            try:
                async with asyncio.timeout(grace):
                    await self.process.wait()
            except TimeoutError:
                self._signal(signal.SIGKILL)
                await self.process.wait()
        return await self.process.wait()

    def _signal(self, signum: signal.Signals) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signum)
