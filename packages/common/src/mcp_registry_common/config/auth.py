"""`auth:` of the server config: anonymous or OAuth mode, token providers and role rules."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BeforeValidator, Field, ValidationInfo, field_validator, model_validator

from mcp_registry_common.claims import Role
from mcp_registry_common.config.base import ConfigModel
from mcp_registry_common.config.claimvalues import ConfigClaims
from mcp_registry_common.config.urls import absolute_path_problem, http_url_problem, is_loopback_url
from mcp_registry_common.errorpaths import FieldPathError, Loc

AuthMode = Literal["anonymous", "oauth"]

ALLOW_INSECURE_URLS = "allow_insecure_urls"
"""Validation-context key: True accepts http issuer URLs (THV_REGISTRY_INSECURE_URL=true)."""

NonEmpty = Annotated[str, Field(min_length=1)]


def _check_mode(value: object) -> object:
    if value not in ("anonymous", "oauth"):
        raise ValueError(f"invalid auth.mode: {value} (must be 'anonymous' or 'oauth')")
    return value


def _url_field(key: str, url: str | None) -> str | None:
    problem = None if url is None else http_url_problem(url)
    if problem:
        raise ValueError(f"{key} {problem}")
    return url


class OAuthProvider(ConfigModel):
    """One token issuer. A JWT is checked by the providers whose issuer is its `iss` (in
    order; the first that validates it wins); an opaque token by at most one provider (see
    `introspectOpaqueTokens`)."""

    name: NonEmpty = Field(description="Unique among providers; used in logs and metrics.")
    issuer_url: NonEmpty = Field(
        description="Must equal the token's `iss`. https unless the host is loopback or the "
        "server runs with THV_REGISTRY_INSECURE_URL=true."
    )
    jwks_url: NonEmpty | None = Field(default=None, description="Skips OIDC discovery if set.")
    audience: NonEmpty = Field(description="Must appear in the token's `aud`.")
    client_id: NonEmpty | None = Field(default=None, description="For token introspection.")
    client_secret_file: NonEmpty | None = Field(
        default=None, description="Absolute path of a file holding the client secret."
    )
    ca_cert_path: NonEmpty | None = Field(
        default=None, description="Extra CA bundle for discovery, JWKS and introspection."
    )
    auth_token_file: NonEmpty | None = Field(
        default=None, description="Bearer token presented to discovery and JWKS endpoints."
    )
    introspection_url: NonEmpty | None = Field(
        default=None, description="RFC 7662 endpoint for opaque (non-JWT) tokens."
    )
    introspect_opaque_tokens: bool | None = Field(
        default=None,
        description="Ours: send opaque (non-JWT) bearer tokens to this provider's "
        "introspectionUrl. An opaque token names no issuer, so it goes to at most one "
        "provider: the one that sets this to true (at most one may), or, when unset, the only "
        "provider if there is just one. A JWT goes only to the providers whose issuerUrl is its "
        "`iss`, whatever this says.",
    )
    allow_private_ip: bool = Field(
        default=False,
        alias="allowPrivateIP",
        description="Allow discovery/JWKS on private addresses (in-cluster API servers).",
    )

    @field_validator("issuer_url")
    @classmethod
    def _issuer(cls, url: str, info: ValidationInfo) -> str:
        _url_field("issuerUrl", url)
        insecure = bool((info.context or {}).get(ALLOW_INSECURE_URLS))
        if not url.startswith("https:") and not insecure and not is_loopback_url(url):
            raise ValueError(
                "issuerUrl must use HTTPS (set THV_REGISTRY_INSECURE_URL=true to allow HTTP)"
            )
        return url

    @field_validator("jwks_url")
    @classmethod
    def _jwks(cls, url: str | None) -> str | None:
        return _url_field("jwksUrl", url)

    @field_validator("introspection_url")
    @classmethod
    def _introspection(cls, url: str | None) -> str | None:
        return _url_field("introspectionUrl", url)

    @model_validator(mode="after")
    def _introspection_for_opaque_tokens(self) -> OAuthProvider:
        if self.introspect_opaque_tokens and self.introspection_url is None:
            raise FieldPathError(
                [(("introspectOpaqueTokens",), "introspectOpaqueTokens needs introspectionUrl")]
            )
        return self

    @field_validator("client_secret_file")
    @classmethod
    def _secret_file(cls, path: str | None) -> str | None:
        problem = None if path is None else absolute_path_problem(path)
        if problem:
            raise ValueError(f"clientSecretFile {problem}")
        return path


class OAuthConfig(ConfigModel):
    """`auth.oauth:`, required in oauth mode."""

    resource_url: NonEmpty | None = Field(
        default=None,
        description="RFC 9728 resource identifier; also advertised in WWW-Authenticate.",
    )
    realm: NonEmpty = Field(default="mcp-registry", description="WWW-Authenticate realm.")
    scopes_supported: list[NonEmpty] | None = Field(
        default=None,
        description="Ours: `scopes_supported` of the RFC 9728 document (omitted when unset, "
        "as ToolHive always does).",
    )
    providers: list[OAuthProvider] = Field(default_factory=list, validate_default=True)

    @field_validator("resource_url")
    @classmethod
    def _resource(cls, url: str | None) -> str | None:
        return _url_field("resourceUrl", url)

    @field_validator("providers")
    @classmethod
    def _providers(cls, providers: list[OAuthProvider]) -> list[OAuthProvider]:
        if not providers:
            raise ValueError("auth.oauth.providers is required when mode is oauth")
        seen: set[str] = set()
        duplicates: list[tuple[Loc, str]] = []
        for index, provider in enumerate(providers):
            if provider.name in seen:
                duplicates.append(((index, "name"), f"duplicate provider name '{provider.name}'"))
            seen.add(provider.name)
        if duplicates:
            raise FieldPathError(duplicates)
        opaque = [i for i, provider in enumerate(providers) if provider.introspect_opaque_tokens]
        if len(opaque) > 1:
            raise FieldPathError(
                [
                    (
                        (index, "introspectOpaqueTokens"),
                        "at most one provider may set introspectOpaqueTokens: an opaque token "
                        "names no issuer and is sent to one provider only",
                    )
                    for index in opaque[1:]
                ]
            )
        return providers


class AuthzConfig(ConfigModel):
    """`auth.authz:`: present means authorization is on (claims gate everything, default deny).

    A role is granted when any rule in its list matches the token: every key of the rule
    present in the token with an overlapping value. Claim keys are case-sensitive.
    """

    roles: dict[Role, list[ConfigClaims]] = Field(
        default_factory=dict,
        description="superAdmin, manageSources, manageRegistries or manageEntries -> rules; "
        "superAdmin implies the other three.",
    )

    def config_notes(self) -> list[tuple[Loc, str]]:
        return [
            (("roles", role, index), "an empty rule never matches")
            for role, rules in self.roles.items()
            for index, rule in enumerate(rules)
            if not rule
        ]


class AuthConfig(ConfigModel):
    """`auth:`, required (as in ToolHive: there is no implicit default mode)."""

    mode: Annotated[AuthMode, BeforeValidator(_check_mode)]
    public_paths: list[str] = Field(
        default_factory=list,
        description="Extra unauthenticated path prefixes, besides /openapi.json and /.well-known.",
    )
    oauth: OAuthConfig | None = None
    authz: AuthzConfig | None = None

    @field_validator("public_paths")
    @classmethod
    def _absolute_paths(cls, paths: list[str]) -> list[str]:
        bad = [
            ((i,), "must start with '/'")
            for i, path in enumerate(paths)
            if not path.startswith("/")
        ]
        if bad:
            raise FieldPathError(bad)
        return paths

    @model_validator(mode="after")
    def _oauth_block(self) -> AuthConfig:
        if self.mode == "oauth" and self.oauth is None:
            raise FieldPathError([(("oauth",), "auth.oauth is required when mode is oauth")])
        return self

    def config_notes(self) -> list[tuple[Loc, str]]:
        if self.mode == "anonymous" and self.oauth is not None:
            return [(("oauth",), "ignored: auth.mode is anonymous")]
        return []
