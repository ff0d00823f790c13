"""schemathesis against the server's own `/openapi.json`, on loopback: every operation, a bounded
number of examples each, derandomized (the same cases every run), with every default check
(no 5xx, status codes, content types, response schemas, schema-valid requests accepted).

Two things the document cannot state are given rather than generated, and said here:
- a `cursor` must be one the server issued (the document says so; generated ones are dropped);
- a server name holds a `/`, which schemathesis never puts in a generated path value, so the
  operations taking one get a stored server's name (every other value is still generated).
Two operations' acceptance depends on the server's state, not on the body's shape: a registry
must list existing sources, and a source body follows the config reference (one type block,
synced ones need `syncPolicy`); for those, every check but "schema-valid request accepted"
applies.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from aiohttp import web
from hypothesis import HealthCheck, Phase, given, settings
from mcp_registry_common.config import load_server_config_data
from mcp_registry_server.api.connections import server_runner
from mcp_registry_server.app import create_apps
from mcp_registry_testing.authz import server, upstream_document
from schemathesis.specs.openapi.checks import positive_data_acceptance

EXAMPLES = 15
"""Examples per operation: ~30 operations in well under a minute."""
STORED = "io.example/one"
STATEFUL = {"PUT /v1/sources/{name}", "PUT /v1/registries/{name}"}


@pytest.fixture
async def base_url(tmp_path: Path) -> AsyncIterator[str]:
    """The real server (anonymous: the admin API is open) with one file source and a managed
    one, on a loopback port."""
    data = tmp_path / "registry.json"
    data.write_text(json.dumps(upstream_document([server(STORED)])))
    document = {
        "sources": [
            {"name": "files", "file": {"path": str(data)}, "syncPolicy": {"interval": "1h"}},
            {"name": "published", "managed": {}},
        ],
        "registries": [{"name": "default", "sources": ["files", "published"]}],
        "auth": {"mode": "anonymous"},
    }
    public, _internal = create_apps(load_server_config_data(document).config, run_sync=False)
    runner = server_runner(public, shutdown_timeout=1.0)
    await runner.setup()
    try:
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()


def fuzz(base_url: str) -> list[str]:
    """Run every operation; the failures found, one text each."""
    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json")
    found = (run(result.ok(), base_url) for result in schema.get_all_operations())
    return [failure for failure in found if failure is not None]


def run(operation: Any, base_url: str) -> str | None:
    """`EXAMPLES` cases of one operation; what schemathesis found, or None."""
    path = operation.path
    fixed = {
        name: STORED
        for name in ("serverName", "name")
        if f"{{{name}}}" in path and (name == "serverName" or path.startswith("/v1/entries/"))
    }
    excluded = [positive_data_acceptance] if operation.label in STATEFUL else []

    @given(case=operation.as_strategy(path_parameters=fixed or None))
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def check(case: Any) -> None:
        if case.query:
            case.query.pop("cursor", None)
        case.call_and_validate(base_url=base_url, excluded_checks=excluded)

    try:
        check()
    except BaseException as exc:  # schemathesis reports with an exception group
        return f"{operation.label}: {exc}"
    return None


@pytest.mark.timeout(300)
async def test_schemathesis_finds_no_gap_between_the_server_and_its_document(
    base_url: str,
) -> None:
    failures = await asyncio.to_thread(fuzz, base_url)
    assert failures == [], "\n\n".join(failures)
