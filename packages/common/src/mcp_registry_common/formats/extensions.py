"""ToolHive's publisher-provided extension block (`ServerExtensions`) built from a legacy entry,
field by field as Go marshals it (omitempty, dropped unknown keys, sorted keys)."""

from __future__ import annotations

from typing import Any

from mcp_registry_common.formats.gojson import GoFields, go_roundtrip
from mcp_registry_common.formats.tooldefs import tool_definition

DEFAULT_STATUS = "active"
_KUBERNETES_FIELDS = ("kind", "namespace", "name", "uid", "image", "transport")
_PROVENANCE_ALWAYS = ("sigstore_url", "repository_uri", "signer_identity", "runner_environment")
_OAUTH_TEXTS = ("issuer", "authorize_url", "token_url", "client_id", "resource")


def build_extensions(entry: GoFields, *, remote: bool) -> dict[str, Any]:
    """The `ServerExtensions` map for one legacy entry (container, or remote when `remote`).

    `status` defaults to `active`; empty strings, arrays, maps, `0` and `false` are omitted;
    keys are sorted at every level and numbers pass through float64, exactly like the
    marshal/unmarshal round trip in toolhive-core's `serverExtensionsToMap`.
    """
    ext: dict[str, Any] = {"status": entry.text("status") or DEFAULT_STATUS}
    _put(ext, "tier", entry.text("tier"))
    _put(ext, "tools", entry.texts("tools"))
    _put(ext, "tags", entry.texts("tags"))
    _put(ext, "overview", entry.text("overview"))
    metadata = entry.child("metadata")
    if metadata is not None:
        ext["metadata"] = _metadata(metadata)
    _put(ext, "custom_metadata", entry.mapping("custom_metadata"))
    if remote:
        oauth = entry.child("oauth_config")
        if oauth is not None:
            ext["oauth_config"] = _oauth_config(oauth)
        _put(ext, "env_vars", [_env_var(v) for v in entry.children("env_vars") or ()])
    else:
        permissions = entry.child("permissions")
        if permissions is not None:
            ext["permissions"] = _permissions(permissions)
        _put(ext, "args", entry.texts("args"))
        provenance = entry.child("provenance")
        if provenance is not None:
            ext["provenance"] = _provenance(provenance)
        _put(ext, "docker_tags", entry.texts("docker_tags"))
    _put(ext, "proxy_port", entry.integer("proxy_port"))
    _put(ext, "stateless", entry.flag("stateless"))
    tools = entry.children("tool_definitions") or ()
    _put(ext, "tool_definitions", [tool_definition(tool) for tool in tools])
    result: dict[str, Any] = go_roundtrip(ext, entry.path)
    return result


def _put(out: dict[str, Any], key: str, value: object) -> None:
    """Set `out[key]` unless Go's omitempty would drop the value ("", 0, false, empty, nil)."""
    if value:
        out[key] = value


def _metadata(metadata: GoFields) -> dict[str, Any]:
    """`Metadata`: only `stars`, `last_updated` and `kubernetes` exist in Go; `pulls` is dropped."""
    out: dict[str, Any] = {}
    _put(out, "stars", metadata.integer("stars"))
    _put(out, "last_updated", metadata.text("last_updated"))
    kubernetes = metadata.child("kubernetes")
    if kubernetes is not None:
        out["kubernetes"] = {}
        for field in _KUBERNETES_FIELDS:
            _put(out["kubernetes"], field, kubernetes.text(field))
    return out


def _permissions(profile: GoFields) -> dict[str, Any]:
    """`permissions.Profile`: empty nested objects are kept, `false` flags dropped."""
    out: dict[str, Any] = {}
    _put(out, "name", profile.text("name"))
    _put(out, "read", profile.texts("read"))
    _put(out, "write", profile.texts("write"))
    network = profile.child("network")
    if network is not None:
        net: dict[str, Any] = {}
        _put(net, "mode", network.text("mode"))
        outbound = network.child("outbound")
        if outbound is not None:
            net["outbound"] = {}
            _put(net["outbound"], "insecure_allow_all", outbound.flag("insecure_allow_all"))
            _put(net["outbound"], "allow_host", outbound.texts("allow_host"))
            _put(net["outbound"], "allow_port", outbound.integers("allow_port"))
        inbound = network.child("inbound")
        if inbound is not None:
            net["inbound"] = {}
            _put(net["inbound"], "allow_host", inbound.texts("allow_host"))
        out["network"] = net
    _put(out, "privileged", profile.flag("privileged"))
    return out


def _provenance(provenance: GoFields) -> dict[str, Any]:
    """`Provenance`: five keys always written, even as ""; the other two omitempty."""
    out: dict[str, Any] = {key: provenance.text(key) for key in _PROVENANCE_ALWAYS}
    _put(out, "repository_ref", provenance.text("repository_ref"))
    out["cert_issuer"] = provenance.text("cert_issuer")
    attestation = provenance.child("attestation")
    if attestation is not None:
        att: dict[str, Any] = {}
        _put(att, "predicate_type", attestation.text("predicate_type"))
        if attestation.raw("predicate") is not None:
            att["predicate"] = attestation.raw("predicate")
        out["attestation"] = att
    return out


def _oauth_config(oauth: GoFields) -> dict[str, Any]:
    """`OAuthConfig`: every field omitempty, so `use_pkce: false` disappears."""
    out: dict[str, Any] = {}
    for key in _OAUTH_TEXTS:
        _put(out, key, oauth.text(key))
    _put(out, "scopes", oauth.texts("scopes"))
    _put(out, "use_pkce", oauth.flag("use_pkce"))
    _put(out, "oauth_params", oauth.text_map("oauth_params"))
    _put(out, "callback_port", oauth.integer("callback_port"))
    return out


def _env_var(var: GoFields) -> dict[str, Any]:
    """A remote's `EnvVar`, kept in legacy shape: `name`, `description`, `required` always."""
    out: dict[str, Any] = {
        "name": var.text("name"),
        "description": var.text("description"),
        "required": var.flag("required"),
    }
    _put(out, "default", var.text("default"))
    _put(out, "secret", var.flag("secret"))
    return out
