"""A hung remote: a loopback TCP listener that accepts every connection, swallows whatever the
client sends and never answers. Git (`git://`, smart HTTP), URL and API clients pointed at it
wait for a first byte that never comes; only their own timeouts get them out."""

from __future__ import annotations

import asyncio

from mcp_registry_testing.loopback import Lifecycle


class BlackHole(Lifecycle):
    """`accepted` counts connections ever accepted; `open` those the client has not closed.

    A client whose worker thread really ended has closed its socket, so `open` dropping to 0
    is how a test sees that nothing is left hanging."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.host = host
        self.accepted = 0
        self.open = 0
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._handlers: set[asyncio.Task[None]] = set()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the black hole is not listening")
        return int(self._server.sockets[0].getsockname()[1])

    def url(self, scheme: str, path: str = "") -> str:
        """`scheme://<host>:<port><path>`."""
        return f"{scheme}://{self.host}:{self.port}{path}"

    async def start(self) -> BlackHole:
        self._server = await asyncio.start_server(self._swallow, self.host, 0)
        return self

    async def stop(self) -> None:
        if self._server is None:
            return
        self._server.close()
        for writer in list(self._writers):
            writer.close()
        async with asyncio.timeout(5):
            await self._server.wait_closed()
            await asyncio.gather(*self._handlers, return_exceptions=True)
        self._server = None

    async def _swallow(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._handlers.add(task)
        self._writers.add(writer)
        self.accepted += 1
        self.open += 1
        try:
            while await reader.read(65536):  # until the client closes (or stop() does)
                pass
        except ConnectionError:
            pass
        finally:
            self.open -= 1
            self._writers.discard(writer)
            self._handlers.discard(task)
            writer.close()
