"""`/v1/registries` against a real local issuer: the seed's acme admin manages the `platform`
registry, other tenants neither see nor touch it, and registry changes rebuild what is served."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from mcp_registry_testing.authz import AuthzServer, file_source, server
from mcp_registry_testing.oidc import OidcIssuer
from pytest_aiohttp import AiohttpClient

PLATFORM = {"org": "acme", "team": "platform"}
ROLES = {
    "superAdmin": [{"role": "super-admin"}],
    "manageSources": [{"org": "acme", "role": "admin"}, {"org": "globex", "role": "admin"}],
    "manageRegistries": [{"org": "acme", "role": "admin"}, {"org": "globex", "role": "admin"}],
    "manageEntries": [{"role": "writer"}],
}


@pytest.fixture
async def harness(tmp_path: Path, aiohttp_client: AiohttpClient) -> AsyncIterator[AuthzServer]:
    """The seed's platform-tools source (file instead of git), an acme-wide source shadowed by
    it, a globex source, and one config registry; the `platform` registry is left to the API."""
    async with OidcIssuer() as issuer:
        harness = AuthzServer(issuer=issuer, directory=tmp_path)
        platform = harness.write_source(
            "platform-tools", [server("io.acme/deploy", "2.0.0"), server("io.acme/only-platform")]
        )
        shared = harness.write_source(
            "acme-shared", [server("io.acme/deploy", "1.0.0"), server("io.acme/only-shared")]
        )
        globex = harness.write_source("globex-tools", [server("com.globex/ledger")])
        harness.build_config(
            sources=[
                file_source("platform-tools", platform, claims=PLATFORM),
                file_source("acme-shared", shared, claims={"org": "acme"}),
                file_source("globex-tools", globex, claims={"org": "globex"}),
            ],
            registries=[
                {"name": "config-reg", "sources": ["platform-tools"], "claims": {"org": "acme"}}
            ],
            roles=ROLES,
        )
        await harness.start(aiohttp_client)
        for source in ("platform-tools", "acme-shared", "globex-tools"):
            await harness.sync(source)
        yield harness


async def test_acme_admin_manages_the_platform_registry(harness: AuthzServer) -> None:
    body = {"sources": ["platform-tools", "acme-shared"], "claims": PLATFORM}
    status, created = await harness.call("PUT", "/v1/registries/platform", "acme-admin", body=body)
    assert status == 201, created
    assert (created["name"], created["creationType"], created["sources"], created["claims"]) == (
        "platform",
        "API",
        ["platform-tools", "acme-shared"],
        PLATFORM,
    )
    assert await harness.names("platform", "acme-writer") == [
        ("io.acme/deploy", "2.0.0"),
        ("io.acme/only-platform", "1.0.0"),
        ("io.acme/only-shared", "1.0.0"),
    ]
    status, entries = await harness.call("GET", "/v1/registries/platform/entries", "acme-admin")
    assert status == 200
    assert [
        (e["name"], e["version"], e["sourceName"], e["position"]) for e in entries["entries"]
    ] == [
        ("io.acme/deploy", "1.0.0", "acme-shared", 1),
        ("io.acme/deploy", "2.0.0", "platform-tools", 0),
        ("io.acme/only-platform", "1.0.0", "platform-tools", 0),
        ("io.acme/only-shared", "1.0.0", "acme-shared", 1),
    ]

    body = {"sources": ["acme-shared", "platform-tools"], "claims": PLATFORM}
    status, updated = await harness.call("PUT", "/v1/registries/platform", "acme-admin", body=body)
    assert (status, updated["createdAt"]) == (200, created["createdAt"])
    assert ("io.acme/deploy", "1.0.0") in await harness.names("platform", "acme-writer")

    status, _ = await harness.call("DELETE", "/v1/registries/platform", "acme-admin")
    assert status == 204
    status, body = await harness.call("GET", "/registry/platform/v0.1/servers", "acme-admin")
    assert (status, body["detail"]) == (404, "registry not found: platform")


async def test_other_tenants_neither_see_nor_touch_it(harness: AuthzServer) -> None:
    body = {"sources": ["platform-tools"], "claims": PLATFORM}
    assert (await harness.call("PUT", "/v1/registries/platform", "acme-admin", body=body))[0] == 201

    status, listed = await harness.call("GET", "/v1/registries", "globex-admin")
    assert status == 200
    assert listed["registries"] == []
    for path in ("/v1/registries/platform", "/v1/registries/platform/entries"):
        status, body = await harness.call("GET", path, "globex-admin")
        assert (status, body["detail"]) == (404, "registry not found: platform")
    status, _ = await harness.call("GET", "/registry/platform/v0.1/servers", "globex-admin")
    assert status == 403
    status, _ = await harness.call("DELETE", "/v1/registries/platform", "globex-admin")
    assert status == 403
    status, body = await harness.call(
        "PUT",
        "/v1/registries/mine",
        "globex-admin",
        body={"sources": ["platform-tools"], "claims": {"org": "globex"}},
    )
    assert (status, body["detail"]) == (
        403,
        "forbidden: insufficient claims for a referenced source",
    )

    status, listed = await harness.call("GET", "/v1/registries", "acme-admin")
    assert [r["name"] for r in listed["registries"]] == ["config-reg", "platform"]
    status, listed = await harness.call("GET", "/v1/registries", "super")
    assert [r["name"] for r in listed["registries"]] == ["config-reg", "platform"]
    status, body = await harness.call("GET", "/v1/registries", "outsider")
    assert (status, body["registries"]) == (200, [])  # no role needed; nothing visible
    status, _ = await harness.call("GET", "/v1/registries/platform/entries", "acme-writer")
    assert status == 403  # manageRegistries needed


@pytest.mark.parametrize(
    ("name", "persona", "body", "status", "detail"),
    [
        (
            "config-reg",
            "super",
            {"sources": ["acme-shared"]},
            403,
            "cannot modify config-created registry via API: config-reg",
        ),
        ("r", "super", {"sources": ["nope"]}, 400, "unknown source: nope"),
        ("r", "super", {"sources": []}, 400, "at least one source is required"),
        (
            "r",
            "super",
            {"sources": ["acme-shared", "acme-shared"]},
            400,
            "duplicate source 'acme-shared'",
        ),
        (
            "r",
            "acme-admin",
            {"sources": ["acme-shared"], "claims": {"org": "globex"}},
            403,
            "subset",
        ),
        ("r", "acme-admin", {"sources": ["acme-shared"]}, 403, "subset"),
        (
            "r",
            "acme-admin",
            {"sources": ["acme-shared"], "claims": {"org": ["acme", "globex"]}},
            403,
            "subset",
        ),
        (
            "r",
            "acme-admin",
            {"sources": ["acme-shared"], "claims": {"team": 7}},
            400,
            "claims.team",
        ),
        (
            "r",
            "acme-writer",
            {"sources": ["acme-shared"], "claims": {"org": "acme"}},
            403,
            "insufficient permissions",
        ),
        (
            "r",
            "acme-admin",
            {"sources": ["acme-shared"], "claims": {"org": "acme"}, "extra": 1},
            400,
            "extra: unknown key",
        ),
    ],
)
async def test_registry_write_rules(
    harness: AuthzServer, name: str, persona: str, body: dict[str, Any], status: int, detail: str
) -> None:
    got, response = await harness.call("PUT", f"/v1/registries/{name}", persona, body=body)
    assert got == status, response
    assert detail in response["detail"]


async def test_a_registry_names_only_the_sources_its_reader_may_see(harness: AuthzServer) -> None:
    """acme-data may read the acme-wide registry but not its platform-team source: the
    registry, alone or listed, does not name that source, and neither does a refusal."""
    body = {"sources": ["platform-tools", "acme-shared"], "claims": {"org": "acme"}}
    assert (await harness.call("PUT", "/v1/registries/acme", "acme-admin", body=body))[0] == 201
    status, shown = await harness.call("GET", "/v1/registries/acme", "acme-data")
    assert (status, shown["sources"]) == (200, ["acme-shared"])
    status, listed = await harness.call("GET", "/v1/registries", "acme-data")
    assert {r["name"]: r["sources"] for r in listed["registries"]} == {
        "acme": ["acme-shared"],
        "config-reg": [],
    }
    status, shown = await harness.call("GET", "/v1/registries/acme", "acme-admin")
    assert shown["sources"] == ["platform-tools", "acme-shared"]

    refusals = [
        await harness.call(
            "PUT",
            "/v1/registries/g",
            "globex-admin",
            body={"sources": ["platform-tools"], "claims": {"org": "globex"}},
        ),
        await harness.call("DELETE", "/v1/sources/platform-tools", "globex-admin"),
        await harness.call(
            "PUT",
            "/v1/sources/platform-tools",
            "globex-admin",
            body={"file": {"path": "/r.json"}, "syncPolicy": {"interval": "1h"}},
        ),
    ]
    for status, refused in refusals:
        assert status == 403, refused
        assert "platform-tools" not in str(refused)


async def test_config_registry_is_readable_but_not_deletable(harness: AuthzServer) -> None:
    status, body = await harness.call("GET", "/v1/registries/config-reg", "acme-writer")
    assert (status, body["creationType"], body["sources"]) == (200, "CONFIG", ["platform-tools"])
    status, body = await harness.call("DELETE", "/v1/registries/config-reg", "super")
    assert status == 403
    status, body = await harness.call("DELETE", "/v1/registries/missing", "super")
    assert (status, body["detail"]) == (404, "registry not found: missing")
