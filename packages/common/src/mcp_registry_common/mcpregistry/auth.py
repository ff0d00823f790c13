"""spec.authConfig: how the registry API authenticates callers and which claims grant roles."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import ConfigDict, Field, StrictBool, model_validator

from mcp_registry_common.base import WireModel
from mcp_registry_common.claims import Claims
from mcp_registry_common.mcpregistry.refs import ConfigMapKeySelector, SecretKeySelector
from mcp_registry_common.mcpregistry.strings import FilePath, HttpUrl, ShortText

AuthMode = Literal["anonymous", "oauth"]

ROLE_NAMES = ("superAdmin", "manageSources", "manageRegistries", "manageEntries")
"""The only role names the server knows (wire names)."""

PublicPath = Annotated[str, Field(min_length=1, max_length=1024, pattern=r"^/")]

_AUTHZ_NEEDS_OAUTH = "authz configuration has no effect when auth mode is anonymous"
_OPAQUE_NEEDS_INTROSPECTION = "introspectOpaqueTokens needs introspectionUrl"
_ONE_OPAQUE_PROVIDER = (
    "at most one provider may set introspectOpaqueTokens: an opaque token names no issuer "
    "and is sent to one provider only"
)
_OAUTH_REQUIRED = "oauth configuration with at least one provider is required when mode is oauth"

_RoleRules = Annotated[
    list[Claims],
    Field(
        default_factory=list,
        max_length=100,
        json_schema_extra={"x-kubernetes-list-type": "atomic"},
    ),
]


class OAuthProvider(WireModel):
    """An identity provider whose access tokens the server accepts."""

    model_config = ConfigDict(
        json_schema_extra={
            "x-kubernetes-validations": [
                {
                    "rule": "!has(self.introspectOpaqueTokens) || !self.introspectOpaqueTokens"
                    " || has(self.introspectionUrl)",
                    "message": _OPAQUE_NEEDS_INTROSPECTION,
                    "fieldPath": ".introspectOpaqueTokens",
                }
            ]
        }
    )

    name: ShortText = Field(description="Unique provider name, used in logs and metrics.")
    issuer_url: HttpUrl = Field(description="OIDC issuer URL; must match the tokens' `iss`.")
    jwks_url: HttpUrl | None = Field(
        default=None, description="JWKS URL. Setting it skips OIDC discovery."
    )
    audience: ShortText = Field(description="Expected `aud` claim of access tokens.")
    client_id: ShortText | None = Field(
        default=None, description="OAuth client id for token introspection."
    )
    client_secret_ref: SecretKeySelector | None = Field(
        default=None, description="Secret key holding the client secret for introspection."
    )
    ca_cert_ref: ConfigMapKeySelector | None = Field(
        default=None, description="ConfigMap key holding a CA bundle for the provider's TLS."
    )
    ca_cert_path: FilePath | None = Field(
        default=None, description="Path of a CA bundle in the pod; wins over caCertRef."
    )
    auth_token_ref: SecretKeySelector | None = Field(
        default=None, description="Secret key holding a bearer token for the OIDC/JWKS endpoints."
    )
    auth_token_file: FilePath | None = Field(
        default=None, description="Path of a bearer token file in the pod; wins over authTokenRef."
    )
    introspection_url: HttpUrl | None = Field(
        default=None, description="RFC 7662 introspection endpoint for opaque tokens."
    )
    introspect_opaque_tokens: StrictBool | None = Field(
        default=None,
        description="Send opaque (non-JWT) tokens to this provider's introspectionUrl. At most "
        "one provider may; unset means yes only when it is the only provider. JWTs always go "
        "to the provider whose issuerUrl is their `iss`.",
    )
    allow_private_ip: StrictBool = Field(
        default=False,
        alias="allowPrivateIP",
        description="Allow connections to private IP addresses (needed in-cluster).",
    )

    @model_validator(mode="after")
    def _opaque_needs_introspection(self) -> OAuthProvider:
        if self.introspect_opaque_tokens and self.introspection_url is None:
            raise ValueError(f"introspectOpaqueTokens: {_OPAQUE_NEEDS_INTROSPECTION}")
        return self


class OAuthConfig(WireModel):
    """OAuth 2.0 protected-resource settings (RFC 9728)."""

    model_config = ConfigDict(
        json_schema_extra={
            "x-kubernetes-validations": [
                {
                    "rule": "self.providers.filter(p, has(p.introspectOpaqueTokens)"
                    " && p.introspectOpaqueTokens).size() <= 1",
                    "message": _ONE_OPAQUE_PROVIDER,
                    "fieldPath": ".providers",
                }
            ]
        }
    )

    resource_url: HttpUrl | None = Field(
        default=None, description="URL identifying this protected resource (RFC 9728)."
    )
    realm: ShortText | None = Field(
        default=None,
        description="Protection space in WWW-Authenticate challenges. Defaults to mcp-registry.",
    )
    scopes_supported: list[ShortText] | None = Field(
        default=None,
        max_length=64,
        description="Scopes advertised in the resource metadata. "
        "Defaults to [mcp-registry:read, mcp-registry:write].",
        json_schema_extra={"x-kubernetes-list-type": "atomic"},
    )
    providers: list[OAuthProvider] = Field(
        min_length=1,
        max_length=16,
        description="Identity providers. A JWT is checked only by those whose issuerUrl is "
        "its `iss`, an opaque token by at most one (see introspectOpaqueTokens).",
        json_schema_extra={"x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name"]},
    )

    @model_validator(mode="after")
    def _unique_names(self) -> OAuthConfig:
        seen: set[str] = set()
        for i, provider in enumerate(self.providers):
            if provider.name in seen:
                raise ValueError(f"providers[{i}].name: duplicate provider name {provider.name!r}")
            seen.add(provider.name)
        if sum(bool(p.introspect_opaque_tokens) for p in self.providers) > 1:
            raise ValueError(f"providers: {_ONE_OPAQUE_PROVIDER}")
        return self


class AuthzRoles(WireModel):
    """Role -> claim rules. A caller whose token matches any rule of a role holds it."""

    super_admin: _RoleRules = Field(description="Full access to everything.")
    manage_sources: _RoleRules = Field(description="Create, update and delete sources.")
    manage_registries: _RoleRules = Field(description="Create, update and delete registries.")
    manage_entries: _RoleRules = Field(description="Publish and delete entries.")


class AuthzConfig(WireModel):
    """Role-based access control. Only meaningful in oauth mode."""

    roles: AuthzRoles = Field(description="Claim rules for each of the four roles.")


class AuthConfig(WireModel):
    """API authentication and authorization."""

    model_config = ConfigDict(
        json_schema_extra={
            "x-kubernetes-validations": [
                {
                    "rule": "self.mode == 'oauth' || !has(self.authz)",
                    "message": _AUTHZ_NEEDS_OAUTH,
                    "fieldPath": ".authz",
                },
                {
                    "rule": "self.mode != 'oauth' || has(self.oauth)",
                    "message": _OAUTH_REQUIRED,
                    "fieldPath": ".oauth",
                },
            ]
        }
    )

    mode: AuthMode = Field(
        default="anonymous",
        description="`oauth` validates access tokens; `anonymous` lets everyone in "
        "(development only).",
    )
    public_paths: list[PublicPath] = Field(
        default_factory=list,
        max_length=64,
        description="Extra paths served without authentication, in addition to the built-in "
        "health, docs and well-known paths.",
        json_schema_extra={"x-kubernetes-list-type": "atomic"},
    )
    oauth: OAuthConfig | None = Field(
        default=None, description="OAuth settings; required when mode is oauth."
    )
    authz: AuthzConfig | None = Field(
        default=None, description="Role rules; only allowed when mode is oauth."
    )

    @model_validator(mode="after")
    def _mode_consistency(self) -> AuthConfig:
        if self.authz is not None and self.mode != "oauth":
            raise ValueError(f"authz: {_AUTHZ_NEEDS_OAUTH}")
        if self.mode == "oauth" and self.oauth is None:
            raise ValueError(f"oauth: {_OAUTH_REQUIRED}")
        return self
