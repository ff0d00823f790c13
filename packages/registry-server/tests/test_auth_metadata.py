"""RFC 9728 document and the WWW-Authenticate challenge format."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp import web
from mcp_registry_common.config import OAuthConfig
from mcp_registry_server.auth.metadata import (
    RESOURCE_METADATA_PATH,
    metadata_handler,
    protected_resource_metadata,
    www_authenticate,
)
from pytest_aiohttp import AiohttpClient


def oauth(**extra: Any) -> OAuthConfig:
    return OAuthConfig.model_validate(
        {
            "providers": [
                {"name": "k8s", "issuerUrl": "https://kubernetes.default.svc", "audience": "r"},
                {
                    "name": "okta",
                    "issuerUrl": "https://acme.okta.com/oauth2/default",
                    "audience": "r",
                },
            ],
            **extra,
        }
    )


def test_document_lists_issuers_in_config_order_and_omits_scopes_by_default() -> None:
    assert protected_resource_metadata(oauth(resourceUrl="https://registry.acme.com")) == {
        "resource": "https://registry.acme.com",
        "authorization_servers": [
            "https://kubernetes.default.svc",
            "https://acme.okta.com/oauth2/default",
        ],
        "bearer_methods_supported": ["header"],
    }


def test_document_without_resource_url_has_empty_resource() -> None:
    assert protected_resource_metadata(oauth())["resource"] == ""


def test_document_carries_configured_scopes() -> None:
    document = protected_resource_metadata(
        oauth(scopesSupported=["mcp-registry:read", "mcp-registry:write"])
    )
    assert document["scopes_supported"] == ["mcp-registry:read", "mcp-registry:write"]


async def test_metadata_handler_serves_json(aiohttp_client: AiohttpClient) -> None:
    app = web.Application()
    app.router.add_get(RESOURCE_METADATA_PATH, metadata_handler(oauth(resourceUrl="https://r")))
    client = await aiohttp_client(app)
    response = await client.get("/.well-known/oauth-protected-resource")
    assert response.status == 200
    assert response.content_type == "application/json"
    assert (await response.json())["resource"] == "https://r"


@pytest.mark.parametrize(
    ("kwargs", "header"),
    [
        (
            {
                "realm": "mcp-registry",
                "error": "invalid_token",
                "description": "token validation failed",
            },
            'Bearer realm="mcp-registry", error="invalid_token", '
            'error_description="token validation failed"',
        ),
        (
            {
                "realm": "mcp-registry",
                "error": "invalid_request",
                "description": "missing or malformed authorization header",
                "resource_url": "https://registry.acme.com/",
            },
            'Bearer realm="mcp-registry", error="invalid_request", '
            'error_description="missing or malformed authorization header", '
            'resource_metadata="https://registry.acme.com/.well-known/oauth-protected-resource"',
        ),
        (
            {
                "realm": 'my "realm"\r\nX-Injected: 1',
                "error": "invalid_token",
                "description": "a\\b",
            },
            'Bearer realm="my \\"realm\\"X-Injected: 1", error="invalid_token", '
            'error_description="a\\\\b"',
        ),
        (
            {"realm": "", "error": "invalid_token", "description": "x"},
            'Bearer realm="mcp-registry", error="invalid_token", error_description="x"',
        ),
    ],
)
def test_www_authenticate(kwargs: dict[str, str], header: str) -> None:
    assert www_authenticate(**kwargs) == header
