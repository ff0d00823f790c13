"""ToolHive's publisher-provided extension block (`ServerExtensions`) built from a legacy entry,
field by field as Go marshals it (omitempty, dropped unknown keys, sorted keys)."""

from __future__ import annotations

from typing import Any

from mcp_registry_common.formats.gojson import GoFields, go_roundtrip
from mcp_registry_common.formats.tooldefs import tool_definition

DEFAULT_STATUS = "active"
_KUBERNETES_FIELDS = ("kind", "namespace", "name", "uid", "image", "transport")
_PROVENANCE_ALWAYS = (
    "sigstore_url",
    "repository_uri",
    "signer_identity",
    "runner_environment",
    "cert_issuer",
)
_OAUTH_TEXTS = ("issuer", "authorize_url", "token_url", "client_id", "resource")


def build_extensions(entry: GoFields, *, remote: bool) -> dict[str, Any]:
    """The `ServerExtensions` map for one legacy entry (container, or remote when `remote`).

    `status` defaults to `active`; empty strings, arrays, maps, `0` and `false` are omitted;
    keys are sorted at every level and numbers pass through float64, exactly like the
    marshal/unmarshal round trip in toolhive-core's `serverExtensionsToMap`.
    """
    metadata = entry.child("metadata")
    ext: dict[str, Any] = {
        "status": entry.text("status") or DEFAULT_STATUS,
        **_omitempty(
            tier=entry.text("tier"),
            tools=entry.texts("tools"),
            tags=entry.texts("tags"),
            overview=entry.text("overview"),
            custom_metadata=entry.mapping("custom_metadata"),
            proxy_port=entry.integer("proxy_port"),
            stateless=entry.flag("stateless"),
            tool_definitions=[tool_definition(t) for t in entry.children("tool_definitions") or ()],
        ),
    }
    if metadata is not None:
        ext["metadata"] = _metadata(metadata)
    ext.update(_remote_fields(entry) if remote else _container_fields(entry))
    result: dict[str, Any] = go_roundtrip(ext, entry)
    return result


def _omitempty(**values: object) -> dict[str, Any]:
    """The values Go's omitempty keeps: not "", 0, false, an empty array or map, or nil."""
    return {key: value for key, value in values.items() if value}


def _container_fields(entry: GoFields) -> dict[str, Any]:
    out = _omitempty(args=entry.texts("args"), docker_tags=entry.texts("docker_tags"))
    permissions = entry.child("permissions")
    if permissions is not None:
        out["permissions"] = _permissions(permissions)
    provenance = entry.child("provenance")
    if provenance is not None:
        out["provenance"] = _provenance(provenance)
    return out


def _remote_fields(entry: GoFields) -> dict[str, Any]:
    out = _omitempty(env_vars=[_env_var(var) for var in entry.children("env_vars") or ()])
    oauth = entry.child("oauth_config")
    if oauth is not None:
        out["oauth_config"] = _oauth_config(oauth)
    return out


def _metadata(metadata: GoFields) -> dict[str, Any]:
    """`Metadata`: only `stars`, `last_updated` and `kubernetes` exist in Go; `pulls` is dropped."""
    out = _omitempty(stars=metadata.integer("stars"), last_updated=metadata.text("last_updated"))
    kubernetes = metadata.child("kubernetes")
    if kubernetes is not None:
        out["kubernetes"] = _omitempty(**{f: kubernetes.text(f) for f in _KUBERNETES_FIELDS})
    return out


def _permissions(profile: GoFields) -> dict[str, Any]:
    """`permissions.Profile`: empty nested objects are kept, `false` flags dropped."""
    out = _omitempty(
        name=profile.text("name"),
        read=profile.texts("read"),
        write=profile.texts("write"),
        privileged=profile.flag("privileged"),
    )
    network = profile.child("network")
    if network is not None:
        out["network"] = net = _omitempty(mode=network.text("mode"))
        outbound = network.child("outbound")
        if outbound is not None:
            net["outbound"] = _omitempty(
                insecure_allow_all=outbound.flag("insecure_allow_all"),
                allow_host=outbound.texts("allow_host"),
                allow_port=outbound.integers("allow_port"),
            )
        inbound = network.child("inbound")
        if inbound is not None:
            net["inbound"] = _omitempty(allow_host=inbound.texts("allow_host"))
    return out


def _provenance(provenance: GoFields) -> dict[str, Any]:
    """`Provenance`: five keys always written, even as ""; the other two omitempty."""
    out: dict[str, Any] = {key: provenance.text(key) for key in _PROVENANCE_ALWAYS}
    out.update(_omitempty(repository_ref=provenance.text("repository_ref")))
    attestation = provenance.child("attestation")
    if attestation is not None:
        att = _omitempty(predicate_type=attestation.text("predicate_type"))
        if attestation.raw("predicate") is not None:
            att["predicate"] = attestation.raw("predicate")
        out["attestation"] = att
    return out


def _oauth_config(oauth: GoFields) -> dict[str, Any]:
    """`OAuthConfig`: every field omitempty, so `use_pkce: false` disappears."""
    return _omitempty(
        **{key: oauth.text(key) for key in _OAUTH_TEXTS},
        scopes=oauth.texts("scopes"),
        use_pkce=oauth.flag("use_pkce"),
        oauth_params=oauth.text_map("oauth_params"),
        callback_port=oauth.integer("callback_port"),
    )


def _env_var(var: GoFields) -> dict[str, Any]:
    """A remote's `EnvVar`, kept in legacy shape: `name`, `description`, `required` always."""
    return {
        "name": var.text("name"),
        "description": var.text("description"),
        "required": var.flag("required"),
        **_omitempty(default=var.text("default"), secret=var.flag("secret")),
    }
