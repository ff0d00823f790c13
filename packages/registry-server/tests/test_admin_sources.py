"""`/v1/sources` against a real local issuer: roles, claim visibility (404-hiding), the write
rules (config objects read-only, subset rule, type changes, one managed source, links),
manual sync, and API-created sources surviving a restart over the same store."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from mcp_registry_server.store.memory import MemoryStore
from mcp_registry_testing.authz import AuthzServer, file_source, server
from mcp_registry_testing.oidc import OidcIssuer
from pytest_aiohttp import AiohttpClient

PLATFORM = {"org": "acme", "team": "platform"}
GLOBEX_ROLES = {
    "superAdmin": [{"role": "super-admin"}],
    "manageSources": [{"org": "acme", "role": "admin"}, {"org": "globex", "role": "admin"}],
    "manageRegistries": [{"org": "acme", "role": "admin"}, {"org": "globex", "role": "admin"}],
    "manageEntries": [{"role": "writer"}],
}
"""The seed's roles, plus admins of a second tenant (globex)."""


@pytest.fixture
async def harness(tmp_path: Path) -> AsyncIterator[AuthzServer]:
    async with OidcIssuer() as issuer:
        yield AuthzServer(issuer=issuer, directory=tmp_path)


async def start(
    harness: AuthzServer, aiohttp_client: AiohttpClient, *, store: MemoryStore | None = None
) -> AuthzServer:
    platform = harness.write_source("platform-tools", [server("io.acme/deploy")])
    globex = harness.write_source("globex-tools", [server("com.globex/ledger")])
    harness.build_config(
        sources=[
            file_source("platform-tools", platform, claims=PLATFORM),
            file_source("globex-tools", globex, claims={"org": "globex"}),
            {"name": "published", "managed": {}, "claims": {"org": "acme"}},
        ],
        registries=[{"name": "platform", "sources": ["platform-tools"], "claims": PLATFORM}],
        roles=GLOBEX_ROLES,
    )
    await harness.start(aiohttp_client, store=store)
    return harness


def api_source(path: Path, **extra: Any) -> dict[str, Any]:
    return {"file": {"path": str(path)}, "syncPolicy": {"interval": "1h"}, **extra}


async def test_roles_and_visibility(harness: AuthzServer, aiohttp_client: AiohttpClient) -> None:
    await start(harness, aiohttp_client)

    async def listed(persona: str) -> list[str]:
        status, body = await harness.call("GET", "/v1/sources", persona)
        assert status == 200, body
        return [item["name"] for item in body["sources"]]

    assert await listed("super") == ["platform-tools", "globex-tools", "published"]
    assert await listed("acme-admin") == ["platform-tools", "published"]
    assert await listed("globex-admin") == ["globex-tools"]
    for persona in ("acme-writer", "outsider"):
        status, body = await harness.call("GET", "/v1/sources", persona)
        assert (status, body["detail"]) == (403, "forbidden: insufficient permissions")
    for path in ("/v1/sources/platform-tools", "/v1/sources/platform-tools/entries"):
        status, body = await harness.call("GET", path, "globex-admin")
        assert (status, body["detail"]) == (404, "source not found: platform-tools")
    status, body = await harness.call("POST", "/v1/sources/platform-tools/sync", "globex-admin")
    assert status == 404
    status, body = await harness.call("GET", "/v1/sources/platform-tools", "acme-admin")
    assert status == 200
    assert body["name"] == "platform-tools"
    assert (body["type"], body["sourceType"], body["creationType"]) == ("file", "file", "CONFIG")
    assert body["claims"] == PLATFORM
    assert body["syncSchedule"] == "30m0s"
    assert body["syncStatus"]["phase"] == "syncing"  # waiting for its first sync


async def test_manual_sync_then_entries(
    harness: AuthzServer, aiohttp_client: AiohttpClient
) -> None:
    await start(harness, aiohttp_client)
    body = await harness.sync("platform-tools", persona="acme-admin")
    assert body["syncStatus"]["serverCount"] == 1
    assert "lastSyncTime" in body["syncStatus"]
    status, entries = await harness.call("GET", "/v1/sources/platform-tools/entries", "acme-admin")
    assert status == 200
    [entry] = entries["entries"]
    assert (entry["entryType"], entry["name"], entry["claims"]) == (
        "MCP",
        "io.acme/deploy",
        PLATFORM,
    )
    assert [v["version"] for v in entry["versions"]] == ["1.0.0"]
    status, body = await harness.call("POST", "/v1/sources/published/sync", "acme-admin")
    assert status == 409  # managed sources are not synced
    assert "not synced" in body["detail"]


async def test_config_sources_are_read_only(
    harness: AuthzServer, aiohttp_client: AiohttpClient
) -> None:
    await start(harness, aiohttp_client)
    path = harness.write_source("other", [server("io.acme/other")])
    status, body = await harness.call(
        "PUT", "/v1/sources/platform-tools", "super", body=api_source(path, claims=PLATFORM)
    )
    assert (status, body["detail"]) == (
        403,
        "cannot modify config-created source via API: platform-tools",
    )
    status, body = await harness.call("DELETE", "/v1/sources/platform-tools", "super")
    assert status == 403
    status, body = await harness.call("DELETE", "/v1/sources/nope", "super")
    assert (status, body["detail"]) == (404, "source not found: nope")


async def test_create_update_delete_lifecycle(
    harness: AuthzServer, aiohttp_client: AiohttpClient
) -> None:
    await start(harness, aiohttp_client)
    path = harness.write_source("team-tools", [server("io.acme/team", "0.1.0")])
    document = api_source(path, claims=PLATFORM)
    status, body = await harness.call("PUT", "/v1/sources/team-tools", "acme-admin", body=document)
    assert status == 201, body
    assert (body["creationType"], body["sourceConfig"]) == ("API", {"path": str(path)})
    created = body["createdAt"]
    await harness.sync("team-tools", persona="acme-admin")

    narrowed = {**document, "filter": {"names": {"exclude": ["io.acme/*"]}}}
    status, body = await harness.call("PUT", "/v1/sources/team-tools", "acme-admin", body=narrowed)
    assert status == 200, body
    assert body["createdAt"] == created
    assert body["filterConfig"] == {"names": {"include": [], "exclude": ["io.acme/*"]}}
    synced = await harness.sync("team-tools", persona="acme-admin")
    assert synced["syncStatus"]["serverCount"] == 0

    status, body = await harness.call(
        "PUT", "/v1/sources/team-tools", "globex-admin", body=document
    )
    assert status == 403  # exists, but its claims are not the caller's
    status, _ = await harness.call("DELETE", "/v1/sources/team-tools", "acme-admin")
    assert status == 204
    status, _ = await harness.call("GET", "/v1/sources/team-tools", "acme-admin")
    assert status == 404


@pytest.mark.parametrize(
    ("persona", "body_claims", "status", "detail"),
    [
        ("acme-admin", {"org": "acme", "team": ["platform", "data"]}, 403, "subset"),
        ("acme-admin", None, 403, "subset"),  # unclaimed: default deny for claim-bearing callers
        ("acme-admin", {"org": "globex"}, 403, "subset"),
        ("super", None, 201, None),
        ("acme-admin", {"org": "acme"}, 201, None),
    ],
)
async def test_new_claims_must_be_a_subset_of_the_callers(
    harness: AuthzServer,
    aiohttp_client: AiohttpClient,
    persona: str,
    body_claims: dict[str, Any] | None,
    status: int,
    detail: str | None,
) -> None:
    await start(harness, aiohttp_client)
    path = harness.write_source("mine", [server("io.acme/mine")])
    document = api_source(path) | ({"claims": body_claims} if body_claims is not None else {})
    got, body = await harness.call("PUT", "/v1/sources/mine", persona, body=document)
    assert got == status, body
    if detail:
        assert detail in body["detail"]


@pytest.mark.parametrize(
    ("document", "status", "fragment"),
    [
        ({"managed": {}, "claims": {"org": "acme"}}, 409, "at most one managed source"),
        ({"git": {"repository": "https://example.com/x.git"}}, 400, "syncPolicy.interval"),
        (
            {"file": {"path": "a"}, "syncPolicy": {"interval": "1h"}, "syncpolicy": {}},
            400,
            "syncPolicy",
        ),
        (
            {"file": {"path": "a", "url": "https://x/y"}, "syncPolicy": {"interval": "1h"}},
            400,
            "mutually exclusive",
        ),
        ({"name": "x", "managed": {}}, 400, "comes from the path"),
        (
            {
                "file": {"path": "a"},
                "git": {"repository": "https://x"},
                "syncPolicy": {"interval": "1h"},
            },
            400,
            "only one of",
        ),
    ],
)
async def test_invalid_source_bodies(
    harness: AuthzServer,
    aiohttp_client: AiohttpClient,
    document: dict[str, Any],
    status: int,
    fragment: str,
) -> None:
    await start(harness, aiohttp_client)
    got, body = await harness.call("PUT", "/v1/sources/new-one", "super", body=document)
    assert got == status, body
    assert fragment in body["detail"]
    assert body["type"] == "about:blank"


async def test_bad_names_bodies_and_sizes(
    harness: AuthzServer, aiohttp_client: AiohttpClient
) -> None:
    served = await start(harness, aiohttp_client)
    assert served.client is not None
    status, body = await harness.call("PUT", "/v1/sources/Not_DNS", "super", body={"managed": {}})
    assert status == 400
    assert "valid DNS subdomain" in body["detail"]
    headers = {**harness.headers("super"), "Content-Type": "application/json"}
    response = await served.client.put("/v1/sources/x", data=b"{not json", headers=headers)
    assert response.status == 400
    assert (await response.json())["detail"].startswith("invalid request body: not JSON")
    response = await served.client.put("/v1/sources/x", data=b"[1]", headers=headers)
    assert (await response.json())["detail"] == "invalid request body: expected a JSON object"
    huge = b'{"managed": {}, "claims": {"k": "' + b"x" * (2 * 1024 * 1024) + b'"}}'
    response = await served.client.put("/v1/sources/x", data=huge, headers=headers)
    assert response.status == 413
    assert response.content_type == "application/problem+json"


async def test_type_change_and_registry_link_rules(
    harness: AuthzServer, aiohttp_client: AiohttpClient
) -> None:
    await start(harness, aiohttp_client)
    path = harness.write_source("linked", [server("io.acme/linked")])
    status, _ = await harness.call(
        "PUT", "/v1/sources/linked", "super", body=api_source(path, claims=PLATFORM)
    )
    assert status == 201
    status, body = await harness.call(
        "PUT", "/v1/sources/linked", "super", body={"managed": {}, "claims": PLATFORM}
    )
    assert (status, body["detail"]) == (400, "changing source type is not allowed")
    status, body = await harness.call(
        "PUT",
        "/v1/sources/linked",
        "super",
        body={"file": {"url": "https://example.com/r.json"}, "syncPolicy": {"interval": "1h"}},
    )
    assert status == 400
    assert "between path and url" in body["detail"]
    status, _ = await harness.call(
        "PUT", "/v1/registries/team", "super", body={"sources": ["linked"], "claims": PLATFORM}
    )
    assert status == 201
    status, body = await harness.call("DELETE", "/v1/sources/linked", "super")
    assert (status, body["detail"]) == (
        409,
        "source is referenced by one or more registries: team",
    )
    assert (await harness.call("DELETE", "/v1/registries/team", "super"))[0] == 204
    assert (await harness.call("DELETE", "/v1/sources/linked", "super"))[0] == 204


async def test_a_linked_source_refusal_names_only_registries_the_caller_sees(
    harness: AuthzServer, aiohttp_client: AiohttpClient
) -> None:
    await start(harness, aiohttp_client)
    path = harness.write_source("shared", [server("io.acme/shared")])
    shared = api_source(path, claims={"org": "acme"})
    assert (await harness.call("PUT", "/v1/sources/shared", "super", body=shared))[0] == 201
    hidden = {"sources": ["shared"], "claims": {"org": "globex"}}
    assert (await harness.call("PUT", "/v1/registries/hidden", "super", body=hidden))[0] == 201
    status, body = await harness.call("DELETE", "/v1/sources/shared", "acme-admin")
    assert (status, body["detail"]) == (409, "source is referenced by one or more registries")
    seen = {"sources": ["shared"], "claims": {"org": "acme"}}
    assert (await harness.call("PUT", "/v1/registries/seen", "super", body=seen))[0] == 201
    status, body = await harness.call("DELETE", "/v1/sources/shared", "acme-admin")
    assert (status, body["detail"]) == (409, "source is referenced by one or more registries: seen")
    status, body = await harness.call("DELETE", "/v1/sources/shared", "super")
    assert body["detail"] == "source is referenced by one or more registries: hidden, seen"


async def test_api_definitions_survive_a_restart(
    harness: AuthzServer, aiohttp_client: AiohttpClient
) -> None:
    store = MemoryStore()
    await start(harness, aiohttp_client, store=store)
    path = harness.write_source("kept", [server("io.acme/kept")])
    await harness.call(
        "PUT", "/v1/sources/kept", "acme-admin", body=api_source(path, claims=PLATFORM)
    )
    await harness.call(
        "PUT", "/v1/registries/kept", "acme-admin", body={"sources": ["kept"], "claims": PLATFORM}
    )
    await harness.sync("kept", persona="acme-admin")
    assert harness.client is not None
    await harness.client.close()

    await start(harness, aiohttp_client, store=store)
    status, body = await harness.call("GET", "/v1/sources/kept", "acme-admin")
    assert (status, body["creationType"], body["claims"]) == (200, "API", PLATFORM)
    assert await harness.names("kept", "acme-writer") == [("io.acme/kept", "1.0.0")]
