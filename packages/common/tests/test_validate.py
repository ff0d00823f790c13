"""Classifying documents and collecting their problems (mcp_registry_common.validate)."""

from __future__ import annotations

from pathlib import Path

import pytest
from mcp_registry_common.validate import (
    UNRECOGNISED,
    DocumentKind,
    classify,
    expand_paths,
    validate_file,
)

REPO = Path(__file__).resolve().parents[3]
TESTDATA = REPO / "testdata"
EXAMPLES = REPO / "examples"
DATA = Path(__file__).resolve().parent / "data" / "validate"

MANIFEST = """\
apiVersion: toolhive.stacklok.dev/v1alpha1
kind: MCPRegistry
metadata:
  name: {name}
spec:
  authConfig:
    mode: anonymous
  sources:
    - name: local
      configMapRef:
        name: registry-data
        key: registry.json
      syncPolicy:
        interval: '{interval}'
  registries:
    - name: default
      sources: ['local']
"""


@pytest.mark.parametrize(
    ("doc", "kind"),
    [
        ({"apiVersion": "toolhive.stacklok.dev/v1alpha1", "kind": "MCPRegistry"}, "MCPRegistry"),
        ({"kind": "MCPRegistry"}, "MCPRegistry"),
        ({"apiVersion": "v1", "kind": "Secret", "stringData": {}}, None),
        ({"sources": [], "auth": {}}, "server config"),
        ({"registries": []}, "server config"),
        ({"version": "1.0.0", "data": {"servers": []}}, "registry data"),
        ({"servers": {}}, "registry data"),
        ({"remote_servers": {}}, "registry data"),
    ],
)
def test_classify(doc: dict[str, object], kind: DocumentKind | None) -> None:
    assert classify(doc) == kind


@pytest.mark.parametrize("doc", [{"name": "x"}, ["a"], "text", 3])
def test_classify_rejects_other_documents(doc: object) -> None:
    with pytest.raises(ValueError, match="not an MCPRegistry manifest"):
        classify(doc)


def test_expand_paths_lists_a_directory_sorted_and_keeps_files() -> None:
    files = expand_paths([EXAMPLES, DATA / "broken-config.yaml"])

    assert [p.name for p in files[:2]] == ["01-minimal.yaml", "02-git.yaml"]
    assert len(files) == 14
    assert files[-1] == DATA / "broken-config.yaml"


def test_every_seed_example_is_valid_and_secrets_are_ignored() -> None:
    reports = [validate_file(p) for p in expand_paths([EXAMPLES])]

    assert [r.problems for r in reports] == [[]] * 13
    assert sum(r.checked["MCPRegistry"] for r in reports) == 13
    assert sum(r.ignored for r in reports) == 2


def test_shared_registry_samples_are_valid() -> None:
    samples = TESTDATA / "registry-samples"
    paths = [
        samples / "toolhive-legacy-real-subset.json",
        samples / "toolhive-upstream-real-subset.json",
        samples / "fictional" / "registry-legacy.json",
        samples / "fictional" / "registry-upstream.json",
    ]

    for path in paths:
        report = validate_file(path)
        assert (report.problems, report.checked["registry data"]) == ([], 1), path


def test_a_broken_manifest_reports_each_field() -> None:
    report = validate_file(DATA / "broken-mcpregistry.yaml")

    assert report.ignored == 1
    assert report.problems == [
        "spec.sources[0].git.repository: required key is missing",
        "spec.sources[0].syncPolicy.interval: invalid duration: use Go duration syntax "
        "such as '30s', '15m', '1h30m'",
        "spec.authConfig.mode: Input should be 'anonymous' or 'oauth'",
    ]


def test_a_broken_config_reports_problems_and_unknown_keys() -> None:
    report = validate_file(DATA / "broken-config.yaml")

    assert report.problems == [
        "sources[0].name: name 'Local_Files' must be a valid DNS subdomain "
        "(lowercase alphanumeric and hyphens, max 63 chars)"
    ]
    assert report.warnings == ["sources[0].syncPolicy.jitter: unknown key (ignored)"]


def test_a_broken_registry_file_reports_the_json_path() -> None:
    report = validate_file(DATA / "broken-registry.json")

    assert report.problems == [
        "data.servers[1].name: must match ^[a-zA-Z0-9.-]+/[a-zA-Z0-9._-]+$, got 'no-namespace'"
    ]


def test_a_yaml_registry_file_is_checked_too(tmp_path: Path) -> None:
    path = tmp_path / "registry.yaml"
    path.write_text("version: 1.0.0\nmeta: {last_updated: '2026-01-01T00:00:00Z'}\ndata: {}\n")

    assert validate_file(path).problems == ["data.servers: servers is required"]


def test_several_documents_get_their_index_in_the_path(tmp_path: Path) -> None:
    path = tmp_path / "two.yaml"
    good = MANIFEST.format(name="a", interval="1h")
    bad = MANIFEST.format(name="b", interval="soon")
    path.write_text(f"{good}---\n---\n{bad}---\n[1, 2]\n")

    report = validate_file(path)

    assert report.checked["MCPRegistry"] == 2
    assert report.problems == [
        "documents[1].spec.sources[0].syncPolicy.interval: invalid duration: use Go duration "
        "syntax such as '30s', '15m', '1h30m'",
        f"documents[2]: {UNRECOGNISED}",
    ]


@pytest.mark.parametrize(
    ("name", "text", "problem"),
    [
        ("empty.yaml", "# nothing\n", "the file holds no document"),
        ("bad.yaml", "a: [1,\n", "invalid YAML: line 2, column 1: expected the node content"),
        ("bad.json", '{"data": }', "invalid JSON: line 1, column 10: Expecting value"),
        ("list.yaml", "- 1\n", UNRECOGNISED),
    ],
)
def test_files_that_do_not_decode(tmp_path: Path, name: str, text: str, problem: str) -> None:
    path = tmp_path / name
    path.write_text(text)

    assert validate_file(path).problems[0].startswith(problem)


def test_a_missing_file(tmp_path: Path) -> None:
    assert validate_file(tmp_path / "nope.yaml").problems == [
        "cannot read: No such file or directory"
    ]
