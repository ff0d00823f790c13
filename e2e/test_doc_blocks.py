"""The README's and docs/' command blocks run as written (see `mcp_registry_testing.docblocks`).

Blocks run in order, with bash, in a scratch directory holding a link to each top-level entry
of the repository (so `bash scripts/serve.sh` and `examples/...` work as from a clone, and the
files the blocks write stay out of it). Three things are mapped, and only these:

- GitHub's toolhive-catalog repository -> a loopback smart-HTTP git server serving the
  repository's fictional legacy sample at the same path;
- ports 8080/8081 on 127.0.0.1 -> free ports (the server gets them from
  MCP_REGISTRY_ADDRESS / MCP_REGISTRY_INTERNAL_ADDRESS, and the URLs in the blocks are
  rewritten to match);
- the sources' private-address guard is off (THV_REGISTRY_SYNC_ALLOWPRIVATEIP=true: the
  stand-ins are on loopback);
- `hatch run CMD` -> CMD in this test's own environment (a `hatch` on PATH that runs the
  hatch.toml script of that name, else the command), instead of hatch choosing one.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from mcp_registry_testing.docblocks import DIRECTIVES, Block, covering_test, read_blocks
from mcp_registry_testing.gitrepos import GitHttpServer, GitRepo
from mcp_registry_testing.loopback import serve
from mcp_registry_testing.waiting import wait_for

REPO = Path(__file__).resolve().parents[1]
DOCS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
CATALOG = "https://github.com/stacklok/toolhive-catalog.git"
CATALOG_PATH = "pkg/catalog/toolhive/data/registry-legacy.json"
LEGACY_SAMPLE = REPO / "testdata" / "registry-samples" / "fictional" / "registry-legacy.json"
COMMAND_TIMEOUT = 120.0
FIRST_SERVE = 240.0
"""Seconds a background block may take to be ready (serve.sh's first run builds its venv)."""
HATCH = f"""#!{sys.executable}
# `hatch run NAME ARGS`: the hatch.toml script NAME, else the command NAME, in this environment.
import os, shlex, sys, tomllib
args = sys.argv[1:]
if args[:1] != ["run"] or len(args) < 2:
    sys.exit("hatch stand-in: only `hatch run CMD ...` is mapped")
with open({str(REPO / "hatch.toml")!r}, "rb") as f:
    scripts = tomllib.load(f)["envs"]["default"]["scripts"]
script = scripts.get(args[1])
if isinstance(script, str):
    os.execvp("bash", ["bash", "-c", script.replace("{{args}}", shlex.join(args[2:]))])
os.execvp(args[1], args[1:])
"""

pytestmark = pytest.mark.timeout(FIRST_SERVE + 6 * COMMAND_TIMEOUT)


def all_blocks() -> list[Block]:
    return [block for doc in DOCS for block in read_blocks(doc)]


def test_every_command_block_is_run_or_names_what_covers_it() -> None:
    blocks = all_blocks()
    commands = [b for b in blocks if b.is_command]
    assert len(commands) >= 15
    for block in blocks:
        assert block.directive in (None, *DIRECTIVES), f"{block}: unknown {block.directive}"
        if block.directive == "covered-by":
            covering_test(REPO, block.argument)  # raises when the test does not exist
        if block.directive in ("covered-by", "manual"):
            assert "(" in block.argument, f"{block}: say why it is not run here"
        if block.directive == "background":
            assert block.is_command
            assert block.argument.startswith("http://")
    run_here = [b for b in commands if b.directive in (None, "background")]
    assert len(run_here) >= 4  # the quick start: validate, serve, curl, validate files


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.asynccontextmanager
async def catalog_stand_in(tmp_path: Path) -> AsyncIterator[str]:
    """The toolhive-catalog repository, on loopback: its URL."""
    repo = GitRepo.init(tmp_path / "catalog")
    repo.commit({CATALOG_PATH: LEGACY_SAMPLE.read_bytes()}, message="catalog")
    repo.branch("main")
    host = GitHttpServer(mount="/stacklok/toolhive-catalog.git")
    served = await serve(host.app(repo))
    try:
        yield served.url + host.mount
    finally:
        await served.runner.cleanup()


def scratch(tmp_path: Path) -> Path:
    work = tmp_path / "work"
    work.mkdir()
    for entry in REPO.iterdir():
        if entry.name not in (".git",):
            (work / entry.name).symlink_to(entry)
    tools = tmp_path / "bin"
    tools.mkdir()
    (tools / "hatch").write_text(HATCH)
    (tools / "hatch").chmod(0o755)
    return work


async def run_block(text: str, *, cwd: Path, env: dict[str, str]) -> str:
    process = await asyncio.create_subprocess_exec(
        "bash", "-euo", "pipefail", "-c", text, cwd=cwd, env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    try:
        async with asyncio.timeout(COMMAND_TIMEOUT):
            output, _ = await process.communicate()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    shown = output.decode(errors="replace")
    assert process.returncode == 0, f"{text}\nexited {process.returncode}:\n{shown}"
    return shown


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
async def test_the_command_blocks_run_as_written(doc: Path, tmp_path: Path) -> None:
    blocks = [b for b in read_blocks(doc) if b.directive in ("file", "background")
              or (b.is_command and b.directive is None)]  # fmt: skip
    if not blocks:
        return  # every command block here names its covering test (checked above)
    api, internal = free_port(), free_port()
    work = scratch(tmp_path)
    env = {
        **os.environ,
        "PATH": f"{tmp_path / 'bin'}{os.pathsep}{Path(sys.executable).parent}{os.pathsep}"
        + os.environ.get("PATH", ""),
        "MCP_REGISTRY_ADDRESS": f"127.0.0.1:{api}",
        "MCP_REGISTRY_INTERNAL_ADDRESS": f"127.0.0.1:{internal}",
        # the stand-ins listen on loopback, which the sources' address guard refuses
        "THV_REGISTRY_SYNC_ALLOWPRIVATEIP": "true",
        "NO_PROXY": "127.0.0.1,localhost",
        "no_proxy": "127.0.0.1,localhost",
    }
    background: list[asyncio.subprocess.Process] = []
    log = tmp_path / "background.log"
    async with catalog_stand_in(tmp_path) as catalog, aiohttp.ClientSession() as http:
        rewrites = {
            CATALOG: catalog,
            "127.0.0.1:8080": f"127.0.0.1:{api}",
            "127.0.0.1:8081": f"127.0.0.1:{internal}",
        }

        def mapped(text: str) -> str:
            for old, new in rewrites.items():
                text = text.replace(old, new)
            return text

        try:
            for block in blocks:
                if block.directive == "file":
                    (work / block.argument).write_text(mapped(block.text))
                elif block.directive == "background":
                    background.append(await start(mapped(block.text), cwd=work, env=env, log=log))
                    await until_ready(http, mapped(block.argument), background[-1], log)
                else:
                    await run_block(mapped(block.text), cwd=work, env=env)
        finally:
            for process in background:
                if process.returncode is None:
                    process.send_signal(signal.SIGTERM)
            codes = [await asyncio.wait_for(p.wait(), COMMAND_TIMEOUT) for p in background]
    assert codes == [0] * len(background), log.read_text()


async def start(
    text: str, *, cwd: Path, env: dict[str, str], log: Path
) -> asyncio.subprocess.Process:
    """A block that serves until stopped; `exec` so that SIGTERM reaches the server itself."""
    with log.open("ab") as out:
        return await asyncio.create_subprocess_exec(
            "bash", "-euo", "pipefail", "-c", f"exec {text.strip()}", cwd=cwd, env=env,
            stdin=asyncio.subprocess.DEVNULL, stdout=out, stderr=out,
        )  # fmt: skip


async def until_ready(
    http: aiohttp.ClientSession, url: str, process: asyncio.subprocess.Process, log: Path
) -> None:
    async def ready() -> bool:
        assert process.returncode is None, f"the server exited: see {log}"
        try:
            async with http.get(url, timeout=aiohttp.ClientTimeout(total=5)) as reply:
                return reply.status == 200
        except aiohttp.ClientError:
            return False

    await wait_for(ready, FIRST_SERVE, interval=0.2, message=f"{url} never answered 200")
