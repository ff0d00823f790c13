"""`/v1/entries` and `/v1/me` against a real local issuer: publishing into the managed source,
first-publisher ownership of a name, version lifecycle, entry claims, and their effect on reads."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from mcp_registry_common.config import load_server_config_data
from mcp_registry_server.app import create_apps
from mcp_registry_testing.authz import AuthzServer, file_source, server
from mcp_registry_testing.oidc import OidcIssuer
from pytest_aiohttp import AiohttpClient

PLATFORM = {"org": "acme", "team": "platform"}
DATA = {"org": "acme", "team": "data"}
TOOL = "io.acme/tool"
VERSIONS = f"/registry/catalog/v0.1/servers/{quote(TOOL, safe='')}/versions"


@pytest.fixture
async def harness(tmp_path: Path, aiohttp_client: AiohttpClient) -> AsyncIterator[AuthzServer]:
    async with OidcIssuer() as issuer:
        harness = AuthzServer(issuer=issuer, directory=tmp_path)
        path = harness.write_source("platform-tools", [server("io.acme/deploy")])
        harness.build_config(
            sources=[
                {"name": "published", "managed": {}, "claims": {"org": "acme"}},
                file_source("platform-tools", path, claims=PLATFORM),
            ],
            registries=[
                {
                    "name": "catalog",
                    "sources": ["published", "platform-tools"],
                    "claims": {"org": "acme"},
                }
            ],
        )
        await harness.start(aiohttp_client)
        await harness.sync("platform-tools")
        yield harness


def publication(version: str, claims: dict[str, Any] | None, name: str = TOOL) -> dict[str, Any]:
    body: dict[str, Any] = {"server": server(name, version)}
    if claims is not None:
        body["claims"] = claims
    return body


async def versions(harness: AuthzServer, persona: str) -> tuple[int, list[str], str | None]:
    """Status, listed versions and the latest version of TOOL in the catalog registry."""
    status, body = await harness.call("GET", VERSIONS, persona)
    if status != 200:
        return status, [], None
    _, latest = await harness.call("GET", f"{VERSIONS}/latest", persona)
    return (
        status,
        [item["server"]["version"] for item in body["servers"]],
        latest["server"]["version"],
    )


async def test_writer_publishes_and_reads_are_filtered_by_entry_claims(
    harness: AuthzServer,
) -> None:
    status, body = await harness.call(
        "POST", "/v1/entries", "acme-writer", body=publication("1.0.0", PLATFORM)
    )
    assert status == 201, body
    assert body == server(TOOL, "1.0.0")
    assert await versions(harness, "acme-writer") == (200, ["1.0.0"], "1.0.0")
    assert (TOOL, "1.0.0") in await harness.names("catalog", "acme-writer")
    assert (TOOL, "1.0.0") not in await harness.names("catalog", "acme-data")
    assert (await versions(harness, "acme-data"))[0] == 404
    assert (TOOL, "1.0.0") in await harness.names("catalog", "super")
    status, entries = await harness.call("GET", "/v1/sources/published/entries", "acme-admin")
    assert [(e["name"], e["claims"]) for e in entries["entries"]] == [(TOOL, PLATFORM)]


async def test_publish_lifecycle(harness: AuthzServer) -> None:
    post = "POST", "/v1/entries", "acme-writer"
    assert (await harness.call(*post, body=publication("1.0.0", PLATFORM)))[0] == 201
    status, body = await harness.call(*post, body=publication("1.0.0", PLATFORM))
    assert (status, body["detail"]) == (409, f"version already exists: {TOOL} 1.0.0")
    status, body = await harness.call(
        "POST", "/v1/entries", "acme-data", body=publication("1.1.0", DATA)
    )
    assert status == 409
    assert body["detail"].startswith("claims mismatch")
    assert (await harness.call(*post, body=publication("2.0.0", PLATFORM)))[0] == 201
    assert (await harness.call(*post, body=publication("1.5.0", PLATFORM)))[0] == 201
    assert await versions(harness, "acme-writer") == (200, ["1.0.0", "1.5.0", "2.0.0"], "2.0.0")

    delete = f"/v1/entries/server/{quote(TOOL, safe='')}/versions"
    assert (await harness.call("DELETE", f"{delete}/2.0.0", "acme-writer"))[0] == 204
    assert await versions(harness, "acme-writer") == (200, ["1.0.0", "1.5.0"], "1.5.0")
    status, body = await harness.call("DELETE", f"{delete}/2.0.0", "acme-writer")
    assert (status, body["detail"]) == (404, f"version not found: {TOOL} 2.0.0")
    status, _ = await harness.call("DELETE", f"{delete}/1.0.0", "acme-data")
    assert status == 403  # the entry's claims are not visible to team data
    for version in ("1.0.0", "1.5.0"):
        assert (await harness.call("DELETE", f"{delete}/{version}", "acme-writer"))[0] == 204
    assert (await versions(harness, "acme-writer"))[0] == 404
    claims = f"/v1/entries/server/{quote(TOOL, safe='')}/claims"
    status, body = await harness.call("GET", claims, "acme-writer")
    assert (status, body["detail"]) == (404, f"entry not found: {TOOL}")
    # the name is free again: a new first publisher sets new claims
    status, _ = await harness.call(
        "POST", "/v1/entries", "acme-data", body=publication("3.0.0", DATA)
    )
    assert status == 201
    assert await versions(harness, "acme-data") == (200, ["3.0.0"], "3.0.0")


async def test_entry_claims_read_and_update(harness: AuthzServer) -> None:
    await harness.call("POST", "/v1/entries", "acme-writer", body=publication("1.0.0", PLATFORM))
    path = f"/v1/entries/server/{quote(TOOL, safe='')}/claims"
    status, body = await harness.call("GET", path, "acme-writer")
    assert (status, body) == (200, {"claims": PLATFORM})
    status, _ = await harness.call("GET", path, "acme-data")
    assert status == 403
    status, body = await harness.call(
        "PUT", path, "acme-writer", body={"claims": {"org": ["acme", "globex"]}}
    )
    assert (status, body["detail"]) == (
        403,
        "forbidden: claims must be a subset of the caller's claims",
    )
    status, body = await harness.call("PUT", path, "acme-writer", body={"claims": {}})
    assert (status, body["detail"]) == (400, "claims are required when authorization is enabled")
    status, _ = await harness.call("PUT", path, "acme-writer", body={"claims": {"org": "acme"}})
    assert status == 204
    assert (TOOL, "1.0.0") in await harness.names("catalog", "acme-data")  # now org-wide
    status, body = await harness.call("GET", path, "acme-data")
    assert (status, body) == (200, {"claims": {"org": "acme"}})


@pytest.mark.parametrize(
    ("persona", "body", "status", "detail"),
    [
        (
            "acme-writer",
            publication("1.0.0", None),
            400,
            "claims are required when authorization is enabled",
        ),
        (
            "acme-writer",
            publication("1.0.0", {"org": "acme", "team": ["platform", "data"]}),
            403,
            "subset",
        ),
        ("acme-admin", publication("1.0.0", PLATFORM), 403, "forbidden: insufficient permissions"),
        (
            "outsider",
            publication("1.0.0", {"org": "initech"}),
            403,
            "forbidden: insufficient permissions",
        ),
        (
            "globex-writer",
            publication("1.0.0", {"org": "globex"}),
            403,
            "insufficient claims for the managed source",
        ),
        ("acme-writer", {"claims": PLATFORM}, 400, "exactly one of 'server', 'skill', or 'plugin'"),
        (
            "acme-writer",
            {"claims": PLATFORM, "skill": {"name": "s"}},
            400,
            "skill.namespace: namespace is required",
        ),
        (
            "acme-writer",
            {"claims": PLATFORM, "server": {"name": "bad", "version": "1", "description": "d"}},
            400,
            "server.name",
        ),
        ("acme-writer", {"claims": PLATFORM, "server": server(TOOL, "^1.0")}, 400, "not a range"),
        (
            "acme-writer",
            {"claims": PLATFORM, "server": server("-x/y")},
            400,
            "invalid server name format",
        ),
        (
            "acme-writer",
            {"claims": PLATFORM, "server": server(TOOL), "more": 1},
            400,
            "unknown keys ['more']",
        ),
        ("acme-writer", {"claims": {"org": 1}, "server": server(TOOL)}, 400, "claims.org"),
    ],
)
async def test_publish_refusals(
    harness: AuthzServer, persona: str, body: dict[str, Any], status: int, detail: str
) -> None:
    if persona == "globex-writer":
        token = harness.token("acme-writer", org="globex")
        harness.tokens[persona] = token
    got, response = await harness.call("POST", "/v1/entries", persona, body=body)
    assert got == status, response
    assert detail in response["detail"]


@pytest.mark.parametrize(
    ("method", "path", "status", "detail"),
    [
        (
            "DELETE",
            "/v1/entries/widget/io.acme%2Ftool/versions/1.0.0",
            400,
            "unsupported entry type",
        ),
        ("GET", "/v1/entries/server/no-slash/claims", 400, "invalid server name format"),
        ("GET", "/v1/entries/skill/acme%2Fsk/claims", 404, "entry not found"),
        ("DELETE", "/v1/entries/server/io.acme%2Fnone/versions/1.0.0", 404, "entry not found"),
    ],
)
async def test_entry_path_rules(
    harness: AuthzServer, method: str, path: str, status: int, detail: str
) -> None:
    got, body = await harness.call(method, path, "acme-writer")
    assert got == status, body
    assert detail in body["detail"]


async def test_me(harness: AuthzServer) -> None:
    assert await harness.call("GET", "/v1/me", "acme-writer") == (
        200,
        {"subject": "acme-writer-1", "roles": ["manageEntries"]},
    )
    assert (await harness.call("GET", "/v1/me", "acme-admin"))[1]["roles"] == [
        "manageSources",
        "manageRegistries",
    ]
    assert (await harness.call("GET", "/v1/me", "super"))[1]["roles"] == [
        "superAdmin",
        "manageSources",
        "manageRegistries",
        "manageEntries",
    ]
    assert await harness.call("GET", "/v1/me", "outsider") == (
        200,
        {"subject": "outsider-1", "roles": []},
    )


def anonymous_config(*, authz: bool) -> Any:
    document: dict[str, Any] = {
        "sources": [{"name": "published", "managed": {}}],
        "registries": [{"name": "default", "sources": ["published"]}],
        "auth": {"mode": "anonymous"},
    }
    if authz:
        document["auth"]["authz"] = {"roles": {"superAdmin": [{"role": "root"}]}}
    return load_server_config_data(document).config


async def test_anonymous_mode_publishes_without_claims(aiohttp_client: AiohttpClient) -> None:
    client = await aiohttp_client(create_apps(anonymous_config(authz=False), run_sync=False)[0])
    response = await client.post("/v1/entries", json={"server": server(TOOL)})
    assert response.status == 201
    listed = await (await client.get("/registry/default/v0.1/servers")).json()
    assert [item["server"]["name"] for item in listed["servers"]] == [TOOL]
    response = await client.get("/v1/me")
    assert response.status == 401
    assert (await response.json())["detail"] == "authentication required"
    assert "WWW-Authenticate" not in response.headers


async def test_anonymous_mode_with_authz_still_requires_claims(
    aiohttp_client: AiohttpClient,
) -> None:
    client = await aiohttp_client(create_apps(anonymous_config(authz=True), run_sync=False)[0])
    response = await client.post("/v1/entries", json={"server": server(TOOL)})
    assert response.status == 400
    assert (await response.json())["detail"] == "claims are required when authorization is enabled"
    response = await client.post("/v1/entries", json={"server": server(TOOL), "claims": {"a": "b"}})
    assert response.status == 201


async def test_publishing_needs_a_managed_source(
    tmp_path: Path, aiohttp_client: AiohttpClient
) -> None:
    document = {
        "sources": [file_source("f", tmp_path / "f.json")],
        "registries": [{"name": "default", "sources": ["f"]}],
        "auth": {"mode": "anonymous"},
    }
    config = load_server_config_data(document).config
    client = await aiohttp_client(create_apps(config, run_sync=False)[0])
    response = await client.post("/v1/entries", json={"server": server(TOOL)})
    assert response.status == 409
    assert "no managed source" in (await response.json())["detail"]


async def test_published_skills_are_read_with_their_own_claims(harness: AuthzServer) -> None:
    skill = {"namespace": "io.acme", "name": "notes", "description": "d", "version": "1.0.0"}
    body = {"skill": skill, "claims": PLATFORM}
    status, stored = await harness.call("POST", "/v1/entries", "acme-writer", body=body)
    assert (status, stored) == (201, skill)
    path = "/registry/catalog/v0.1/x/dev.toolhive/skills"
    status, listed = await harness.call("GET", path, "acme-writer")
    assert (status, [s["name"] for s in listed["skills"]]) == (200, ["notes"])
    status, listed = await harness.call("GET", path, "acme-data")
    assert (status, listed["skills"]) == (200, [])
    status, _ = await harness.call("GET", f"{path}/io.acme/notes", "acme-data")
    assert status == 404
    claims = "/v1/entries/skill/io.acme%2Fnotes/claims"
    status, problem = await harness.call("GET", claims, "acme-data")
    assert (status, problem["detail"]) == (
        403,
        "forbidden: insufficient claims for entry io.acme/notes",
    )
    status, body = await harness.call("GET", claims, "acme-writer")
    assert (status, body) == (200, {"claims": PLATFORM})
