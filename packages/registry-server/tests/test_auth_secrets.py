"""No token, client secret or service-account token in logs, audit events or error bodies."""

from __future__ import annotations

import io
import logging
from pathlib import Path

import aiohttp
import pytest
import structlog
from aiohttp import web
from mcp_registry_common.config import OAuthProvider
from mcp_registry_server.auth.audit import AuditLog, audit_middleware
from mcp_registry_server.auth.authenticator import Authenticator
from mcp_registry_server.auth.errors import AuthConfigError
from mcp_registry_server.auth.middleware import auth_middleware
from mcp_registry_server.auth.provider import prepare_provider
from mcp_registry_testing.oidc import OidcIssuer, generate_key
from pytest_aiohttp import AiohttpClient

SA_TOKEN = "sa-token-value-7f3a9c"


async def servers(request: web.Request) -> web.Response:
    return web.json_response({"servers": ["secret-entry"]})


async def create(request: web.Request) -> web.Response:
    return web.json_response({}, status=201)


def provider(idp: OidcIssuer, tmp_path: Path, name: str, secret: str) -> OAuthProvider:
    secret_file = tmp_path / f"{name}-secret"
    secret_file.write_text(secret + "\n")
    token_file = tmp_path / f"{name}-sa-token"
    token_file.write_text(SA_TOKEN)
    return OAuthProvider.model_validate(
        idp.provider_config(
            name,
            discovery=True,
            clientId=idp.client_id,
            clientSecretFile=str(secret_file),
            introspectionUrl=idp.introspection_url,
            authTokenFile=str(token_file),
        )
    )


async def test_nothing_secret_leaks(
    idp: OidcIssuer,
    tmp_path: Path,
    aiohttp_client: AiohttpClient,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG)
    audit_stream = io.StringIO()
    wrong_secret = "wrong-client-secret-55aa"
    async with aiohttp.ClientSession() as http:
        good = Authenticator([provider(idp, tmp_path, "good", idp.client_secret)], http=http)
        bad = Authenticator([provider(idp, tmp_path, "bad", wrong_secret)], http=http)
        clients = []
        for authenticator in (good, bad):
            app = web.Application(
                middlewares=[
                    audit_middleware(AuditLog(audit_stream)),
                    auth_middleware(authenticator),
                ]
            )
            app.router.add_get("/registry/default/v0.1/servers", servers)
            app.router.add_post("/v1/entries", create)
            clients.append(await aiohttp_client(app))

        valid = idp.mint(idp.claims(sub="alice"))
        tokens = {
            "valid": valid,
            "expired": idp.mint(idp.claims(now=0, ttl=1)),
            "unknown kid": idp.mint(idp.claims(), key=generate_key()),
            "tampered": valid[:-6] + "AAAAAA",
            "opaque active": idp.issue_opaque(idp.claims(sub="svc")),
            "opaque inactive": "opaque-never-issued-12345",
            "garbage": "%%%not-a-token%%%",
        }
        bodies: list[str] = []
        with structlog.testing.capture_logs() as structured:
            for client in clients:
                for token in tokens.values():
                    for method, path in (
                        ("GET", "/registry/default/v0.1/servers"),
                        ("POST", "/v1/entries"),
                    ):
                        response = await client.request(
                            method, path, headers={"Authorization": f"Bearer {token}"}
                        )
                        bodies.append(await response.text())
                        bodies.append(str(dict(response.headers)))
    assert idp.counters.last_discovery_authorization == f"Bearer {SA_TOKEN}"
    assert idp.counters.introspection > 0
    assert any("secret-entry" in body for body in bodies)  # the valid requests got through

    printed = capsys.readouterr()
    haystack = "\n".join(
        [
            repr(structured),
            caplog.text,
            printed.out,
            printed.err,
            audit_stream.getvalue(),
            *[b for b in bodies if "secret-entry" not in b],
            repr(good),
            repr(prepare_provider(provider(idp, tmp_path, "repr", idp.client_secret))),
        ]
    )
    assert structured, "expected the auth layer to log something"
    for name, token in tokens.items():
        assert token not in haystack, f"{name} token leaked"
    for secret in (idp.client_secret, wrong_secret, SA_TOKEN):
        assert secret not in haystack


def test_unreadable_client_secret_file_fails_startup_naming_the_file(tmp_path: Path) -> None:
    config = OAuthProvider.model_validate(
        {
            "name": "corp",
            "issuerUrl": "https://idp.example",
            "audience": "r",
            "clientId": "registry",
            "clientSecretFile": str(tmp_path / "missing"),
            "introspectionUrl": "https://idp.example/introspect",
        }
    )
    with pytest.raises(AuthConfigError, match=r"providers\[corp\]\.clientSecretFile .*missing"):
        prepare_provider(config)


def test_bad_ca_file_fails_startup_naming_it(tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_text("not a certificate")
    config = OAuthProvider.model_validate(
        {"name": "corp", "issuerUrl": "https://idp.example", "audience": "r", "caCertPath": str(ca)}
    )
    with pytest.raises(AuthConfigError, match="caCertPath"):
        prepare_provider(config)
