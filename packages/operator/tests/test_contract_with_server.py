"""The operator-server contract (`mcp_registry_common.internalapi`): the real server's internal
app, listening on loopback, answers the operator's real status client, which parses every
reply with the same models the server rendered it from."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import aiohttp
import pytest
from mcp_registry_common.config import load_server_config_data
from mcp_registry_common.internalapi import RegistryReport, SourceReport
from mcp_registry_operator.reconcile.serverstatus import SourceNotSyncableError
from mcp_registry_operator.reconcile.statusclient import HttpServerStatusClient
from mcp_registry_operator.reconcile.trigger import request_syncs
from mcp_registry_server.app import create_apps
from mcp_registry_testing.loopback import serve
from mcp_registry_testing.registry_engine import FakeEngineFactory, FakeSyncEngine

TOKEN = "contract-" + "t" * 40
CONFIG = {
    "sources": [
        {"name": "git", "file": {"path": "git.json"}, "syncPolicy": {"interval": "1h"}},
        {"name": "upstream", "file": {"path": "u.json"}, "syncPolicy": {"interval": "1h"}},
        {"name": "mine", "managed": {}},
    ],
    "registries": [
        {"name": "default", "sources": ["git", "mine"]},
        {"name": "other", "sources": ["upstream"]},
    ],
    "auth": {"mode": "anonymous"},
}


@dataclass
class Server:
    client: HttpServerStatusClient
    engine: FakeSyncEngine


@pytest.fixture
async def server() -> AsyncIterator[Server]:
    factory = FakeEngineFactory()
    config = load_server_config_data(CONFIG).config
    public, internal = create_apps(
        config, engine_factory=factory, run_sync=False, internal_token=TOKEN
    )
    served_public = await serve(public)  # owns the resources: start it first
    served_internal = await serve(internal)
    try:
        async with aiohttp.ClientSession() as session:
            client = HttpServerStatusClient(session, pod_url_for=lambda ip: served_internal.url)
            yield Server(client, factory.engine)
    finally:
        await served_internal.runner.cleanup()
        await served_public.runner.cleanup()


def entry(name: str) -> dict[str, Any]:
    return {"name": name, "version": "1.0.0", "description": "d"}


async def test_the_operator_parses_what_the_server_reports(server: Server) -> None:
    await server.engine.publish("git", [entry("x/a"), entry("x/b")])
    at = datetime(2026, 3, 1, 8, 30, 15, 123456, tzinfo=UTC)
    server.engine.fail("git", "fetch https://user:hunter2@git.example/r.git: 500", at=at)

    report = await server.client.status(pod_ip="10.0.0.7", token=TOKEN)

    by_name = {source.name: source for source in report.sources}
    assert set(by_name) == {"git", "upstream", "mine"}
    git = by_name["git"]
    assert (git.phase, git.attempt_count, git.server_count) == ("Failed", 1, 2)
    assert git.last_attempt == at
    assert git.last_sync_time is not None
    assert git.content_hash
    assert git.message is not None
    assert "hunter2" not in git.message
    assert (by_name["upstream"].phase, by_name["upstream"].last_sync_time) == ("Syncing", None)
    assert report.registries == [
        RegistryReport(
            name="default", sources=["git", "mine"], ready=True, waiting_for=[], server_count=2
        ),
        RegistryReport(name="other", sources=["upstream"], ready=False, waiting_for=["upstream"]),
    ]


async def test_the_operator_parses_the_reply_of_a_manual_sync(server: Server) -> None:
    server.engine.stage("upstream", [entry("x/fresh")])

    reply = await server.client.sync(pod_ip="10.0.0.7", token=TOKEN, source="upstream")

    assert isinstance(reply, SourceReport)
    assert (reply.name, reply.phase, reply.server_count) == ("upstream", "Complete", 1)
    assert server.engine.sync_calls == ["upstream"]
    with pytest.raises(SourceNotSyncableError):
        await server.client.sync(pod_ip="10.0.0.7", token=TOKEN, source="mine")
    accepted = await request_syncs(
        server.client, pod_ip="10.0.0.7", token=TOKEN, sources=["git", "mine"]
    )
    assert accepted == ["git"]
