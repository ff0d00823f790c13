"""ToolHive's public-path test: built-ins, user prefixes, and encoded-separator tricks."""

from __future__ import annotations

import pytest
from mcp_registry_server.auth.public_paths import clean_path, is_public_path


@pytest.mark.parametrize(
    ("path", "cleaned"),
    [
        ("/", "/"),
        ("", "/"),
        ("//a//b/", "/a/b"),
        ("/a/./b/../c", "/a/c"),
        ("/../../etc", "/etc"),
    ],
)
def test_clean_path_matches_go_path_clean(path: str, cleaned: str) -> None:
    assert clean_path(path) == cleaned


@pytest.mark.parametrize(
    ("raw", "decoded", "extra", "public"),
    [
        ("/openapi.json", "/openapi.json", (), True),
        ("/openapi.yaml", "/openapi.yaml", (), True),
        (
            "/.well-known/oauth-protected-resource",
            "/.well-known/oauth-protected-resource",
            (),
            True,
        ),
        ("/.well-known", "/.well-known", (), True),
        ("/.well-knownx", "/.well-knownx", (), False),
        ("/openapi.json/x", "/openapi.json/x", (), True),
        ("/v1/sources", "/v1/sources", (), False),
        ("/registry/default/v0.1/servers", "/registry/default/v0.1/servers", (), False),
        ("/.well-known/../v1/sources", "/.well-known/../v1/sources", (), False),
        ("/.well-known%2f..%2fv1", "/.well-known/../v1", (), False),
        ("/.well-known/%2E%2E/v1", "/.well-known/../v1", (), False),
        ("/public/docs", "/public/docs", ("/public",), True),
        ("/public", "/public", ("/public/",), True),
        ("/publicity", "/publicity", ("/public",), False),
        ("/anything/at/all", "/anything/at/all", ("/",), True),
        ("//public//docs", "//public//docs", ("/public",), True),
    ],
)
def test_public_paths(raw: str, decoded: str, extra: tuple[str, ...], public: bool) -> None:
    assert is_public_path(raw, decoded, extra) is public
