"""A server config.yaml (and pgpass) as the process outside the container must read them.

Test-only container simulation: the config the operator wrote is parsed with the common
models (so it is checked exactly as the server checks it); every file path it names goes
through the pod's mount table and every in-cluster host:port through cluster DNS. Only
those values change; the rest of the YAML document is kept as the operator rendered it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import yaml
from mcp_registry_common.config import ServerConfig, load_server_config

PathMap = Callable[[str], str]
"""Container path -> host path."""
HostMap = Callable[[str, int], tuple[str, int] | None]
"""(host, port) -> the loopback (host, port) serving it, or None to keep the name."""
Loc = tuple[str | int, ...]
_DEFAULT_PORTS = {"http": 80, "https": 443}
_PROVIDER_FILES = ("clientSecretFile", "caCertPath", "authTokenFile")
_PROVIDER_URLS = ("jwksUrl", "introspectionUrl")


class PodConfigError(ValueError):
    """The config in the ConfigMap does not load (the server would refuse it too)."""


@dataclass(frozen=True)
class Rewrite:
    """One value changed: where (wire key path), from what, to what."""

    loc: Loc
    old: object
    new: object

    def __str__(self) -> str:
        return f"{'.'.join(map(str, self.loc))}: {self.old} -> {self.new}"


def _file_locs(config: ServerConfig) -> Iterator[tuple[Loc, str]]:
    for i, source in enumerate(config.sources):
        auth = source.git.auth if source.git is not None else None
        if auth is not None and auth.password_file is not None:
            yield ("sources", i, "git", "auth", "passwordFile"), auth.password_file
        if source.file is not None and source.file.path is not None:
            yield ("sources", i, "file", "path"), source.file.path
    if config.database is not None and config.database.ssl_root_cert is not None:
        yield ("database", "sslRootCert"), config.database.ssl_root_cert
    if config.auth.oauth is not None:
        for j, provider in enumerate(config.auth.oauth.providers):
            for key in _PROVIDER_FILES:
                value = provider.model_dump(by_alias=True).get(key)
                if value is not None:
                    yield ("auth", "oauth", "providers", j, key), value
    if config.audit is not None and config.audit.log_file is not None:
        yield ("audit", "logFile"), config.audit.log_file


def _url_locs(config: ServerConfig) -> Iterator[tuple[Loc, str]]:
    for i, source in enumerate(config.sources):
        if source.git is not None:
            yield ("sources", i, "git", "repository"), source.git.repository
        if source.api is not None:
            yield ("sources", i, "api", "endpoint"), source.api.endpoint
        if source.file is not None and source.file.url is not None:
            yield ("sources", i, "file", "url"), source.file.url
    if config.auth.oauth is not None:
        for j, provider in enumerate(config.auth.oauth.providers):
            for key in _PROVIDER_URLS:
                value = provider.model_dump(by_alias=True).get(key)
                if value is not None:
                    yield ("auth", "oauth", "providers", j, key), value


def map_url(url: str, hosts: HostMap) -> str:
    """`url` with its host:port replaced when cluster DNS maps it (http/https URLs only)."""
    parts = urlsplit(url)
    if parts.scheme not in _DEFAULT_PORTS or not parts.hostname:
        return url
    port = parts.port or _DEFAULT_PORTS[parts.scheme]
    mapped = hosts(parts.hostname, port)
    if mapped is None:
        return url
    userinfo = parts.netloc.rpartition("@")[0]
    netloc = f"{userinfo}@" if userinfo else ""
    return urlunsplit(parts._replace(netloc=f"{netloc}{mapped[0]}:{mapped[1]}"))


def planned_rewrites(config: ServerConfig, *, paths: PathMap, hosts: HostMap) -> list[Rewrite]:
    """Every value of `config` that differs outside the container, in document order."""
    out = [Rewrite(loc, old, paths(old)) for loc, old in _file_locs(config)]
    out += [Rewrite(loc, old, map_url(old, hosts)) for loc, old in _url_locs(config)]
    if config.database is not None:
        mapped = hosts(config.database.host, config.database.port)
        if mapped is not None:
            out.append(Rewrite(("database", "host"), config.database.host, mapped[0]))
            out.append(Rewrite(("database", "port"), config.database.port, mapped[1]))
    return [r for r in out if r.new != r.old]


def _set(document: Any, loc: Loc, value: object) -> None:
    for key in loc[:-1]:
        document = document[key]
    document[loc[-1]] = value


def rewrite_server_config(
    text: str, *, paths: PathMap, hosts: HostMap
) -> tuple[str, list[Rewrite]]:
    """The config as the process outside the container reads it, and what was changed."""
    try:
        loaded = load_server_config(text, allow_insecure_urls=True)
    except ValueError as exc:
        raise PodConfigError(f"config.yaml from the ConfigMap does not load: {exc}") from exc
    rewrites = planned_rewrites(loaded.config, paths=paths, hosts=hosts)
    document = yaml.safe_load(text)
    for rewrite in rewrites:
        _set(document, rewrite.loc, rewrite.new)
    return yaml.safe_dump(document, sort_keys=False), rewrites


def rewrite_pgpass(text: str, *, hosts: HostMap) -> str:
    """pgpass lines whose host:port cluster DNS maps, pointed at the loopback address.

    libpq matches pgpass lines against the host it connects to; outside the container that
    is the loopback address the in-cluster name stands for, so the lines must follow.
    """
    out = []
    for line in text.splitlines():
        fields = _split_pgpass(line)
        if len(fields) == 5 and fields[1].isdigit():
            mapped = hosts(fields[0].replace("\\:", ":"), int(fields[1]))
            if mapped is not None:
                line = ":".join([mapped[0], str(mapped[1]), *fields[2:]])
        out.append(line)
    return "".join(f"{line}\n" for line in out)


def _split_pgpass(line: str) -> list[str]:
    """Split on unescaped colons, keeping escapes (fields are re-joined verbatim)."""
    fields: list[str] = []
    current, escaped = "", False
    for char in line:
        if escaped:
            current, escaped = current + char, False
        elif char == "\\":
            current, escaped = current + char, True
        elif char == ":" and len(fields) < 4:
            fields.append(current)
            current = ""
        else:
            current += char
    return [*fields, current]
