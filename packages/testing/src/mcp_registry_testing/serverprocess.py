"""The real `mcp-registry-server serve` as a child process, its memory read from /proc (Linux).

`ServerProcess.running(config)` (no config: the embedded default) starts it on loopback
ports, waits for its "listening" line and stops it on the way out; `memory()` reads the
child's current and peak RSS, `reset_peak()` starts a new peak from the current RSS
(`/proc/<pid>/clear_refs`), and `sync()` runs a manual sync of one source through the
internal port and returns its resulting status.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import sys
from collections import deque
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

LISTENING = re.compile(
    r"mcp-registry-server listening on (http://\S+) \(API\) and (http://\S+) \(internal\)"
)
START_TIMEOUT = 60.0
"""Seconds the server may take to print where it listens."""
REQUEST_TIMEOUT = 120.0
"""Seconds one request to it may take (a manual sync of a big document included)."""


class ServerExitedError(RuntimeError):
    """The server process ended before it was stopped; the message ends with its last lines."""


@dataclass(frozen=True, slots=True)
class Memory:
    """Resident set sizes of a process in bytes: now (`VmRSS`) and its peak (`VmHWM`)."""

    rss: int
    peak: int


def read_memory(pid: int) -> Memory:
    """`VmRSS` and `VmHWM` of process `pid` from `/proc/<pid>/status`."""
    fields: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = int(value.split()[0]) * 1024  # the kernel prints kB
    return Memory(rss=fields["VmRSS"], peak=fields["VmHWM"])


def reset_peak(pid: int) -> None:
    """Make the peak RSS of `pid` its current RSS (Linux >= 4.0, same user)."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")


@dataclass(eq=False)
class ServerProcess:
    process: asyncio.subprocess.Process
    api: str
    internal: str
    http: aiohttp.ClientSession
    output: deque[str] = field(default_factory=lambda: deque(maxlen=40))

    @classmethod
    @contextlib.asynccontextmanager
    async def running(
        cls,
        config: Path | None = None,
        *,
        args: Sequence[str] = (),
        env: Mapping[str, str] | None = None,
        log_level: str = "warn",
    ) -> AsyncIterator[ServerProcess]:
        """`serve --config config *args` (the embedded default without `config`) on free
        loopback ports until the block ends."""
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "mcp_registry_server.cli",
            "serve",
            *(() if config is None else ("--config", str(config))),
            "--address",
            "127.0.0.1:0",
            "--internal-address",
            "127.0.0.1:0",
            "--log-level",
            log_level,
            *args,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            env=dict(os.environ if env is None else env),
        )
        output: deque[str] = deque(maxlen=40)
        drain: asyncio.Task[None] | None = None
        try:
            api, internal = await _listening(process, output)
            drain = asyncio.create_task(_drain(process, output))  # the pipe must never fill up
            timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT)
            # a connection per request: the server closes one idle for 10 s, and a caller that
            # held the loop longer (making a 100 MiB document) sent its next request on a
            # pooled connection the server had closed, whose FIN the loop had not yet read
            connector = aiohttp.TCPConnector(force_close=True)
            async with aiohttp.ClientSession(connector=connector, timeout=timeout) as http:
                yield cls(process, api, internal, http, output)
        finally:
            if process.returncode is None:
                process.kill()
            await process.wait()
            if drain is not None:
                async with asyncio.timeout(10):  # the pipe closes with the process
                    await drain

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def alive(self) -> bool:
        return self.process.returncode is None

    def memory(self) -> Memory:
        return read_memory(self.pid)

    def reset_peak(self) -> Memory:
        """Start a new peak at the current RSS; the memory right after."""
        reset_peak(self.pid)
        return self.memory()

    def tail(self) -> str:
        return "\n".join(self.output)

    async def status(self, source: str) -> dict[str, Any]:
        """The source's entry of `GET /status`."""
        async with self.http.get(f"{self.internal}/status") as response:
            response.raise_for_status()
            body = await response.json()
        for item in body["sources"]:
            if item["name"] == source:
                return dict(item)
        raise KeyError(source)

    async def sync(self, source: str) -> dict[str, Any]:
        """`POST /sources/{source}/sync`: the source's status once that attempt has ended."""
        async with self.http.post(f"{self.internal}/sources/{source}/sync") as response:
            response.raise_for_status()
            return dict(await response.json())

    async def healthy(self) -> bool:
        async with self.http.get(f"{self.internal}/health") as response:
            return response.status == 200


async def _listening(process: asyncio.subprocess.Process, output: deque[str]) -> tuple[str, str]:
    assert process.stdout is not None
    async with asyncio.timeout(START_TIMEOUT):
        while True:
            line = await process.stdout.readline()
            if not line:
                lines = "\n".join(output)
                raise ServerExitedError(f"serve exited before it listened:\n{lines}")
            text = line.decode(errors="replace").rstrip()
            output.append(text)
            match = LISTENING.search(text)
            if match is not None:
                return match.group(1), match.group(2)


async def _drain(process: asyncio.subprocess.Process, output: deque[str]) -> None:
    assert process.stdout is not None
    while line := await process.stdout.readline():
        output.append(line.decode(errors="replace").rstrip())
