"""Read config.yaml into a ServerConfig (problems and warnings with key paths) and write it back."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

import yaml
from pydantic import ValidationError

from mcp_registry_common.config.auth import ALLOW_INSECURE_URLS
from mcp_registry_common.config.envoverrides import apply_env_overrides
from mcp_registry_common.config.notices import collect_notices, drop_unknown_keys, unknown_keys_in
from mcp_registry_common.config.server import ServerConfig
from mcp_registry_common.errorpaths import validation_problems
from mcp_registry_common.filtering import SourceFilter

MISSING_MESSAGES = {
    "auth": "auth configuration is required",
    "auth.mode": "auth.mode is required (must be 'anonymous' or 'oauth')",
    "auth.oauth.providers[*].name": "name is required",
    "auth.oauth.providers[*].issuerUrl": "issuerUrl is required",
    "auth.oauth.providers[*].audience": "audience is required",
    "sources[*].name": "name is required",
    "sources[*].syncPolicy.interval": "syncPolicy.interval is required",
    "sources[*].git.repository": "git.repository is required",
    "sources[*].api.endpoint": "api.endpoint is required",
    "registries[*].name": "name is required",
    "database.host": "database.host is required",
    "database.port": "database.port is required",
    "database.user": "database.user is required",
    "database.database": "database.database is required",
}
"""ToolHive's texts for absent required keys, by key pattern."""


class ConfigError(ValueError):
    """config.yaml is not a valid server config. `problems` holds every defect found, each
    `key.path[0]: message`; `warnings` the unknown keys (often the cause: `syncpolicy`)."""

    def __init__(self, problems: list[str], *, warnings: list[str] | None = None) -> None:
        self.problems = problems
        self.warnings = warnings or []
        super().__init__(
            "invalid configuration:\n" + "\n".join(f"  - {problem}" for problem in problems)
        )


@dataclass(frozen=True)
class LoadedConfig:
    """A valid config and the warnings (unknown keys, ignored settings) met while loading."""

    config: ServerConfig
    warnings: list[str] = field(default_factory=list)
    from_env: tuple[str, ...] = ()
    """The `THV_REGISTRY_*` variables that set a key (names only: values may be secrets)."""


def load_server_config_data(data: object, *, allow_insecure_urls: bool = False) -> LoadedConfig:
    """Validate an already-parsed document. `allow_insecure_urls` accepts http OAuth issuers
    (the server sets it from THV_REGISTRY_INSECURE_URL)."""
    if data is None:
        raise ConfigError(["config is empty: expected a mapping with sources, registries and auth"])
    if not isinstance(data, dict):
        kind = type(data).__name__
        raise ConfigError(
            [f"config must be a mapping with sources, registries and auth, not {kind}"]
        )
    data, warnings = _drop_unknown_filter_keys(data)
    try:
        config = ServerConfig.model_validate(
            data, context={ALLOW_INSECURE_URLS: allow_insecure_urls}
        )
    except ValidationError as exc:
        problems = validation_problems(exc, missing_messages=MISSING_MESSAGES)
        warnings += unknown_keys_in(data, ServerConfig)
        raise ConfigError(problems, warnings=warnings) from None
    return LoadedConfig(config=config, warnings=warnings + collect_notices(config))


def load_server_config(
    text: str | bytes,
    *,
    allow_insecure_urls: bool = False,
    env: Mapping[str, str] | None = None,
) -> LoadedConfig:
    """Parse and validate config.yaml content; raise ConfigError listing every problem. With
    `env`, its `THV_REGISTRY_<KEY>` variables override the file's keys (see `envoverrides`)."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError([f"invalid YAML: {yaml_error_text(exc)}"]) from None
    if env is None or not isinstance(data, dict):
        return load_server_config_data(data, allow_insecure_urls=allow_insecure_urls)
    overrides = apply_env_overrides(data, env, model=ServerConfig)
    loaded = load_server_config_data(overrides.document, allow_insecure_urls=allow_insecure_urls)
    return replace(loaded, from_env=tuple(key.variable for key in overrides.applied))


def load_server_config_file(
    path: str | Path, *, allow_insecure_urls: bool = False, env: Mapping[str, str] | None = None
) -> LoadedConfig:
    """`load_server_config` on a file; an unreadable file is a ConfigError too."""
    path = Path(path)
    try:
        text = path.read_bytes()
    except OSError as exc:
        raise ConfigError([f"cannot read {path}: {exc.strerror or exc}"]) from None
    return load_server_config(text, allow_insecure_urls=allow_insecure_urls, env=env)


def dump_server_config(config: ServerConfig) -> str:
    """config.yaml text: camelCase keys in model order, no null fields, no unknown keys and
    never a password (the operator stores this in a ConfigMap)."""
    data = config.model_dump(mode="json", by_alias=True, exclude_none=True)
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, default_flow_style=False)


def yaml_error_text(exc: yaml.YAMLError) -> str:
    """`line L, column C: problem` for a YAML syntax error (1-based, like editors)."""
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
    if mark is None:
        return str(problem)
    return f"line {mark.line + 1}, column {mark.column + 1}: {problem}"


def _drop_unknown_filter_keys(data: dict[str, object]) -> tuple[dict[str, object], list[str]]:
    """`filter:` is the shared strict SourceFilter; in a config file its unknown keys warn."""
    sources = data.get("sources")
    if not isinstance(sources, list):
        return data, []
    warnings: list[str] = []
    cleaned: list[object] = []
    for index, source in enumerate(sources):
        if isinstance(source, dict) and "filter" in source:
            loc = ("sources", index, "filter")
            filter_data, more = drop_unknown_keys(source["filter"], SourceFilter, loc)
            warnings.extend(more)
            source = {**source, "filter": filter_data}
        cleaned.append(source)
    return {**data, "sources": cleaned}, warnings
