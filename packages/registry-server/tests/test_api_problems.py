"""The problem middleware: its helpers, and what every problem detail goes through."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp import web
from mcp_registry_server.api.openapi_admin import admin_paths
from mcp_registry_server.api.problems import problem_middleware, retry_after
from mcp_registry_server.service.errors import ConflictError


@pytest.mark.parametrize(
    ("seconds", "header"),
    [(None, "1"), (0.0, "1"), (0.2, "1"), (1.0, "1"), (2.1, "3"), (9.9, "10")],
)
def test_retry_after_is_whole_seconds_rounded_up_and_at_least_one(
    seconds: float | None, header: str
) -> None:
    assert retry_after(seconds) == header


async def test_a_problem_detail_never_carries_url_credentials(aiohttp_client: Any) -> None:
    async def conflict(request: web.Request) -> web.Response:
        raise ConflictError("source already reads https://u:pw-1@h/r.json?sig=sig-2")

    app = web.Application(middlewares=[problem_middleware])
    app.router.add_get("/x", conflict)
    client = await aiohttp_client(app)
    problem = await (await client.get("/x")).json(content_type="application/problem+json")
    detail = "source already reads https://REDACTED@h/r.json?sig=REDACTED"
    assert (problem["status"], problem["detail"], problem["error"]) == (409, detail, detail)


def test_every_admin_operation_documents_the_503_and_its_retry_after() -> None:
    for operations in admin_paths().values():
        for operation in operations.values():
            assert "Retry-After" in operation["responses"]["503"]["headers"]
