"""What sources created through the admin API may reach (`sync.adminSources`), on a real
server with a real loopback upstream: the private-address guard holds for them even when the
config file's sources may reach private addresses, `allowPrivateIP: true` is refused unless the
config allows it, local files only under `fileRoots`, and a local file's contents never show in
a status message."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from mcp_registry_common.config import load_server_config_data
from mcp_registry_server.app import create_apps
from mcp_registry_server.netguard import REFUSED
from mcp_registry_server.sources.localfiles import OUTSIDE_ROOTS
from mcp_registry_testing.authz import server, upstream_document
from mcp_registry_testing.loopback import Served, serve
from mcp_registry_testing.upstreams import FaultyUpstream
from pytest_aiohttp import AiohttpClient

Client = TestClient[Any, Any]
DOCUMENT = json.dumps(upstream_document([server("io.example/one")])).encode()
HOURLY = {"interval": "1h"}


@pytest.fixture
async def upstream() -> AsyncIterator[tuple[FaultyUpstream, Served]]:
    double = FaultyUpstream(DOCUMENT)
    served = await serve(double.app())
    try:
        yield double, served
    finally:
        await served.runner.cleanup()


async def start(aiohttp_client: AiohttpClient, url: str, sync: dict[str, Any]) -> Client:
    """A server whose config file has one source at the loopback `url` and the given `sync:`."""
    document = {
        "sources": [
            {"name": "from-config", "file": {"url": url}, "syncPolicy": HOURLY},
            {"name": "published", "managed": {}},
        ],
        "registries": [{"name": "default", "sources": ["from-config", "published"]}],
        "auth": {"mode": "anonymous"},
        "sync": sync,
    }
    config = load_server_config_data(document).config
    public, _internal = create_apps(config, run_sync=False)
    return await aiohttp_client(public)


async def sync(client: Client, name: str) -> dict[str, Any]:
    response = await client.post(f"/v1/sources/{name}/sync")
    assert response.status == 200, await response.text()
    status: dict[str, Any] = (await response.json())["syncStatus"]
    return status


def root_and_outside(tmp_path: Path, secret: bytes) -> tuple[Path, Path]:
    """`root/ok.json` (DOCUMENT) and `outside/secret.json` (`secret`)."""
    root, outside = tmp_path / "root", tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    (root / "ok.json").write_bytes(DOCUMENT)
    (outside / "secret.json").write_bytes(secret)
    return root, outside


async def test_config_sources_may_reach_loopback_but_admin_sources_may_not(
    aiohttp_client: AiohttpClient, upstream: tuple[FaultyUpstream, Served]
) -> None:
    double, served = upstream
    url = f"{served.url}/registry.json"
    client = await start(aiohttp_client, url, {"allowPrivateIP": True})
    assert (await sync(client, "from-config"))["phase"] == "complete"
    served_before = double.requests

    body = {"file": {"url": url}, "syncPolicy": HOURLY}
    assert (await client.put("/v1/sources/via-api", json=body)).status == 201
    status = await sync(client, "via-api")
    assert status["phase"] == "failed"
    assert REFUSED in status["message"]
    assert double.requests == served_before  # the upstream never saw the API source

    refused = await client.put("/v1/sources/lifted", json={**body, "allowPrivateIP": True})
    assert refused.status == 403
    assert "sync.adminSources.allowPrivateIP" in (await refused.json())["detail"]


async def test_the_config_can_let_admin_sources_ask_for_private_addresses(
    aiohttp_client: AiohttpClient, upstream: tuple[FaultyUpstream, Served]
) -> None:
    _double, served = upstream
    url = f"{served.url}/registry.json"
    client = await start(aiohttp_client, url, {"adminSources": {"allowPrivateIP": True}})
    assert REFUSED in (await sync(client, "from-config"))["message"]  # guarded by default

    body = {"file": {"url": url}, "syncPolicy": HOURLY}
    assert (
        await client.put("/v1/sources/asked", json={**body, "allowPrivateIP": True})
    ).status == 201
    assert (await sync(client, "asked"))["phase"] == "complete"
    view = await (await client.get("/v1/sources/asked")).json()
    assert view["allowPrivateIP"] is True
    assert (await client.put("/v1/sources/plain", json=body)).status == 201
    assert REFUSED in (await sync(client, "plain"))["message"]


async def test_admin_sources_read_local_files_only_under_the_roots(
    aiohttp_client: AiohttpClient, upstream: tuple[FaultyUpstream, Served], tmp_path: Path
) -> None:
    _double, served = upstream
    root, outside = root_and_outside(tmp_path, DOCUMENT)
    (root / "escape.json").symlink_to(outside / "secret.json")
    no_roots = await start(aiohttp_client, f"{served.url}/registry.json", {})
    response = await no_roots.put(
        "/v1/sources/f", json={"file": {"path": str(root / "ok.json")}, "syncPolicy": HOURLY}
    )
    assert response.status == 403
    assert "none are configured" in (await response.json())["detail"]

    client = await start(
        aiohttp_client, f"{served.url}/registry.json", {"adminSources": {"fileRoots": [str(root)]}}
    )
    cases = {
        str(root / "ok.json"): 201,
        str(root / ".." / "outside" / "secret.json"): 403,
        str(root / "escape.json"): 403,  # a symlink out of the root
        str(outside / "secret.json"): 403,
        "relative.json": 403,
    }
    for path, expected in cases.items():
        response = await client.put(
            "/v1/sources/f", json={"file": {"path": path}, "syncPolicy": HOURLY}
        )
        assert response.status == expected, (path, await response.text())
    for repository in (f"file://{outside}", str(outside)):
        body = {"git": {"repository": repository}, "syncPolicy": HOURLY}
        assert (await client.put("/v1/sources/g", json=body)).status == 403, repository
    assert (await sync(client, "f"))["phase"] == "complete"


async def test_a_symlink_under_the_root_pointed_outside_later_is_refused_at_the_next_sync(
    aiohttp_client: AiohttpClient, upstream: tuple[FaultyUpstream, Served], tmp_path: Path
) -> None:
    _double, served = upstream
    other = upstream_document([server("io.example/outside")])
    root, outside = root_and_outside(tmp_path, json.dumps(other).encode())
    link = root / "link.json"
    link.symlink_to(root / "ok.json")
    client = await start(
        aiohttp_client, f"{served.url}/registry.json", {"adminSources": {"fileRoots": [str(root)]}}
    )
    body = {"file": {"path": str(link)}, "syncPolicy": HOURLY}
    assert (await client.put("/v1/sources/f", json=body)).status == 201
    assert (await sync(client, "f"))["phase"] == "complete"
    link.unlink()
    link.symlink_to(outside / "secret.json")
    status = await sync(client, "f")
    assert status["phase"] == "failed"
    assert status["message"].endswith(OUTSIDE_ROOTS)
    entries = await (await client.get("/v1/sources/f/entries")).json()
    assert "io.example/outside" not in json.dumps(entries)
    assert "io.example/one" in json.dumps(entries)


async def test_a_local_files_contents_never_show_in_its_status(
    aiohttp_client: AiohttpClient, upstream: tuple[FaultyUpstream, Served], tmp_path: Path
) -> None:
    """A JSON file under a root that is no registry: the status says so, quoting none of it."""
    _double, served = upstream
    secrets = tmp_path / "secrets.json"
    secrets.write_text(json.dumps({"data": {"servers": [{"name": "hunter2-token"}]}}))
    legacy = tmp_path / "legacy.json"
    legacy.write_text(json.dumps({"servers": {"s3cret-key": {"description": 5}}}))
    client = await start(
        aiohttp_client, f"{served.url}/r.json", {"adminSources": {"fileRoots": [str(tmp_path)]}}
    )
    for name, path, secret in (("a", secrets, "hunter2"), ("b", legacy, "s3cret")):
        body = {"file": {"path": str(path)}, "syncPolicy": HOURLY}
        assert (await client.put(f"/v1/sources/{name}", json=body)).status == 201
        status = await sync(client, name)
        assert status["phase"] == "failed"
        assert "not a valid registry document" in status["message"]
        assert secret not in json.dumps(await (await client.get("/v1/sources")).json())
