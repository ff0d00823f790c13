"""Authorization on the read API against a real local issuer: the registry claims gate,
per-entry filtering, and dedup by source priority applied after the claims filter."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from mcp_registry_testing.authz import AuthzServer, file_source, server
from mcp_registry_testing.oidc import OidcIssuer
from pytest_aiohttp import AiohttpClient

PLATFORM = {"org": "acme", "team": "platform"}


@pytest.fixture
async def issuer() -> AsyncIterator[OidcIssuer]:
    async with OidcIssuer() as idp:
        yield idp


@pytest.fixture
def harness(issuer: OidcIssuer, tmp_path: Path) -> AuthzServer:
    return AuthzServer(issuer=issuer, directory=tmp_path)


async def seed_server(harness: AuthzServer, aiohttp_client: AiohttpClient) -> AuthzServer:
    """The seed's authz example with a file source, plus a second tenant (globex)."""
    platform = harness.write_source("platform-tools", [server("io.acme/deploy", "1.0.0")])
    globex = harness.write_source("globex-tools", [server("com.globex/ledger", "2.0.0")])
    harness.build_config(
        sources=[
            file_source("platform-tools", platform, claims=PLATFORM),
            file_source("globex-tools", globex, claims={"org": "globex"}),
        ],
        registries=[
            {"name": "platform", "sources": ["platform-tools"], "claims": PLATFORM},
            {"name": "globex", "sources": ["globex-tools"], "claims": {"org": "globex"}},
            {"name": "open", "sources": ["platform-tools"]},
        ],
    )
    await harness.start(aiohttp_client)
    await harness.sync("platform-tools")
    await harness.sync("globex-tools")
    return harness


@pytest.mark.parametrize(
    ("persona", "registry", "expected"),
    [
        ("acme-admin", "platform", 200),
        ("acme-writer", "platform", 200),
        ("acme-data", "platform", 403),  # team data on a registry tagged team platform
        ("globex-admin", "platform", 403),
        ("outsider", "platform", 403),
        ("super", "platform", 200),
        ("globex-admin", "globex", 200),
        ("acme-admin", "globex", 403),
        ("acme-admin", "open", 403),  # unclaimed registry: hidden from claim-bearing callers
        ("super", "open", 200),
        ("super", "missing", 404),
        ("outsider", "missing", 404),
    ],
)
async def test_registry_gate_matrix(
    harness: AuthzServer,
    aiohttp_client: AiohttpClient,
    persona: str,
    registry: str,
    expected: int,
) -> None:
    await seed_server(harness, aiohttp_client)
    for path in (
        "/servers",
        "/servers/io.acme%2Fdeploy/versions",
        "/servers/io.acme%2Fdeploy/versions/latest",
    ):
        status, body = await harness.call("GET", f"/registry/{registry}/v0.1{path}", persona)
        if expected == 403:
            assert (status, body["detail"]) == (403, "forbidden: insufficient claims for registry")
            assert body["error"] == body["detail"]
        elif expected == 404:
            assert (status, body["detail"]) == (404, f"registry not found: {registry}")
        else:
            assert status in (200, 404), body  # 404: that server is not in this registry


async def test_seed_example_reads(harness: AuthzServer, aiohttp_client: AiohttpClient) -> None:
    await seed_server(harness, aiohttp_client)
    assert await harness.names("platform", "acme-admin") == [("io.acme/deploy", "1.0.0")]
    assert await harness.names("platform", "super") == [("io.acme/deploy", "1.0.0")]
    assert await harness.names("globex", "globex-admin") == [("com.globex/ledger", "2.0.0")]
    status, body = await harness.call(
        "GET", "/registry/platform/v0.1/servers/io.acme%2Fdeploy/versions/1.0.0", "acme-writer"
    )
    assert (status, body["server"]["name"]) == (200, "io.acme/deploy")


async def test_unauthenticated_reads_are_401_and_metadata_is_public(
    harness: AuthzServer, aiohttp_client: AiohttpClient
) -> None:
    served = await seed_server(harness, aiohttp_client)
    assert served.client is not None
    for path in ("/registry/platform/v0.1/servers", "/v1/me", "/v1/sources"):
        for headers in ({}, {"Authorization": "Bearer "}, {"Authorization": "Basic abc"}):
            response = await served.client.get(path, headers=headers)
            assert response.status == 401
            assert response.headers["WWW-Authenticate"].startswith('Bearer realm="mcp-registry"')
    response = await served.client.get("/.well-known/oauth-protected-resource")
    assert response.status == 200
    assert await response.json() == {
        "resource": "https://registry.acme.test",
        "authorization_servers": [served.issuer.url],
        "bearer_methods_supported": ["header"],
    }


# -- shadowing with claims: claims filter first, then dedup by source priority ------------------

CLAIMS_BY_SOURCE = {
    "high": {"team": "a"},
    "mid": {"team": "b"},
    "low": {"team": "c"},
}


async def shadowing_server(harness: AuthzServer, aiohttp_client: AiohttpClient) -> AuthzServer:
    """Three sources, each holding `com.x/shared` (own versions) and one name of its own."""
    sources = []
    for rank, (name, claims) in enumerate(CLAIMS_BY_SOURCE.items()):
        servers = [
            server("com.x/shared", f"{rank + 1}.0.0"),
            server("com.x/shared", f"{rank + 1}.1.0"),
            server(f"com.x/only-{name}", "1.0.0"),
        ]
        sources.append(file_source(name, harness.write_source(name, servers), claims=claims))
    harness.build_config(
        sources=sources,
        registries=[
            {"name": "stack", "sources": ["high", "mid", "low"], "claims": {"org": "acme"}}
        ],
    )
    await harness.start(aiohttp_client)
    for name in CLAIMS_BY_SOURCE:
        await harness.sync(name)
    return harness


def expected_view(teams: set[str]) -> list[tuple[str, str]]:
    """What a caller of `teams` must see: per name, all versions of the first visible source."""
    items: list[tuple[str, str]] = []
    for name, claims in CLAIMS_BY_SOURCE.items():
        if claims["team"] in teams:
            items.append((f"com.x/only-{name}", "1.0.0"))
    winner = next(
        (rank for rank, claims in enumerate(CLAIMS_BY_SOURCE.values()) if claims["team"] in teams),
        None,
    )
    if winner is not None:
        items += [("com.x/shared", f"{winner + 1}.0.0"), ("com.x/shared", f"{winner + 1}.1.0")]
    return sorted(items)


async def test_three_source_shadowing_promotes_the_next_visible_source(
    harness: AuthzServer, aiohttp_client: AiohttpClient
) -> None:
    await shadowing_server(harness, aiohttp_client)
    for size in range(len(CLAIMS_BY_SOURCE) + 1):
        for teams in itertools.combinations(["a", "b", "c"], size):
            token = harness.token("outsider", org="acme", team=list(teams))
            headers = {"Authorization": f"Bearer {token}"}
            assert harness.client is not None
            response = await harness.client.get("/registry/stack/v0.1/servers", headers=headers)
            body: Any = await response.json()
            got = [(i["server"]["name"], i["server"]["version"]) for i in body["servers"]]
            assert got == expected_view(set(teams)), teams
            versions = await harness.client.get(
                "/registry/stack/v0.1/servers/com.x%2Fshared/versions", headers=headers
            )
            latest = await harness.client.get(
                "/registry/stack/v0.1/servers/com.x%2Fshared/versions/latest", headers=headers
            )
            shared = [v for n, v in expected_view(set(teams)) if n == "com.x/shared"]
            if shared:
                listed = [i["server"]["version"] for i in (await versions.json())["servers"]]
                assert listed == shared
                assert (await latest.json())["server"]["version"] == shared[-1]
            else:
                assert (versions.status, latest.status) == (404, 404)
    # superAdmin bypasses the filter: the plain priority dedup
    assert await harness.names("stack", "super") == [
        ("com.x/only-high", "1.0.0"),
        ("com.x/only-low", "1.0.0"),
        ("com.x/only-mid", "1.0.0"),
        ("com.x/shared", "1.0.0"),
        ("com.x/shared", "1.1.0"),
    ]


async def test_equivalent_callers_share_one_cached_view(
    harness: AuthzServer, aiohttp_client: AiohttpClient
) -> None:
    await shadowing_server(harness, aiohttp_client)
    assert harness.client is not None
    etags = set()
    for sub in ("u1", "u2"):
        token = harness.token("outsider", org="acme", team="b", sub=sub)
        response = await harness.client.get(
            "/registry/stack/v0.1/servers", headers={"Authorization": f"Bearer {token}"}
        )
        etags.add(response.headers["ETag"])
    assert len(etags) == 1
    token = harness.token("outsider", org="acme", team="c")
    response = await harness.client.get(
        "/registry/stack/v0.1/servers", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.headers["ETag"] not in etags


async def test_without_authz_every_caller_sees_everything(
    harness: AuthzServer, aiohttp_client: AiohttpClient
) -> None:
    """Authentication only: all roles for everyone, no gates (unclaimed objects included)."""
    path = harness.write_source("tagged", [server("io.acme/deploy")])
    harness.build_config(
        sources=[file_source("tagged", path, claims={"org": "acme"})],
        registries=[
            {"name": "r", "sources": ["tagged"], "claims": {"org": "acme"}},
            {"name": "open", "sources": ["tagged"]},
        ],
        authz=False,
    )
    await harness.start(aiohttp_client)
    await harness.sync("tagged", persona="outsider")
    assert await harness.names("r", "outsider") == [("io.acme/deploy", "1.0.0")]
    assert await harness.names("open", "outsider") == [("io.acme/deploy", "1.0.0")]
    status, me = await harness.call("GET", "/v1/me", "outsider")
    assert (status, me["subject"]) == (200, "outsider-1")
    assert me["roles"] == ["superAdmin", "manageSources", "manageRegistries", "manageEntries"]
