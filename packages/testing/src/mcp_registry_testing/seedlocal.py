"""Seed manifests pointed at the local e2e tier's services, with a record of every change.

Only what must reach a local stand-in changes: git repository URLs, `url`/`api` endpoints,
OAuth issuer (and JWKS) URLs with `allowPrivateIP: true` (the issuers listen on loopback),
and Secret values the local services define (the private repo's token, the database
passwords). Everything else, namespaces and database host included, is applied as written.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

Doc = dict[str, Any]


class LocalisationError(LookupError):
    """A seed names an external service the local tier has no stand-in for."""


@dataclass(frozen=True)
class Issuer:
    """A local OIDC issuer standing in for a seed's issuerUrl."""

    url: str
    jwks_url: str


@dataclass(frozen=True)
class LocalServices:
    """Seed value -> local value, per kind of reference."""

    urls: Mapping[str, str] = field(default_factory=dict)
    """Repository URLs and url/api endpoints, exactly as the seeds write them."""
    issuers: Mapping[str, Issuer] = field(default_factory=dict)
    """By the seed's issuerUrl."""
    secret_values: Mapping[tuple[str, str], str] = field(default_factory=dict)
    """(Secret name, key) -> the value the local service expects."""


@dataclass(frozen=True)
class SeedRewrite:
    """One changed value: which object, which field, from what, to what."""

    obj: str
    path: str
    old: str
    new: str

    def __str__(self) -> str:
        return f"{self.obj} {self.path}: {self.old} -> {self.new}"


def _url(services: LocalServices, url: str, *, where: str) -> str:
    try:
        return services.urls[url]
    except KeyError:
        raise LocalisationError(f"{where}: no local stand-in for {url}") from None


def _registry(doc: Doc, services: LocalServices, out: list[SeedRewrite]) -> None:
    obj = f"MCPRegistry/{doc['metadata']['name']}"
    spec = doc.get("spec") or {}
    for i, source in enumerate(spec.get("sources") or []):
        for kind, key in (("git", "repository"), ("url", "endpoint"), ("api", "endpoint")):
            block = source.get(kind)
            if block is None:
                continue
            path = f"spec.sources[{i}].{kind}.{key}"
            new = _url(services, block[key], where=f"{obj} {path}")
            out.append(SeedRewrite(obj, path, block[key], new))
            block[key] = new
    oauth = (spec.get("authConfig") or {}).get("oauth") or {}
    for j, provider in enumerate(oauth.get("providers") or []):
        path = f"spec.authConfig.oauth.providers[{j}]"
        issuer = services.issuers.get(provider["issuerUrl"])
        if issuer is None:
            raise LocalisationError(f"{obj} {path}: no local issuer for {provider['issuerUrl']}")
        out.append(SeedRewrite(obj, f"{path}.issuerUrl", provider["issuerUrl"], issuer.url))
        provider["issuerUrl"] = issuer.url
        if "jwksUrl" in provider:
            out.append(SeedRewrite(obj, f"{path}.jwksUrl", provider["jwksUrl"], issuer.jwks_url))
            provider["jwksUrl"] = issuer.jwks_url
        if provider.get("allowPrivateIP") is not True:
            old = str(provider.get("allowPrivateIP", "(absent)"))
            out.append(SeedRewrite(obj, f"{path}.allowPrivateIP", old, "true"))
            provider["allowPrivateIP"] = True


def _secret(doc: Doc, services: LocalServices, out: list[SeedRewrite]) -> None:
    name = doc["metadata"]["name"]
    values = doc.get("stringData") or {}
    for key in sorted(values):
        new = services.secret_values.get((name, key))
        if new is not None and new != values[key]:
            out.append(
                SeedRewrite(f"Secret/{name}", f"stringData.{key}", "(seed value)", "(local)")
            )
            values[key] = new


def localise(docs: Iterable[Doc], services: LocalServices) -> tuple[list[Doc], list[SeedRewrite]]:
    """Copies of `docs` pointed at local services, and the list of what changed."""
    out: list[Doc] = []
    rewrites: list[SeedRewrite] = []
    for original in docs:
        doc = copy.deepcopy(original)
        if doc.get("kind") == "MCPRegistry":
            _registry(doc, services, rewrites)
        elif doc.get("kind") == "Secret":
            _secret(doc, services, rewrites)
        out.append(doc)
    return out, rewrites
