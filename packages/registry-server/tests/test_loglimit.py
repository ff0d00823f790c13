"""The request log's per-second budget of info lines, and the count of the lines left out."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from typing import Any

import aiohttp
import pytest
import structlog
from aiohttp import web
from mcp_registry_server.api.fastreads import ServerRunner
from mcp_registry_server.api.loglimit import RequestLogLimit, limit_at_level
from mcp_registry_server.app import create_apps
from mcp_registry_testing.loopback import serve
from mcp_registry_testing.registry_engine import FakeEngineFactory, one_source_config
from mcp_registry_testing.waiting import wait_for

REPORT = "http_requests_not_logged"


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def captured() -> Iterator[list[dict[str, Any]]]:
    with structlog.testing.capture_logs() as logs:
        yield logs


def reports(logs: list[dict[str, Any]]) -> list[int]:
    return [line["count"] for line in logs if line["event"] == REPORT]


async def test_lines_past_the_budget_are_counted_and_reported_when_their_second_ends(
    captured: list[dict[str, Any]],
) -> None:
    clock = Clock(41.99)  # the second ends 10 ms from now
    limit = RequestLogLimit(2, clock=clock)
    assert [limit.admit() for _ in range(5)] == [True, True, False, False, False]
    assert reports(captured) == []
    await wait_for(lambda: reports(captured), timeout=5)
    assert reports(captured) == [3]
    assert captured[-1]["limit_per_second"] == 2
    clock.now = 42.0
    assert limit.admit()  # a new second, a new budget
    assert reports(captured) == [3]  # nothing left out since


async def test_the_next_seconds_first_request_reports_a_count_whose_timer_is_late(
    captured: list[dict[str, Any]],
) -> None:
    clock = Clock(7.0)  # the timer is due in a second of real time
    limit = RequestLogLimit(1, clock=clock)
    assert [limit.admit() for _ in range(3)] == [True, False, False]
    clock.now = 8.5
    assert limit.admit()
    assert reports(captured) == [2]
    assert not limit.admit()
    clock.now = 9.0
    assert limit.admit()
    assert reports(captured) == [2, 1]  # each second reported once, with its own count


def test_above_info_there_is_nothing_to_limit() -> None:
    assert limit_at_level(100, logging.INFO) == 100
    assert limit_at_level(100, logging.DEBUG) == 100
    assert limit_at_level(100, logging.WARNING) == 0


def test_no_limit_admits_every_line_and_a_negative_one_is_refused() -> None:
    limit = RequestLogLimit(0)
    assert all(limit.admit() for _ in range(1000))
    with pytest.raises(ValueError, match="0 or more"):
        RequestLogLimit(-1)


def test_without_a_running_loop_the_count_waits_for_the_next_second_or_close(
    captured: list[dict[str, Any]],
) -> None:
    clock = Clock(3.0)
    limit = RequestLogLimit(1, clock=clock)
    assert [limit.admit() for _ in range(3)] == [True, False, False]
    limit.close()
    assert reports(captured) == [2]


async def test_the_count_line_carries_no_requests_id_or_route() -> None:
    merged = [structlog.contextvars.merge_contextvars]
    with structlog.testing.capture_logs(processors=merged) as logs:
        clock = Clock(5.995)
        limit = RequestLogLimit(1, clock=clock)
        structlog.contextvars.bind_contextvars(request_id="left-out", route="/v0.1/servers")
        try:
            assert [limit.admit(), limit.admit()] == [True, False]  # the timer's report
            await wait_for(lambda: reports(logs), timeout=5)
            assert not limit.admit()
            clock.now = 7.0
            structlog.contextvars.bind_contextvars(request_id="next", route="/v0.1/servers")
            assert limit.admit()  # reports the previous second's count itself
        finally:
            structlog.contextvars.clear_contextvars()
    counts = [line for line in logs if line["event"] == REPORT]
    assert [line["count"] for line in counts] == [1, 1]
    assert all("request_id" not in line and "route" not in line for line in counts)


async def failing_teardown(app: web.Application) -> AsyncIterator[None]:
    yield
    raise RuntimeError("teardown failed")


async def test_the_server_logs_failures_always_and_successes_within_the_limit(
    captured: list[dict[str, Any]],
) -> None:
    factory = FakeEngineFactory()
    config = one_source_config()
    public, _ = create_apps(config, engine_factory=factory, run_sync=False, request_log_limit=2)
    public.cleanup_ctx.append(failing_teardown)
    served = await serve(public, runner_class=ServerRunner)
    try:
        await factory.engine.publish("s", [{"name": "io.x/a", "description": "a", "version": "1"}])
        async with aiohttp.ClientSession() as http:
            statuses = []
            for path in ["/v0.1/servers"] * 10 + ["/v0.1/servers/io.x%2Fnone/versions/1"] * 2:
                async with http.get(served.url + path) as response:
                    statuses.append(response.status)  # repeats come from the kept responses
        assert statuses == [200] * 10 + [404] * 2
    finally:
        with pytest.raises(RuntimeError, match="teardown failed"):
            await served.runner.cleanup()  # reports what the last second left out, first
    lines = [line for line in captured if line["event"] == "http_request"]
    logged = [line["status"] for line in lines]
    left_out = sum(reports(captured))
    assert logged.count(404) == 2  # failures are never left out
    assert [level for line in lines if line["status"] == 404 for level in [line["log_level"]]] == [
        "warning",
        "warning",
    ]
    # each success is logged or counted, once; at most two seconds' budgets (4) were logged
    assert logged.count(200) + left_out == 10
    assert left_out >= 6
