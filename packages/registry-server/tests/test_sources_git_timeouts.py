"""Git fetches against a remote that accepts and never answers: every transport (git://, smart
HTTP, ssh) gives up on its own socket timeout, an abandoned fetch stops its worker thread at
once, and the next fetch of the source runs instead of finding the last one "still running"."""

from __future__ import annotations

import asyncio
import contextlib
import os
import stat
import threading
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from mcp_registry_server.sources.base import FetchLimits
from mcp_registry_server.sources.errors import SourceTimeoutError
from mcp_registry_server.sources.git import GitFetcher, GitTarget
from mcp_registry_testing.blackhole import BlackHole
from mcp_registry_testing.gitrepos import GitDaemon, GitRepo
from mcp_registry_testing.waiting import wait_for

V1 = b'{"version": 1}'
V2 = b'{"version": 2}'
FAKE_SSH = """#!/bin/sh
# A reachable host whose git never answers: note the arguments, then hold the pipes open.
echo started >> "{log}"
printf '%s\\n' "$@" > "{argv}"
exec sleep 600
"""


@pytest.fixture
async def hole() -> AsyncIterator[BlackHole]:
    async with BlackHole() as black_hole:
        yield black_hole


def fetcher(tmp_path: Path, repository: str, *, timeout: float) -> GitFetcher:
    return GitFetcher(
        GitTarget(repository=repository),
        workdir=tmp_path / "work",
        limits=FetchLimits(),
        timeout=timeout,
        guard=None,  # loopback remotes (test_sources_netguard.py has the guard)
    )


def fetch_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("git-fetch")]


@contextlib.asynccontextmanager
async def abandoned_at_the_end(task: asyncio.Task[object]) -> AsyncIterator[None]:
    try:
        yield
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_git_protocol_fetches_from_a_daemon(tmp_path: Path) -> None:
    """The timed `git://` client is still a working `git://` client."""
    repo = GitRepo.init(tmp_path / "src")
    repo.commit({"registry.json": V1})
    with GitDaemon(repo) as daemon:
        source = fetcher(tmp_path, daemon.url, timeout=10)
        assert (await source.fetch()).data == V1
        repo.commit({"registry.json": V2})
        result = await source.fetch()
    assert result.data == V2
    assert daemon.url in result.origin


@pytest.mark.parametrize("scheme", ["git", "http"])
async def test_a_silent_remote_times_out_on_the_socket_timeout(
    hole: BlackHole, tmp_path: Path, scheme: str
) -> None:
    source = fetcher(tmp_path, hole.url(scheme, "/org/repo.git"), timeout=0.3)
    for attempt in (1, 2):  # the second one runs: nothing is left "still running"
        with pytest.raises(SourceTimeoutError, match=r"no answer .* within 0\.3s") as caught:
            async with asyncio.timeout(20):
                await source.fetch()
        assert f"{scheme}://127.0.0.1:{hole.port}/org/repo.git" in str(caught.value)
        assert hole.accepted == attempt, "one connection per fetch: a timeout is not retried"
        await wait_for(lambda: hole.open == 0, 5, message="the fetch left its socket open")
    await wait_for(lambda: not fetch_threads(), 5, message="a git fetch thread is still alive")


@pytest.mark.parametrize("scheme", ["git", "http"])
async def test_an_abandoned_fetch_stops_its_thread_at_once(
    hole: BlackHole, tmp_path: Path, scheme: str
) -> None:
    source = fetcher(tmp_path, hole.url(scheme, "/org/repo.git"), timeout=600)
    first = asyncio.create_task(source.fetch())
    await wait_for(lambda: hole.open == 1, 10, message="the fetch never connected")
    first.cancel()  # what the engine's attempt timeout does
    await asyncio.gather(first, return_exceptions=True)
    await wait_for(lambda: hole.open == 0, 5, message="the abandoned fetch still holds its socket")
    await wait_for(lambda: not fetch_threads(), 5, message="the abandoned fetch thread lives on")
    second = asyncio.create_task(source.fetch())
    async with abandoned_at_the_end(second):
        await wait_for(lambda: hole.accepted == 2, 10, message="the next fetch never ran")
        assert not second.done(), second


@pytest.fixture
def fake_ssh(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """An `ssh` first on PATH that logs each start and its arguments, then never answers."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log, argv = tmp_path / "ssh.log", tmp_path / "ssh.argv"
    program = bin_dir / "ssh"
    program.write_text(FAKE_SSH.format(log=log, argv=argv))
    program.chmod(program.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    return log, argv


def starts(log: Path) -> int:
    return len(log.read_text().splitlines()) if log.exists() else 0


async def test_ssh_gets_timeouts_and_an_abandoned_fetch_kills_it(
    fake_ssh: tuple[Path, Path], tmp_path: Path
) -> None:
    log, argv = fake_ssh
    source = fetcher(tmp_path, "ssh://git@127.0.0.1:2222/org/repo.git", timeout=7)
    first = asyncio.create_task(source.fetch())
    await wait_for(lambda: argv.exists() and "127.0.0.1" in argv.read_text(), 10)
    args = argv.read_text().splitlines()
    for option in ("ConnectTimeout=7", "ServerAliveInterval=7", "BatchMode=yes"):
        assert option in args, args
    first.cancel()
    await asyncio.gather(first, return_exceptions=True)
    await wait_for(lambda: not fetch_threads(), 5, message="the abandoned ssh fetch lives on")
    second = asyncio.create_task(source.fetch())
    async with abandoned_at_the_end(second):
        await wait_for(lambda: starts(log) == 2, 10, message="the next fetch never ran")
