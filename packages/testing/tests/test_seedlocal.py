"""Seed localisation: only URLs, issuers and Secret values change, each change recorded; the
report renders one row per manifest."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from mcp_registry_testing.seedlocal import Issuer, LocalisationError, LocalServices, localise
from mcp_registry_testing.seedreport import SeedOutcome, SeedReport

REPO = Path(__file__).resolve().parents[3]
SEEDS = REPO / "examples"
SERVICES = LocalServices(
    urls={
        "https://github.com/my-org/private-registry.git": "http://127.0.0.1:1/my-org/p.git",
        "https://github.com/stacklok/toolhive-catalog.git": "http://127.0.0.1:1/stacklok/c.git",
    },
    issuers={
        "https://kubernetes.default.svc.cluster.local": Issuer("https://127.0.0.1:2", "https://127.0.0.1:2/jwks"),
        "https://YOUR_DOMAIN.okta.com/oauth2/default": Issuer("https://127.0.0.1:3", "https://127.0.0.1:3/jwks"),
    },
    secret_values={("git-credentials", "token"): "local-token"},
)  # fmt: skip


def seed(name: str) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all((SEEDS / name).read_text()) if d]


def test_private_git_seed_gets_a_local_repository_and_token() -> None:
    original = seed("03-private-git.yaml")
    docs, rewrites = localise(original, SERVICES)
    secret, registry = docs
    assert secret["stringData"] == {"token": "local-token"}
    git = registry["spec"]["sources"][0]["git"]
    assert git["repository"] == "http://127.0.0.1:1/my-org/p.git"
    assert git["auth"] == original[1]["spec"]["sources"][0]["git"]["auth"]
    assert [str(r) for r in rewrites] == [
        "Secret/git-credentials stringData.token: (seed value) -> (local)",
        "MCPRegistry/private-registry spec.sources[0].git.repository: "
        "https://github.com/my-org/private-registry.git -> http://127.0.0.1:1/my-org/p.git",
    ]
    assert original[0]["stringData"]["token"] == "<YOUR_GITHUB_TOKEN>"  # input untouched


def test_oauth_providers_point_at_local_issuers_on_private_addresses() -> None:
    docs, rewrites = localise(seed("10-oauth-multiple-providers.yaml"), SERVICES)
    kubernetes, okta = docs[0]["spec"]["authConfig"]["oauth"]["providers"]
    assert (kubernetes["issuerUrl"], kubernetes["jwksUrl"]) == (
        "https://127.0.0.1:2",
        "https://127.0.0.1:2/jwks",
    )
    assert kubernetes["caCertPath"] == "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt"
    assert (okta["issuerUrl"], okta["allowPrivateIP"], "jwksUrl" in okta) == (
        "https://127.0.0.1:3",
        True,
        False,
    )
    assert len(rewrites) == 5  # repository, 2 x issuer, jwks, allowPrivateIP


def test_database_seed_keeps_its_in_cluster_host() -> None:
    docs, _ = localise(seed("08-database.yaml"), SERVICES)
    assert docs[1]["spec"]["databaseConfig"]["host"] == "postgres.database.svc.cluster.local"


def test_an_external_service_without_a_stand_in_is_an_error() -> None:
    with pytest.raises(LocalisationError, match=r"spec\.sources\[0\]\.url\.endpoint: no local"):
        localise(seed("05-url.yaml"), SERVICES)


def test_report_table_has_a_row_per_manifest_in_order() -> None:
    report = SeedReport()
    report.add(SeedOutcome("02-git.yaml", "ns/b", "Ready", "True/Ready", 9, 4.25, ("Ready",)))
    report.add(SeedOutcome("01-a|b.yaml", "ns/a", "Pending", "False/NotReady", None, None))
    text = report.render()
    rows = [line for line in text.splitlines() if line.startswith("| 0")]
    assert rows == [
        "| 01-a\\|b.yaml | ns/a | Pending | False/NotReady | — | — | — | — |",
        "| 02-git.yaml | ns/b | Ready | True/Ready | 9 | 4.2 | Ready | — |",
    ]
