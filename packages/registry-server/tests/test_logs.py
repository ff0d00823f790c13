"""Logging: one JSON event per line, secret-looking keys dropped, stdlib records alike."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
import structlog
from mcp_registry_server.logs import configure_logging, drop_secrets, parse_level


@pytest.fixture
def stream() -> Iterator[io.StringIO]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    out = io.StringIO()
    yield out
    structlog.reset_defaults()
    root.handlers[:] = handlers
    root.setLevel(level)


def lines(out: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_json_lines_without_secrets(stream: io.StringIO) -> None:
    configure_logging(logging.INFO, stream=stream, json=True)
    log = structlog.get_logger("test")
    structlog.contextvars.bind_contextvars(request_id="r1")
    try:
        log.info("sync_done", source="a", password="hunter2", nested={"apiToken": "t", "ok": 1})
        log.debug("hidden")
        logging.getLogger("aiohttp.server").error("boom %s", "x")
    finally:
        structlog.contextvars.clear_contextvars()
    first, second = lines(stream)
    assert first["event"] == "sync_done"
    assert first["request_id"] == "r1"
    assert first["level"] == "info"
    assert "password" not in first
    assert first["nested"] == {"ok": 1}
    assert "hunter2" not in stream.getvalue()
    assert second["event"] == "boom x"
    assert second["level"] == "error"
    assert second["logger"] == "aiohttp.server"


def test_console_output_when_asked(stream: io.StringIO) -> None:
    configure_logging(logging.DEBUG, stream=stream, json=False)
    structlog.get_logger().debug("visible", authorization="Bearer x")
    text = stream.getvalue()
    assert "visible" in text
    assert "Bearer" not in text


def test_drop_secrets_is_case_insensitive() -> None:
    event = {"event": "e", "Client_Secret": "s", "AUTHORIZATION": "a", "user": "u"}
    assert drop_secrets(None, "info", event) == {"event": "e", "user": "u"}


@pytest.mark.parametrize(
    ("text", "level", "warns"),
    [
        (None, logging.INFO, False),
        ("debug", logging.DEBUG, False),
        ("WARN", logging.WARNING, False),
        ("warning", logging.WARNING, False),
        ("error", logging.ERROR, False),
        ("verbose", logging.INFO, True),
    ],
)
def test_parse_level(text: str | None, level: int, warns: bool) -> None:
    parsed, warning = parse_level(text)
    assert parsed == level
    assert (warning is not None) == warns
