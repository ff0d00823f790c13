"""Connections of the real runner `serve` uses, on loopback, with raw sockets: a client that
never finishes its headers is dropped within the header bound, and an oversized header is
refused with one warning that carries neither a traceback nor the header's bytes."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

import pytest
import structlog
from aiohttp import web
from mcp_registry_server.api.connections import server_runner

BOUND = 0.5
"""The header bound the tests configure (the default is 10 s)."""
DEADLINE = 20 * BOUND
"""How long a test waits for the server to drop a connection (aiohttp's own bound is 75 s)."""


async def _hello(request: web.Request) -> web.Response:
    return web.Response(text="hello")


@pytest.fixture
async def port() -> AsyncIterator[int]:
    app = web.Application()
    app.router.add_get("/", _hello)
    runner = server_runner(app, shutdown_timeout=1.0, header_timeout=BOUND)
    await runner.setup()
    try:
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        yield int(runner.addresses[0][1])
    finally:
        await runner.cleanup()


async def _dropped(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
    """Send one more header byte at a time until the server closes the connection (True) or
    the deadline passes (False); each wait is for the server's EOF, at most 50 ms."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + DEADLINE
    while loop.time() < deadline:
        try:
            writer.write(b"x")
            await writer.drain()
        except ConnectionError:
            return True
        try:
            if await asyncio.wait_for(reader.read(1024), timeout=0.05) == b"":
                return True
        except TimeoutError:
            continue
        except ConnectionError:
            return True
    return False


@pytest.mark.parametrize("after_a_request", [False, True])
async def test_a_client_that_never_finishes_its_headers_is_dropped(
    port: int, after_a_request: bool
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        if after_a_request:  # a keep-alive connection is held to the same bound
            writer.write(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            await writer.drain()
            head = await asyncio.wait_for(reader.readuntil(b"hello"), timeout=5)
            assert head.startswith(b"HTTP/1.1 200")
        writer.write(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        await writer.drain()
        assert await _dropped(reader, writer), f"still connected after {DEADLINE}s"
    finally:
        writer.close()


async def test_a_complete_request_is_served(port: int) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        await writer.drain()
        answer = await asyncio.wait_for(reader.read(), timeout=5)
        assert answer.startswith(b"HTTP/1.1 200")
        assert answer.endswith(b"hello")
    finally:
        writer.close()


async def test_an_oversized_header_is_one_warning_without_traceback_or_bytes(
    port: int, caplog: pytest.LogCaptureFixture
) -> None:
    secret = "s3cr3t-token-"
    caplog.set_level(logging.DEBUG)
    with structlog.testing.capture_logs() as logs:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            header = f"X-Api-Key: {secret * 1000}\r\n".encode()
            writer.write(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n" + header + b"\r\n")
            await writer.drain()
            answer = await asyncio.wait_for(reader.read(), timeout=5)
        finally:
            writer.close()
    assert answer.split(b" ", 2)[1] == b"400"
    assert [(e["event"], e["log_level"], e["status"], e["error"]) for e in logs] == [
        ("http_request_malformed", "warning", 400, "LineTooLong")
    ]
    assert secret not in str(logs)
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []
    assert secret not in caplog.text
