"""Logging: one JSON event per line, secrets redacted, stdlib records alike."""

from __future__ import annotations

import asyncio
import io
import json
import logging
from collections.abc import Iterator

import pytest
import structlog
from mcp_registry_common.logshape import parse_level
from mcp_registry_common.logshape import redact_event as redact_secrets
from mcp_registry_server.logs import configure_logging, flush_logs, log_fields
from mcp_registry_server.logsink import LineSink
from mcp_registry_testing.waiting import wait_for


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
    assert first["password"] == "REDACTED"
    assert first["nested"] == {"apiToken": "REDACTED", "ok": 1}
    assert "hunter2" not in stream.getvalue()
    assert second["event"] == "boom x"
    assert second["level"] == "error"
    assert second["logger"] == "aiohttp.server"


def test_credentials_in_urls_are_redacted_in_values_messages_and_tracebacks(
    stream: io.StringIO,
) -> None:
    configure_logging(logging.INFO, stream=stream, json=True)
    log = structlog.get_logger("test")
    leaky = "https://bot:pw-9d1e@h.example/r.json?access_token=tok-51c2&sig=sig-0aa7"
    log.warning("sync_failed", error=f"HTTP 403 for URL {leaky}", api_key="key-77f1")
    try:
        raise RuntimeError(f"could not fetch {leaky}")
    except RuntimeError:
        log.exception("sync_crashed")
        logging.getLogger("aiohttp.client").error("lost %s", leaky, exc_info=True)
    flush_logs()
    text = stream.getvalue()
    for secret in ("pw-9d1e", "tok-51c2", "sig-0aa7", "key-77f1"):
        assert secret not in text
    first, second, third = lines(stream)
    shown = "https://REDACTED@h.example/r.json?access_token=REDACTED&sig=REDACTED"
    assert first["error"] == f"HTTP 403 for URL {shown}"
    assert first["api_key"] == "REDACTED"
    assert f"could not fetch {shown}" in str(second["exception"])
    assert third["event"] == f"lost {shown}"


def test_console_tracebacks_are_plain_and_redacted(stream: io.StringIO) -> None:
    """The console format renders a traceback as text before redaction, as JSON does: the URL
    in the exception is redacted, and no frame's local variables are printed (structlog's
    console renderer would print them whenever `rich` is installed)."""
    configure_logging(logging.INFO, stream=stream, json=False)
    leaky = "https://bot:pw-9d1e@h.example/r.json?access_token=tok-51c2"
    password = "local-only-3be1"
    try:
        raise RuntimeError(f"could not fetch {leaky} ({len(password)})")
    except RuntimeError:
        structlog.get_logger("test").exception("sync_crashed")
    flush_logs()
    text = stream.getvalue()
    assert "sync_crashed" in text
    assert "Traceback (most recent call last)" in text
    assert "could not fetch https://REDACTED@h.example/r.json?access_token=REDACTED" in text
    for secret in ("pw-9d1e", "tok-51c2", password):
        assert secret not in text


def test_console_output_when_asked(stream: io.StringIO) -> None:
    configure_logging(logging.DEBUG, stream=stream, json=False)
    structlog.get_logger().debug("visible", authorization="Bearer x")
    text = stream.getvalue()
    assert "visible" in text
    assert "Bearer" not in text


def test_redact_secrets_is_case_insensitive() -> None:
    event = {"event": "e", "Client_Secret": "s", "AUTHORIZATION": "a", "user": "u"}
    assert redact_secrets(None, "info", event) == {
        "event": "e",
        "Client_Secret": "REDACTED",
        "AUTHORIZATION": "REDACTED",
        "user": "u",
    }


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


def without_timestamp(line: dict[str, object]) -> dict[str, object]:
    return {key: value for key, value in line.items() if key != "timestamp"}


def test_the_request_log_path_writes_the_line_structlog_writes(stream: io.StringIO) -> None:
    configure_logging(logging.INFO, stream=stream, json=True)
    log = structlog.get_logger("test")
    structlog.contextvars.bind_contextvars(request_id="r1", route="/x")
    try:
        fields = {"method": "GET", "status": 200, "request_id": "r1", "route": "/x"}
        log.log(logging.WARNING, "http_request", **fields)
        log_fields(log, logging.WARNING, "http_request", dict(fields))
        log_fields(log, logging.DEBUG, "below_the_level", {})
    finally:
        structlog.contextvars.clear_contextvars()
    by_structlog, by_request_path = stream.getvalue().splitlines()
    assert list(json.loads(by_request_path)) == list(json.loads(by_structlog))  # same key order
    assert without_timestamp(json.loads(by_request_path)) == without_timestamp(
        json.loads(by_structlog)
    )


def test_the_request_log_path_defers_to_structlog_when_logs_are_captured(
    stream: io.StringIO,
) -> None:
    configure_logging(logging.INFO, stream=stream, json=True)
    with structlog.testing.capture_logs() as captured:
        log_fields(structlog.get_logger("test"), logging.INFO, "http_request", {"status": 200})
    assert captured == [{"event": "http_request", "status": 200, "log_level": "info"}]
    assert stream.getvalue() == ""


class Recorder(io.StringIO):
    def __init__(self) -> None:
        super().__init__()
        self.writes: list[str] = []

    def write(self, text: str) -> int:
        self.writes.append(text)
        return len(text)


def test_lines_logged_without_a_running_loop_are_written_at_once() -> None:
    out = Recorder()
    LineSink(out).write_line("one")
    assert out.writes == ["one\n"]


async def test_info_lines_logged_in_a_loop_are_written_together_within_the_flush_delay() -> None:
    out = Recorder()
    sink = LineSink(out)
    sink.write_line("one")
    sink.write_line("two")
    loop = asyncio.get_running_loop()
    next_iteration = loop.create_future()
    loop.call_soon(next_iteration.set_result, None)
    await next_iteration
    assert out.writes == []  # kept past the iteration that logged them
    await wait_for(lambda: out.writes, timeout=LineSink.FLUSH_DELAY + 5)
    assert out.writes == ["one\ntwo\n"]


async def test_an_urgent_line_is_written_at_once_after_the_lines_kept() -> None:
    out = Recorder()
    sink = LineSink(out)
    sink.write_line("info")
    sink.write_line("warning", urgent=True)
    assert out.writes == ["info\nwarning\n"]
    sink.write_line("x" * LineSink.MAX_PENDING)  # past the bound: written at once
    assert len(out.writes) == 2


def test_a_flush_left_on_a_closed_loop_does_not_hold_back_the_next_loops_lines() -> None:
    out = Recorder()
    sink = LineSink(out)

    async def log(line: str) -> None:
        sink.write_line(line)

    asyncio.run(log("first"))  # its loop closes before the flush it scheduled runs
    assert out.writes == []

    async def log_and_wait(line: str) -> None:
        sink.write_line(line)
        await wait_for(lambda: out.writes, timeout=LineSink.FLUSH_DELAY + 5)

    asyncio.run(log_and_wait("second"))
    assert out.writes == ["first\nsecond\n"]


async def test_structlog_warnings_and_stdlib_errors_are_written_at_once(
    stream: io.StringIO,
) -> None:
    configure_logging(logging.INFO, stream=stream, json=True)
    structlog.get_logger("test").info("kept")
    assert stream.getvalue() == ""
    structlog.get_logger("test").warning("now")
    assert [json.loads(line)["event"] for line in stream.getvalue().splitlines()] == [
        "kept",
        "now",
    ]
    logging.getLogger("stdlib").error("also now")
    assert json.loads(stream.getvalue().splitlines()[-1])["event"] == "also now"
