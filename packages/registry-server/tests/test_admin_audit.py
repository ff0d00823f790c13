"""The admin API's audit events (ToolHive's names, request data redacted and truncated) and a
scan of everything the server wrote or answered for tokens, client secrets and passwords."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import structlog
from mcp_registry_testing.authz import SEED_ROLES, AuthzServer, file_source, server
from mcp_registry_testing.oidc import OidcIssuer
from pytest_aiohttp import AiohttpClient

PLATFORM = {"org": "acme", "team": "platform"}
SA_TOKEN = "sa-token-4e1f0b7c"
GIT_PASSWORD = "git-password-9d2c5a"
ENV_SECRET = "env-secret-value-77aa"


@pytest.fixture
async def issuer() -> AsyncIterator[OidcIssuer]:
    async with OidcIssuer() as idp:
        yield idp


async def audited_server(
    issuer: OidcIssuer, tmp_path: Path, aiohttp_client: AiohttpClient, *, max_size: int
) -> AuthzServer:
    secret_file, token_file = tmp_path / "client-secret", tmp_path / "sa-token"
    secret_file.write_text(issuer.client_secret + "\n")
    token_file.write_text(SA_TOKEN)
    harness = AuthzServer(issuer=issuer, directory=tmp_path)
    path = harness.write_source("platform-tools", [server("io.acme/deploy")])
    provider = issuer.provider_config(
        "keycloak",
        discovery=True,
        clientId=issuer.client_id,
        clientSecretFile=str(secret_file),
        introspectionUrl=issuer.introspection_url,
        authTokenFile=str(token_file),
    )
    harness.build_config(
        sources=[
            file_source("platform-tools", path, claims=PLATFORM),
            {"name": "published", "managed": {}, "claims": {"org": "acme"}},
        ],
        registries=[
            {"name": "platform", "sources": ["platform-tools", "published"], "claims": PLATFORM}
        ],
        roles=SEED_ROLES,
        audit={
            "enabled": True,
            "logFile": str(tmp_path / "audit.log"),
            "includeRequestData": True,
            "maxDataSize": max_size,
        },
        provider=provider,
    )
    await harness.start(aiohttp_client)
    return harness


def audit_events(tmp_path: Path) -> list[dict[str, Any]]:
    lines = (tmp_path / "audit.log").read_text().splitlines()
    return [json.loads(line) for line in lines]


async def test_events_are_named_and_request_data_is_redacted(
    issuer: OidcIssuer, tmp_path: Path, aiohttp_client: AiohttpClient
) -> None:
    harness = await audited_server(issuer, tmp_path, aiohttp_client, max_size=4096)
    password_file = tmp_path / "git-password"
    password_file.write_text(GIT_PASSWORD)
    git = {
        "git": {
            "repository": "https://127.0.0.1:9/acme/tools.git",
            "auth": {"username": "bot", "passwordFile": str(password_file)},
        },
        "syncPolicy": {"interval": "1h"},
        "claims": PLATFORM,
    }
    assert (await harness.call("PUT", "/v1/sources/git-tools", "acme-admin", body=git))[0] == 201
    assert (await harness.call("PUT", "/v1/sources/git-tools", "acme-admin", body=git))[0] == 200
    secret_env = {"name": "API_KEY", "isSecret": True, "value": ENV_SECRET}
    package = {
        "registryType": "oci",
        "identifier": "ghcr.io/acme/tool:1",
        "transport": {"type": "stdio"},
        "environmentVariables": [secret_env],
    }
    body = {"claims": PLATFORM, "server": server("io.acme/tool", packages=[package])}
    assert (await harness.call("POST", "/v1/entries", "acme-writer", body=body))[0] == 201
    assert (await harness.call("GET", "/registry/platform/v0.1/servers", "outsider"))[0] == 403
    assert (await harness.call("GET", "/v1/sources", "acme-writer"))[0] == 403
    assert (await harness.call("DELETE", "/v1/sources/git-tools", "acme-admin"))[0] == 204
    assert harness.client is not None
    await harness.client.close()

    events = audit_events(tmp_path)
    assert [(e["type"], e["outcome"]) for e in events] == [
        ("source.create", "success"),
        ("source.update", "success"),
        ("entry.publish", "success"),
        ("server.list", "denied"),
        ("source.list", "denied"),
        ("source.delete", "success"),
    ]
    created = events[0]["data"]
    assert created["truncated"] is False
    assert created["value"]["git"]["auth"] == {"username": "bot", "passwordFile": "REDACTED"}
    published = events[2]["data"]["value"]
    env = published["server"]["packages"][0]["environmentVariables"][0]
    assert env == {"name": "API_KEY", "isSecret": True, "value": "REDACTED"}
    assert "data" not in events[3]  # reads carry no body
    assert events[0]["subjects"]["sub"] == "acme-admin-1"


async def test_request_data_is_cut_to_max_data_size(
    issuer: OidcIssuer, tmp_path: Path, aiohttp_client: AiohttpClient
) -> None:
    harness = await audited_server(issuer, tmp_path, aiohttp_client, max_size=64)
    body = {"claims": PLATFORM, "server": server("io.acme/long", description="x" * 500)}
    assert (await harness.call("POST", "/v1/entries", "acme-writer", body=body))[0] == 201
    assert harness.client is not None
    await harness.client.close()
    [event] = audit_events(tmp_path)
    assert event["data"]["truncated"] is True
    assert isinstance(event["data"]["value"], str)
    assert len(event["data"]["value"].encode()) <= 64


async def test_no_secret_in_logs_errors_or_admin_responses(
    issuer: OidcIssuer,
    tmp_path: Path,
    aiohttp_client: AiohttpClient,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG)
    harness = await audited_server(issuer, tmp_path, aiohttp_client, max_size=1 << 20)
    assert harness.client is not None
    password_file = tmp_path / "git-password"
    password_file.write_text(GIT_PASSWORD)
    opaque = issuer.issue_opaque(issuer.claims(sub="svc", org="acme", role="admin"))
    tokens = {
        persona: harness.token(persona)
        for persona in ("acme-admin", "acme-writer", "super", "outsider")
    }
    tokens["opaque"] = opaque
    tokens["tampered"] = tokens["acme-admin"][:-6] + "AAAAAA"
    bodies: list[str] = []
    git = {
        "git": {
            "repository": "https://127.0.0.1:9/acme/tools.git",
            "auth": {"username": "bot", "passwordFile": str(password_file)},
        },
        "syncPolicy": {"interval": "1h"},
        "claims": {"org": "acme"},
    }
    requests: list[tuple[str, str, Any]] = [
        ("PUT", "/v1/sources/git-tools", git),
        ("POST", "/v1/sources/git-tools/sync", None),
        ("GET", "/v1/sources", None),
        ("GET", "/v1/sources/git-tools", None),
        ("GET", "/v1/sources/git-tools/entries", None),
        ("GET", "/v1/me", None),
        ("GET", "/v1/registries", None),
        ("POST", "/v1/entries", {"claims": {"org": "acme"}, "server": server("io.acme/x")}),
        ("POST", "/v1/entries", {"server": {"name": "bad"}}),
        ("PUT", "/v1/sources/Bad_Name", {"managed": {}}),
        ("GET", "/registry/platform/v0.1/servers", None),
    ]
    with structlog.testing.capture_logs() as structured:
        for token in tokens.values():
            for method, path, body in requests:
                response = await harness.client.request(
                    method, path, json=body, headers={"Authorization": f"Bearer {token}"}
                )
                bodies.append(await response.text())
                bodies.append(str(dict(response.headers)))
    await harness.client.close()
    assert issuer.counters.introspection > 0, "the opaque token went through introspection"
    assert issuer.counters.last_discovery_authorization == f"Bearer {SA_TOKEN}"
    assert any('"syncStatus"' in body and "failed" in body for body in bodies)

    printed = capsys.readouterr()
    haystack = "\n".join(
        [
            repr(structured),
            caplog.text,
            printed.out,
            printed.err,
            (tmp_path / "audit.log").read_text(),
            *bodies,
        ]
    )
    for name, token in tokens.items():
        assert token not in haystack, f"{name} token leaked"
    for secret in (issuer.client_secret, SA_TOKEN, GIT_PASSWORD):
        assert secret not in haystack
