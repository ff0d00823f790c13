"""The README's first command, `bash scripts/serve.sh`, as a person runs it: it prints where it
listens and URLs that answer, and SIGTERM to its PID or Ctrl-C (SIGINT) stops the server and
exits 0 (the server replaces the script's process)."""

from __future__ import annotations

import asyncio
import re
import signal
from pathlib import Path

import aiohttp
import pytest

REPO = Path(__file__).resolve().parents[3]
SERVERS_URL = re.compile(r"servers:\s+(http://\S+)")
FIRST_RUN = 240.0
"""Seconds for a first run, which makes the runtime environment (a few seconds here)."""

pytestmark = pytest.mark.timeout(FIRST_RUN + 60)


async def _started(process: asyncio.subprocess.Process) -> tuple[str, str]:
    """(all output so far, the servers URL) once the script printed its URLs."""
    assert process.stdout is not None
    seen = ""
    async with asyncio.timeout(FIRST_RUN):
        while (line := await process.stdout.readline()) != b"":
            seen += line.decode(errors="replace")
            found = SERVERS_URL.search(seen)
            if found:
                return seen, found[1]
    raise AssertionError(f"serve.sh ended before printing its URLs:\n{seen}")


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "Ctrl-C"])
async def test_serve_script_prints_urls_that_answer_and_stops_cleanly(
    signum: signal.Signals,
) -> None:
    process = await asyncio.create_subprocess_exec(
        "bash", str(REPO / "scripts" / "serve.sh"),
        "--address", "127.0.0.1:0", "--internal-address", "127.0.0.1:0",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        stdin=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    try:
        output, url = await _started(process)
        assert "listening on http://127.0.0.1:" in output
        async with aiohttp.ClientSession(trust_env=False) as http, http.get(url) as reply:
            assert reply.status == 200, await reply.text()
        process.send_signal(signum)  # the script's own PID
        async with asyncio.timeout(30):
            assert await process.wait() == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
