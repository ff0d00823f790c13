"""ToolHive's publisher-provided extension block (`ServerExtensions`) built from a legacy entry,
field by field as Go marshals it (omitempty, dropped unknown keys, sorted keys).

toolhive-core marshals the struct, unmarshals it into a map and marshals that again
(`serverExtensionsToMap`), so keys come out sorted and numbers pass through float64. Here every
block is built with its keys already in sorted order, and that round trip only runs on the
members it can change (`_roundtrip_members`): any-typed values and integers past 2**53.

Each builder reads its fields in the Go struct's order before assembling the sorted block, so
that when several fields are malformed the error names the same one as before.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from mcp_registry_common.formats.gojson import FLOAT64_EXACT, GoFields, go_roundtrip
from mcp_registry_common.formats.tooldefs import tool_definition

DEFAULT_STATUS = "active"
_KUBERNETES_FIELDS = ("kind", "namespace", "name", "uid", "image", "transport")


def build_extensions(entry: GoFields, *, remote: bool) -> dict[str, Any]:
    """The `ServerExtensions` map for one legacy entry (container, or remote when `remote`).

    `status` defaults to `active`; empty strings, arrays, maps, `0` and `false` are omitted;
    keys are sorted at every level and numbers pass through float64, exactly like the
    marshal/unmarshal round trip in toolhive-core's `serverExtensionsToMap`.
    """
    metadata = entry.child("metadata")
    status = entry.text("status") or DEFAULT_STATUS
    tier = entry.text("tier")
    tools = entry.texts("tools")
    tags = entry.texts("tags")
    overview = entry.text("overview")
    custom_metadata = entry.mapping("custom_metadata")
    proxy_port = entry.integer("proxy_port")
    stateless = entry.flag("stateless")
    tool_definitions = [tool_definition(t) for t in entry.children("tool_definitions") or ()]
    meta = None if metadata is None else _metadata(metadata)
    # Keys up to `overview` interleave with the kind's own; the ones after are common to both.
    head = _remote_head if remote else _container_head
    ext = head(entry, custom_metadata=custom_metadata, metadata=meta, overview=overview)
    put_common_tail(
        ext,
        proxy_port=proxy_port,
        stateless=stateless,
        status=status,
        tags=tags,
        tier=tier,
        tool_definitions=tool_definitions,
        tools=tools,
    )
    for key in _roundtrip_members(ext):
        ext[key] = go_roundtrip(ext[key], entry, key)
    return ext


def put_common_tail(
    ext: dict[str, Any],
    *,
    proxy_port: int | None,
    stateless: bool | None,
    status: str,
    tags: list[str] | None,
    tier: str | None,
    tool_definitions: list[dict[str, Any]] | None,
    tools: list[str] | None,
) -> dict[str, Any]:
    """`ext` with the keys both kinds share after their own (`proxy_port` to `tools`) added in
    sorted order, empty ones omitted, `status` always."""
    if proxy_port:
        ext["proxy_port"] = proxy_port
    if stateless:
        ext["stateless"] = True
    ext["status"] = status
    if tags:
        ext["tags"] = tags
    if tier:
        ext["tier"] = tier
    if tool_definitions:
        ext["tool_definitions"] = tool_definitions
    if tools:
        ext["tools"] = tools
    return ext


def _roundtrip_members(ext: dict[str, Any]) -> list[str]:
    """The members of `ext` Go's round trip can change, in key order (so the first number no
    float64 holds is the one named, as when the whole map went through it): the any-typed
    values (custom metadata, tool definitions, an attestation's predicate) and, when an integer
    is past 2**53, the structs holding integers."""
    predicate = "predicate" in ext.get("provenance", _NONE).get("attestation", _NONE)
    exact = _typed_integers_exact(ext)
    if exact and not predicate and "custom_metadata" not in ext and "tool_definitions" not in ext:
        return []
    members = [key for key in _ANY_TYPED if key in ext]
    if predicate:
        members.append("provenance")
    if not exact:
        members.extend(key for key in _WITH_INTEGERS if key in ext)
    return sorted(members)


def _typed_integers_exact(ext: dict[str, Any]) -> bool:
    """Whether every integer of the typed structs in `ext` passes float64 unchanged."""
    network = ext.get("permissions", _NONE).get("network", _NONE)
    ports = network.get("outbound", _NONE).get("allow_port") or (0,)
    integers: tuple[int, ...] = (
        ext.get("proxy_port", 0),
        ext.get("metadata", _NONE).get("stars", 0),
        ext.get("oauth_config", _NONE).get("callback_port", 0),
        min(ports),
        max(ports),
    )
    return min(integers) >= -FLOAT64_EXACT and max(integers) <= FLOAT64_EXACT


_NONE: Mapping[str, Any] = MappingProxyType({})
_ANY_TYPED = ("custom_metadata", "tool_definitions")
_WITH_INTEGERS = ("metadata", "oauth_config", "permissions", "proxy_port")


def _container_head(
    entry: GoFields,
    *,
    custom_metadata: dict[str, Any] | None,
    metadata: dict[str, Any] | None,
    overview: str,
) -> dict[str, Any]:
    """A container's extension keys up to `provenance`: its own and the common ones given."""
    args = entry.texts("args")
    docker_tags = entry.texts("docker_tags")
    permissions = entry.child("permissions")
    profile = None if permissions is None else _permissions(permissions)
    provenance = entry.child("provenance")
    out: dict[str, Any] = {}
    if args:
        out["args"] = args
    if custom_metadata:
        out["custom_metadata"] = custom_metadata
    if docker_tags:
        out["docker_tags"] = docker_tags
    if metadata is not None:
        out["metadata"] = metadata
    if overview:
        out["overview"] = overview
    if profile is not None:
        out["permissions"] = profile
    if provenance is not None:
        out["provenance"] = _provenance(provenance)
    return out


def _remote_head(
    entry: GoFields,
    *,
    custom_metadata: dict[str, Any] | None,
    metadata: dict[str, Any] | None,
    overview: str,
) -> dict[str, Any]:
    """A remote's extension keys up to `overview`: its own and the common ones given."""
    env_vars = [_env_var(var) for var in entry.children("env_vars") or ()]
    oauth = entry.child("oauth_config")
    out: dict[str, Any] = {}
    if custom_metadata:
        out["custom_metadata"] = custom_metadata
    if env_vars:
        out["env_vars"] = env_vars
    if metadata is not None:
        out["metadata"] = metadata
    if oauth is not None:
        out["oauth_config"] = _oauth_config(oauth)
    if overview:
        out["overview"] = overview
    return out


def _metadata(metadata: GoFields) -> dict[str, Any]:
    """`Metadata`: only `stars`, `last_updated` and `kubernetes` exist in Go; `pulls` is dropped."""
    stars = metadata.integer("stars")
    last_updated = metadata.text("last_updated")
    kubernetes = metadata.child("kubernetes")
    out: dict[str, Any] = {}
    if kubernetes is not None:
        values = [(field, kubernetes.text(field)) for field in _KUBERNETES_FIELDS]
        out["kubernetes"] = {field: value for field, value in sorted(values) if value}
    if last_updated:
        out["last_updated"] = last_updated
    if stars:
        out["stars"] = stars
    return out


def _permissions(profile: GoFields) -> dict[str, Any]:
    """`permissions.Profile`: empty nested objects are kept, `false` flags dropped."""
    name = profile.text("name")
    read = profile.texts("read")
    write = profile.texts("write")
    privileged = profile.flag("privileged")
    network = profile.child("network")
    block = None if network is None else _network(network)
    return permissions_block(name, block, privileged, read, write)


def permissions_block(
    name: str | None,
    network: dict[str, Any] | None,
    privileged: bool | None,
    read: list[str] | None,
    write: list[str] | None,
) -> dict[str, Any]:
    """The `permissions` block from its values, keys sorted, empty ones (but `network`) omitted."""
    out: dict[str, Any] = {"name": name} if name else {}
    if network is not None:
        out["network"] = network
    if privileged:
        out["privileged"] = True
    if read:
        out["read"] = read
    if write:
        out["write"] = write
    return out


def _network(network: GoFields) -> dict[str, Any]:
    mode = network.text("mode")
    outbound = network.child("outbound")
    outbound_out: dict[str, Any] | None = None
    if outbound is not None:
        insecure_allow_all = outbound.flag("insecure_allow_all")
        allow_host = outbound.texts("allow_host")
        allow_port = outbound.integers("allow_port")
        outbound_out = {}
        if allow_host:
            outbound_out["allow_host"] = allow_host
        if allow_port:
            outbound_out["allow_port"] = allow_port
        if insecure_allow_all:
            outbound_out["insecure_allow_all"] = True
    inbound = network.child("inbound")
    out: dict[str, Any] = {}
    if inbound is not None:
        inbound_hosts = inbound.texts("allow_host")
        out["inbound"] = {"allow_host": inbound_hosts} if inbound_hosts else {}
    if mode:
        out["mode"] = mode
    if outbound_out is not None:
        out["outbound"] = outbound_out
    return out


def _provenance(provenance: GoFields) -> dict[str, Any]:
    """`Provenance`: five keys always written, even as ""; the other two omitempty."""
    sigstore_url = provenance.text("sigstore_url")
    repository_uri = provenance.text("repository_uri")
    signer_identity = provenance.text("signer_identity")
    runner_environment = provenance.text("runner_environment")
    cert_issuer = provenance.text("cert_issuer")
    repository_ref = provenance.text("repository_ref")
    attestation = provenance.child("attestation")
    out: dict[str, Any] = {}
    if attestation is not None:
        predicate_type = attestation.text("predicate_type")
        predicate = attestation.raw("predicate")
        out["attestation"] = att = {}
        if predicate is not None:
            att["predicate"] = predicate
        if predicate_type:
            att["predicate_type"] = predicate_type
    out["cert_issuer"] = cert_issuer
    if repository_ref:
        out["repository_ref"] = repository_ref
    out["repository_uri"] = repository_uri
    out["runner_environment"] = runner_environment
    out["signer_identity"] = signer_identity
    out["sigstore_url"] = sigstore_url
    return out


def _oauth_config(oauth: GoFields) -> dict[str, Any]:
    """`OAuthConfig`: every field omitempty, so `use_pkce: false` disappears."""
    issuer = oauth.text("issuer")
    authorize_url = oauth.text("authorize_url")
    token_url = oauth.text("token_url")
    client_id = oauth.text("client_id")
    resource = oauth.text("resource")
    scopes = oauth.texts("scopes")
    use_pkce = oauth.flag("use_pkce")
    oauth_params = oauth.text_map("oauth_params")
    callback_port = oauth.integer("callback_port")
    out: dict[str, Any] = {}
    if authorize_url:
        out["authorize_url"] = authorize_url
    if callback_port:
        out["callback_port"] = callback_port
    if client_id:
        out["client_id"] = client_id
    if issuer:
        out["issuer"] = issuer
    if oauth_params:
        out["oauth_params"] = dict(sorted(oauth_params.items()))
    if resource:
        out["resource"] = resource
    if scopes:
        out["scopes"] = scopes
    if token_url:
        out["token_url"] = token_url
    if use_pkce:
        out["use_pkce"] = True
    return out


def _env_var(var: GoFields) -> dict[str, Any]:
    """A remote's `EnvVar`, kept in legacy shape: `name`, `description`, `required` always."""
    name = var.text("name")
    description = var.text("description")
    required = var.flag("required")
    default = var.text("default")
    secret = var.flag("secret")
    out: dict[str, Any] = {"default": default} if default else {}
    out["description"] = description
    out["name"] = name
    out["required"] = required
    if secret:
        out["secret"] = True
    return out
