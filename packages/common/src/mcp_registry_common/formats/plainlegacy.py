"""The common shape of a legacy container entry converted in one pass over plain dicts.

`checked_image_to_server` (legacy.py, with extensions.py) is the converter: it reads every field
the way Go's decoder does and names the first malformed one. Most catalog entries only use
plain fields, and for them that field-by-field reading costs several times what building the
output does, so `plain_image_to_server` converts them directly and answers None for anything
else: a value of the wrong type, an integer past 2**53, custom metadata, tool definitions,
Kubernetes metadata or an attestation. The converter then runs as usual, and names the error
if there is one. Its output is the checked converter's, byte for byte (a test compares them on
every fixture and on thousands of variations of them).
"""

from __future__ import annotations

from typing import Any

from mcp_registry_common.formats.converted import (
    CONVERTED_VERSION,
    HTTP_TRANSPORTS,
    publisher_meta,
    reverse_dns_name,
)
from mcp_registry_common.formats.extensions import (
    DEFAULT_STATUS,
    permissions_block,
    put_common_tail,
)
from mcp_registry_common.formats.gojson import FLOAT64_EXACT
from mcp_registry_common.formats.upstream import SERVER_SCHEMA_URL

_TEXT = frozenset({str, type(None)})
_FLAG = frozenset({bool, type(None)})
_OBJECT = frozenset({dict, type(None)})
_NUMBER = frozenset({int, type(None)})


def plain_image_to_server(key: str, entry: dict[str, Any]) -> dict[str, Any] | None:
    """`checked_image_to_server(key, entry)` for an entry of the common shape, else None."""
    get = entry.get
    name, description, title, repository_url = (
        get("name"),
        get("description"),
        get("title"),
        get("repository_url"),
    )
    transport, image, status, tier, overview = (
        get("transport"),
        get("image"),
        get("status"),
        get("tier"),
        get("overview"),
    )
    texts = (name, description, title, repository_url, transport, image, status, tier, overview)
    objects = (get("metadata"), get("permissions"), get("provenance"))
    if (
        not key
        or not _TEXT.issuperset(map(type, texts))
        or not _OBJECT.issuperset(map(type, objects))
        or not _empty_or_none(get("custom_metadata"), dict)
        or not _empty_or_none(get("tool_definitions"), list)
    ):
        return None
    metadata, permissions, provenance = objects
    server: dict[str, Any] = {
        "$schema": SERVER_SCHEMA_URL,
        "name": name or reverse_dns_name(key),
        "description": description or "",
    }
    if title:
        server["title"] = title
    if repository_url:
        server["repository"] = {"url": repository_url, "source": "github"}
    server["version"] = CONVERTED_VERSION
    package = _package(entry, transport or "stdio", image or "")
    ext = _extensions(entry, status or DEFAULT_STATUS, metadata, permissions, provenance)
    if package is None or ext is None:
        return None
    server["packages"] = [package]
    server["_meta"] = publisher_meta(image or "", ext)
    return server


def _package(entry: dict[str, Any], kind: str, image: str) -> dict[str, Any] | None:
    port = entry.get("target_port")
    if type(port) not in _NUMBER:
        return None
    transport: dict[str, Any] = {"type": kind}
    if kind in HTTP_TRANSPORTS:
        transport["url"] = f"http://localhost:{port}" if port and port > 0 else "http://localhost"
    package: dict[str, Any] = {"registryType": "oci", "identifier": image, "transport": transport}
    env_vars = entry.get("env_vars")
    if env_vars is not None:
        if type(env_vars) is not list:
            return None
        inputs = [_env_input(var) for var in env_vars]
        if None in inputs:
            return None
        if inputs:
            package["environmentVariables"] = inputs
    return package


def _env_input(var: object) -> dict[str, Any] | None:
    """An env var as `KeyValueInput`, as `legacy._key_value_input` writes it."""
    if type(var) is not dict:
        return None
    get = var.get
    name, description, default = get("name"), get("description"), get("default")
    required, secret = get("required"), get("secret")
    if (
        type(name) not in _TEXT
        or type(description) not in _TEXT
        or type(default) not in _TEXT
        or type(required) not in _FLAG
        or type(secret) not in _FLAG
    ):
        return None
    out: dict[str, Any] = {"description": description} if description else {}
    if required:
        out["isRequired"] = True
    if secret:
        out["isSecret"] = True
    if default:
        out["default"] = default
    out["name"] = name or ""
    return out


def _extensions(
    entry: dict[str, Any],
    status: str,
    metadata: dict[str, Any] | None,
    permissions: dict[str, Any] | None,
    provenance: dict[str, Any] | None,
) -> dict[str, Any] | None:
    """The extension block, keys in sorted order (None: not the plain shape)."""
    get = entry.get
    args, docker_tags, tags, tools = get("args"), get("docker_tags"), get("tags"), get("tools")
    proxy_port, stateless, overview, tier = (
        get("proxy_port"),
        get("stateless"),
        get("overview"),
        get("tier"),
    )
    if (
        not _texts_or_none(args)
        or not _texts_or_none(docker_tags)
        or not _texts_or_none(tags)
        or not _texts_or_none(tools)
        or not _exact_or_none(proxy_port)
        or type(stateless) not in _FLAG
    ):
        return None
    ext: dict[str, Any] = {"args": args} if args else {}
    if docker_tags:
        ext["docker_tags"] = docker_tags
    if metadata is not None:
        if (block := _metadata(metadata)) is None:
            return None
        ext["metadata"] = block
    if overview:
        ext["overview"] = overview
    if permissions is not None:
        if (block := _permissions(permissions)) is None:
            return None
        ext["permissions"] = block
    if provenance is not None:
        if (block := _provenance(provenance)) is None:
            return None
        ext["provenance"] = block
    return put_common_tail(
        ext,
        proxy_port=proxy_port,
        stateless=stateless,
        status=status,
        tags=tags,
        tier=tier,
        tool_definitions=None,
        tools=tools,
    )


def _metadata(metadata: dict[str, Any]) -> dict[str, Any] | None:
    stars, last_updated = metadata.get("stars"), metadata.get("last_updated")
    if metadata.get("kubernetes") is not None or type(last_updated) not in _TEXT:
        return None
    if not _exact_or_none(stars):
        return None
    out: dict[str, Any] = {"last_updated": last_updated} if last_updated else {}
    if stars:
        out["stars"] = stars
    return out


def _permissions(profile: dict[str, Any]) -> dict[str, Any] | None:
    get = profile.get
    name, read, write, privileged, network = (
        get("name"),
        get("read"),
        get("write"),
        get("privileged"),
        get("network"),
    )
    if (
        type(name) not in _TEXT
        or not _texts_or_none(read)
        or not _texts_or_none(write)
        or type(privileged) not in _FLAG
        or type(network) not in _OBJECT
    ):
        return None
    block = None
    if network is not None and (block := _network(network)) is None:
        return None
    return permissions_block(name, block, privileged, read, write)


def _network(network: dict[str, Any]) -> dict[str, Any] | None:
    mode, outbound, inbound = network.get("mode"), network.get("outbound"), network.get("inbound")
    if type(mode) not in _TEXT or type(outbound) not in _OBJECT or type(inbound) not in _OBJECT:
        return None
    out: dict[str, Any] = {}
    if inbound is not None:
        inbound_hosts = inbound.get("allow_host")
        if not _texts_or_none(inbound_hosts):
            return None
        out["inbound"] = {"allow_host": inbound_hosts} if inbound_hosts else {}
    if mode:
        out["mode"] = mode
    if outbound is not None:
        hosts, ports = outbound.get("allow_host"), outbound.get("allow_port")
        insecure_allow_all = outbound.get("insecure_allow_all")
        if (
            not _texts_or_none(hosts)
            or not _exact_integers_or_none(ports)
            or type(insecure_allow_all) not in _FLAG
        ):
            return None
        rules: dict[str, Any] = {"allow_host": hosts} if hosts else {}
        if ports:
            rules["allow_port"] = ports
        if insecure_allow_all:
            rules["insecure_allow_all"] = True
        out["outbound"] = rules
    return out


def _provenance(provenance: dict[str, Any]) -> dict[str, Any] | None:
    get = provenance.get
    values = (
        get("cert_issuer"),
        get("repository_ref"),
        get("repository_uri"),
        get("runner_environment"),
        get("signer_identity"),
        get("sigstore_url"),
    )
    if get("attestation") is not None or not _TEXT.issuperset(map(type, values)):
        return None
    cert_issuer, repository_ref, repository_uri, runner, signer, sigstore_url = values
    out: dict[str, Any] = {"cert_issuer": cert_issuer or ""}
    if repository_ref:
        out["repository_ref"] = repository_ref
    out["repository_uri"] = repository_uri or ""
    out["runner_environment"] = runner or ""
    out["signer_identity"] = signer or ""
    out["sigstore_url"] = sigstore_url or ""
    return out


def _empty_or_none(value: object, kind: type) -> bool:
    """None, or an empty `kind` (what the plain shape allows where an any-typed value goes)."""
    return value is None or (type(value) is kind and not value)


def _texts_or_none(value: object) -> bool:
    if value is None:
        return True
    if type(value) is not list:
        return False
    for item in value:  # a loop: faster than all() over a generator for short lists
        if type(item) is not str:
            break
    else:
        return True
    return False


def _exact_or_none(value: object) -> bool:
    return value is None or (type(value) is int and -FLOAT64_EXACT <= value <= FLOAT64_EXACT)


def _exact_integers_or_none(value: object) -> bool:
    if value is None:
        return True
    if type(value) is not list:
        return False
    for item in value:
        if type(item) is not int or not -FLOAT64_EXACT <= item <= FLOAT64_EXACT:
            break
    else:
        return True
    return False
