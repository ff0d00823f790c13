"""Every config the ToolHive registry server documents loads (tests/data/toolhive-examples)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml
from mcp_registry_common.config import (
    ConfigError,
    LoadedConfig,
    load_server_config_data,
    load_server_config_file,
)

DATA = Path(__file__).resolve().parent / "data" / "toolhive-examples"
WHOLE = sorted([*(DATA / "examples").glob("*.yaml"), *(DATA / "docs").glob("*.yaml")])
FRAGMENTS = sorted((DATA / "docs-fragments").glob("*.yaml"))

SOURCE_BLOCKS = {"git", "api", "file", "managed", "kubernetes"}
SYNCED = {"git", "api", "file"}
BASE: dict[str, Any] = {
    "sources": [
        {
            "name": "base",
            "git": {"repository": "https://example.com/r.git"},
            "syncPolicy": {"interval": "30m"},
        }
    ],
    "registries": [{"name": "default", "sources": ["base"]}],
    "auth": {"mode": "anonymous"},
}


def assert_covers(dumped: object, written: object, where: str = "") -> None:
    """Every key and value written in the YAML survives into the model's dump: nothing was
    dropped as unknown or silently rewritten (defaults may add keys)."""
    if isinstance(written, dict):
        assert isinstance(dumped, dict), where
        for key, value in written.items():
            assert key in dumped, f"{where}.{key} missing from the loaded config"
            assert_covers(dumped[key], value, f"{where}.{key}")
    elif isinstance(written, list):
        assert isinstance(dumped, list), where
        assert len(dumped) == len(written), where
        for index, (got, want) in enumerate(zip(dumped, written, strict=True)):
            assert_covers(got, want, f"{where}[{index}]")
    else:
        assert dumped == written, where


def dump(loaded: LoadedConfig) -> dict[str, Any]:
    return loaded.config.model_dump(mode="json", by_alias=True, exclude_none=True)


def test_the_copied_set_is_complete() -> None:
    assert len(list((DATA / "examples").glob("config-*.yaml"))) == 14
    assert len(list((DATA / "docs").glob("*.yaml"))) == 5
    assert len(FRAGMENTS) == 22


@pytest.mark.parametrize("path", WHOLE, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_documented_config_loads_without_warnings(path: Path) -> None:
    loaded = load_server_config_file(path)

    assert loaded.warnings == []
    assert_covers(dump(loaded), yaml.safe_load(path.read_text()))


def splice(fragment: object) -> dict[str, Any]:
    """A minimal valid config with the documented snippet put where it belongs."""
    config = copy.deepcopy(BASE)
    source = config["sources"][0]
    if isinstance(fragment, list):  # a list of OAuth providers
        config["auth"] = {"mode": "oauth", "oauth": {"providers": fragment}}
        return config
    assert isinstance(fragment, dict)
    for key, value in fragment.items():
        if key in SOURCE_BLOCKS:
            del source["git"]
            source[key] = value
            if key not in SYNCED:
                del source["syncPolicy"]
        elif key in ("syncPolicy", "filter"):
            source[key] = value
        else:
            config[key] = value
    return config


@pytest.mark.parametrize("path", FRAGMENTS, ids=lambda p: p.name)
def test_documented_fragment_loads_in_a_minimal_config(path: Path) -> None:
    fragment = yaml.safe_load(path.read_text())
    config = splice(fragment)

    loaded = load_server_config_data(config)

    assert_covers(dump(loaded), config)
    expected = []
    if path.name == "configuration.md-3.yaml":  # branch, tag and commit all set
        expected = [
            "sources[0].git.tag: ignored: commit takes precedence (commit > tag > branch)",
            "sources[0].git.branch: ignored: commit takes precedence (commit > tag > branch)",
        ]
    assert loaded.warnings == expected


def test_the_git_fragment_resolves_to_its_commit() -> None:
    fragment = yaml.safe_load((DATA / "docs-fragments" / "configuration.md-3.yaml").read_text())

    git = load_server_config_data(splice(fragment)).config.sources[0].git

    assert git is not None
    assert (git.ref_kind, git.ref) == ("commit", "abc123")


@pytest.mark.parametrize(
    ("name", "problems"),
    [
        ("README.md-1.yaml", ["auth: auth configuration is required"]),
        (
            "README.md-2.yaml",
            ["sources[0].syncPolicy.interval: syncPolicy.interval is required"],
        ),
        (
            "configuration.md-1-minimal.yaml",
            [
                "sources[0].syncPolicy.interval: syncPolicy.interval is required",
                "auth: auth configuration is required",
            ],
        ),
        (
            "configuration.md-14-development.yaml",
            [
                "sources[0].syncPolicy.interval: syncPolicy.interval is required",
                "registries: at least one registry must be configured",
            ],
        ),
        ("deployment-docker.md-1.yaml", ["auth: auth configuration is required"]),
    ],
)
def test_snippets_toolhive_rejects_are_rejected_for_the_same_reasons(
    name: str, problems: list[str]
) -> None:
    with pytest.raises(ConfigError) as caught:
        load_server_config_file(DATA / "docs-rejected" / name)

    assert caught.value.problems == problems
