"""How both HTTP servers treat connections: a bound on reading a request's headers, and one
quiet warning (no traceback, no request bytes) for a request that cannot be parsed.

- aiohttp closes a connection whose keep-alive timer fires while it still waits for a whole
  request (`RequestHandler._process_keepalive`); the timer starts when the connection opens and
  again after each response. So `keepalive_timeout` is the header-read bound as well as the idle
  keep-alive limit: a client that sends its headers a byte at a time, or never finishes them,
  holds its connection for at most `HEADER_TIMEOUT` (aiohttp's default is 75 s).
- aiohttp logs a malformed request (a header over its 8190-byte limit, say) with
  `logger.exception`: an error with a traceback whose message quotes the first 100 bytes of the
  offending line, possibly a credential. `RequestLogger` turns that one case into a warning that
  names the error's kind and status only; every other exception keeps its traceback.
"""

from __future__ import annotations

import logging
from typing import Any

import structlog
from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError

from mcp_registry_server.api.fastreads import ServerRunner

log = structlog.get_logger("mcp_registry_server.http")

HEADER_TIMEOUT = 10.0
"""Seconds a connection gets to deliver a request's complete headers, from its opening or from
the previous response; also how long an idle keep-alive connection stays open."""


class RequestLogger(logging.Logger):
    """aiohttp's `aiohttp.server` logger, except for malformed requests (see the module)."""

    def __init__(self) -> None:
        super().__init__("aiohttp.server")
        self.parent = logging.getLogger("aiohttp.server")  # its handlers and level apply

    def exception(self, msg: object, *args: object, exc_info: Any = True, **kwargs: Any) -> None:
        if isinstance(exc_info, HttpProcessingError):
            log.warning(
                "http_request_malformed",
                status=exc_info.code,
                error=type(exc_info).__name__,
                remote=args[0] if args else None,
            )
            return
        super().exception(msg, *args, exc_info=exc_info, **kwargs)


def server_runner(
    app: web.Application, *, shutdown_timeout: float, header_timeout: float = HEADER_TIMEOUT
) -> web.AppRunner:
    """The runner `serve` uses for each app: `ServerRunner` (fast reads) with the header bound
    and the request logger above."""
    return ServerRunner(
        app,
        handle_signals=False,
        access_log=None,
        shutdown_timeout=shutdown_timeout,
        keepalive_timeout=header_timeout,
        logger=RequestLogger(),
    )
