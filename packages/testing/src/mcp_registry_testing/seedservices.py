"""Loopback stand-ins for what the seed manifests name: git hosts, an upstream, https OIDC
issuers, and a TLS PostgreSQL with the roles and database each `databaseConfig` asks for."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import AsyncIterator, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

from mcp_registry_testing.gitrepos import GitHttpServer, GitRepo
from mcp_registry_testing.loopback import serve
from mcp_registry_testing.oidc import OidcIssuer
from mcp_registry_testing.postgres import PgCluster
from mcp_registry_testing.seedlocal import Issuer, LocalServices
from mcp_registry_testing.tls import TestCertificates, make_certificates
from mcp_registry_testing.upstreams import FaultyUpstream

LEGACY_PATH = "pkg/catalog/toolhive/data/registry-legacy.json"
GIT_REPOS = {
    # seed repository URL -> (path inside the repo, private?)
    "https://github.com/stacklok/toolhive-catalog.git": (LEGACY_PATH, False),
    "https://github.com/my-org/private-registry.git": ("registry.json", True),
    "https://github.com/acme/platform-tools.git": ("registry.json", False),
}
UPSTREAM_FILE = "https://example.com/registry.json"
UPSTREAM_API = "https://registry.example.com"
UPSTREAM_HELD_FILE = "https://example.com/held/registry.json"
"""Answered only once the upstream's `held` is set (a slow first sync)."""
ISSUERS = {
    "https://kubernetes.default.svc.cluster.local": "registry-server",
    "https://YOUR_DOMAIN.okta.com/oauth2/default": "registry",
    "https://keycloak.example.com/realms/mcp": "registry-api",
}
"""Seed issuerUrl -> the audience its provider expects."""
PRIVATE_GIT = ("git-credentials", "token", "oauth2")
"""The private-repo seed's Secret name and key, and its username."""
_HBA = """\
local   all all scram-sha-256
hostssl all all 127.0.0.1/32 scram-sha-256
"""


@dataclass(frozen=True)
class Samples:
    """The fictional registry in both formats and the two API pages."""

    legacy: bytes
    upstream: bytes
    pages: Mapping[str | None, Mapping[str, Any]]


@dataclass
class SeedServices:
    """Everything started; `local()` says how seed values map onto it."""

    urls: dict[str, str] = field(default_factory=dict)
    issuers: dict[str, OidcIssuer] = field(default_factory=dict)
    secret_values: dict[tuple[str, str], str] = field(default_factory=dict)
    git_hosts: dict[str, GitHttpServer] = field(default_factory=dict)
    upstream: FaultyUpstream | None = None
    postgres: PgCluster | None = None
    certificates: TestCertificates | None = None

    def local(self) -> LocalServices:
        return LocalServices(
            urls=self.urls,
            issuers={k: Issuer(url=v.url, jwks_url=v.jwks_url) for k, v in self.issuers.items()},
            secret_values=self.secret_values,
        )


async def _serve(stack: contextlib.AsyncExitStack, app: web.Application) -> str:
    served = await serve(app)
    stack.push_async_callback(served.runner.cleanup)
    return served.url


def _git_repo(directory: Path, *, path: str, content: bytes) -> GitRepo:
    repo = GitRepo.init(directory)
    repo.commit({path: content}, message="registry data")
    repo.branch("main")
    return repo


async def _git_hosts(
    stack: contextlib.AsyncExitStack, services: SeedServices, *, workdir: Path, legacy: bytes
) -> None:
    for index, (seed_url, (path, private)) in enumerate(GIT_REPOS.items()):
        mount = "/" + seed_url.removeprefix("https://github.com/")
        repo = await asyncio.to_thread(
            _git_repo, workdir / "git" / str(index), path=path, content=legacy
        )
        host = GitHttpServer(mount=mount)
        if private:
            token = "tok-" + secrets.token_urlsafe(18)
            host.credentials = (PRIVATE_GIT[2], token)
            services.secret_values[PRIVATE_GIT[:2]] = token
        services.urls[seed_url] = await _serve(stack, host.app(repo)) + mount
        services.git_hosts[seed_url] = host


def _database_configs(docs: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    return [
        doc["spec"]["databaseConfig"]
        for doc in docs
        if doc.get("kind") == "MCPRegistry" and (doc.get("spec") or {}).get("databaseConfig")
    ]


def _start_postgres(
    databases: list[Mapping[str, Any]], *, certificates: TestCertificates
) -> tuple[PgCluster, dict[tuple[str, str], str]]:
    """A TLS cluster with each config's roles (random passwords) and database."""
    cluster = PgCluster.create()
    try:
        cluster.enable_tls(cert=certificates.server_cert, key=certificates.server_key, hba=_HBA)
        cluster.start()
        values: dict[tuple[str, str], str] = {}
        passwords: dict[str, str] = {}
        for db in databases:
            migrator = db.get("migrationUser") or db["user"]
            refs = (
                (db["user"], db.get("dbAppUserPasswordSecretRef")),
                (migrator, db.get("dbMigrationUserPasswordSecretRef")),
            )
            for role, ref in refs:
                if role not in passwords:
                    passwords[role] = "pw-" + secrets.token_urlsafe(18) + ":\\x"  # escaping
                    literal = passwords[role].replace("'", "''")
                    cluster.psql(f"CREATE ROLE \"{role}\" LOGIN PASSWORD '{literal}'")
                if ref:
                    values[(ref["name"], ref["key"])] = passwords[role]
            cluster.create_database(db["database"], owner=migrator)
    except BaseException:
        cluster.destroy()
        raise
    return cluster, values


@contextlib.asynccontextmanager
async def seed_services(
    *, workdir: Path, samples: Samples, seed_docs: Iterable[Mapping[str, Any]]
) -> AsyncIterator[SeedServices]:
    """Start every stand-in the seeds need; stop all of them on exit (also on failure)."""
    services = SeedServices()
    docs = list(seed_docs)
    async with contextlib.AsyncExitStack() as stack:
        services.certificates = make_certificates(_mkdir(workdir / "tls"))
        await _git_hosts(stack, services, workdir=workdir, legacy=samples.legacy)
        upstream = FaultyUpstream(samples.upstream, pages=samples.pages)
        stack.callback(upstream.release.set)
        stack.callback(upstream.held.set)
        base = await _serve(stack, upstream.app())
        services.upstream = upstream
        services.urls[UPSTREAM_FILE] = f"{base}/registry.json"
        services.urls[UPSTREAM_API] = base
        services.urls[UPSTREAM_HELD_FILE] = f"{base}/held/registry.json"
        # https with the cluster CA: servers trust it as they would an in-cluster issuer.
        tls = services.certificates.server_context()
        for seed_issuer, audience in ISSUERS.items():
            issuer = OidcIssuer(audience=audience)
            await issuer.start(tls=tls)
            stack.push_async_callback(issuer.stop)
            services.issuers[seed_issuer] = issuer
        databases = _database_configs(docs)
        if databases:
            cluster, values = await asyncio.to_thread(
                _start_postgres, databases, certificates=services.certificates
            )
            stack.push_async_callback(asyncio.to_thread, cluster.destroy)
            services.postgres = cluster
            services.secret_values.update(values)
        yield services


def _mkdir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path
