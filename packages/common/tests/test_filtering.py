"""Source filters on upstream servers: the fictional sample's expected-results table, the name
and tag rules (exclude wins, fail closed on bad patterns), tag extraction and filter hashes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from mcp_registry_common.filtering import (
    PatternFilter,
    SourceFilter,
    apply_filter,
    apply_name_filter,
    filter_hash,
    name_allowed,
    server_allowed,
    server_tags,
    tags_allowed,
)
from mcp_registry_common.formats import item_key

REPO = Path(__file__).resolve().parents[3]
TESTDATA = REPO / "testdata"
EXAMPLES = REPO / "examples"
FICTIONAL = TESTDATA / "registry-samples" / "fictional" / "registry-upstream.json"
PP = "io.modelcontextprotocol.registry/publisher-provided"


def fictional_servers() -> list[dict[str, Any]]:
    servers: list[dict[str, Any]] = json.loads(FICTIONAL.read_bytes())["data"]["servers"]
    return servers


def seed_filter() -> SourceFilter:
    """`filter:` of shared/seed/examples/07-filtered.yaml."""
    manifest = yaml.safe_load((EXAMPLES / "07-filtered.yaml").read_text())
    return SourceFilter.model_validate(manifest["spec"]["sources"][0]["filter"])


def names(servers: list[dict[str, Any]]) -> list[str]:
    return sorted(server["name"] for server in servers)


# --- fictional/README.md, "Expected results for filters" --------------------------------------


def test_seed_example_filter_on_the_fictional_registry() -> None:
    assert names(apply_filter(fictional_servers(), seed_filter())) == [
        "official/acme-docs",
        "official/acme-search",
    ]


@pytest.mark.parametrize(
    ("wire", "expected"),
    [
        (
            {"names": {"include": ["official/*"]}},
            ["official/acme-docs", "official/acme-search", "official/metrics-sandbox"],
        ),
        (
            {"tags": {"include": ["production"], "exclude": ["experimental"]}},
            ["io.github.stacklok/pg-explorer", "official/acme-docs", "official/acme-search"],
        ),
        (
            {"tags": {"exclude": ["experimental"]}},
            [
                "io.github.stacklok/issue-tracker-cloud",
                "io.github.stacklok/legacy-analytics",
                "io.github.stacklok/legacy-jira",
                "io.github.stacklok/pg-explorer",
                "official/acme-docs",
                "official/acme-search",
            ],
        ),
        ({"names": {"exclude": ["*/deprecated"]}}, None),  # no sample name matches
        ({}, None),
        ({"names": {}, "tags": {}}, None),
    ],
)
def test_expected_results_table(wire: dict[str, Any], expected: list[str] | None) -> None:
    servers = fictional_servers()
    result = apply_filter(servers, SourceFilter.model_validate(wire))
    assert names(result) == (expected if expected is not None else names(servers))


def test_apply_filter_keeps_order_and_objects() -> None:
    servers = fictional_servers()
    kept = apply_filter(servers, SourceFilter.model_validate({"tags": {"include": ["remote"]}}))
    assert [s["name"] for s in kept] == [s["name"] for s in servers if "remote" in server_tags(s)]
    assert all(any(k is s for s in servers) for k in kept)
    assert apply_filter(servers, None) == servers
    assert apply_filter(iter(servers), None) == servers


# --- names -------------------------------------------------------------------------------------


def pf(include: list[str] | None = None, exclude: list[str] | None = None) -> PatternFilter:
    return PatternFilter(include=include or [], exclude=exclude or [])


@pytest.mark.parametrize(
    ("name", "include", "exclude", "expected"),
    [
        ("official/a", [], [], True),
        ("official/a", ["official/*"], [], True),
        ("other/a", ["official/*"], [], False),
        ("official/a", ["official/*"], ["*/a"], False),  # exclude wins
        ("official/a", [], ["*/a"], False),
        ("official/b", [], ["*/a"], True),
        ("io.github.x/y-prod", ["*-prod"], [], True),  # `*` crosses `/`
        ("official/a", ["other/*", "official/*"], [], True),  # any include
        # an invalid pattern excludes (fail closed) ...
        ("official/a", [], ["[bad"], False),
        ("official/a", ["[bad"], [], False),
        ("official/a", ["[bad", "official/*"], [], False),
        # ... except an include that ToolHive never reaches: an earlier include matched first
        ("official/a", ["official/*", "[bad"], [], True),
        ("official/a", ["official/*"], ["nomatch/*", "[bad"], False),
    ],
)
def test_name_allowed(name: str, include: list[str], exclude: list[str], expected: bool) -> None:
    assert name_allowed(name, pf(include, exclude)) is expected


def test_name_allowed_without_filter() -> None:
    assert name_allowed("anything", None)


# --- tags --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tags", "include", "exclude", "expected"),
    [
        ({"a"}, [], [], True),
        (set(), [], [], True),
        (set(), ["a"], [], False),  # include needs a tag
        (set(), [], ["a"], True),
        ({"a", "b"}, ["b", "c"], [], True),  # any overlap
        ({"a"}, ["b"], [], False),
        ({"a", "b"}, ["a"], ["b"], False),  # any exclude tag rejects
        ({"production"}, ["Production"], [], False),  # exact strings
        ({"prod-eu"}, ["prod*"], [], False),  # no globs for tags
    ],
)
def test_tags_allowed(
    tags: set[str], include: list[str], exclude: list[str], expected: bool
) -> None:
    assert tags_allowed(tags, pf(include, exclude)) is expected
    assert tags_allowed(list(tags), pf(include, exclude)) is expected


def test_tags_allowed_without_filter() -> None:
    assert tags_allowed([], None)


def ext_server(name: str, provided: object) -> dict[str, Any]:
    return {"name": name, "description": "d", "version": "1", "_meta": {PP: provided}}


@pytest.mark.parametrize(
    ("server", "tags"),
    [
        (ext_server("a/b", {"io.github.stacklok": {"img": {"tags": ["x", "y"]}}}), {"x", "y"}),
        (
            ext_server(
                "a/b",
                {
                    "io.github.stacklok": {"img": {"tags": ["x"]}, "other": {"tags": ["y"]}},
                    "com.acme": {"artifact": {"tags": ["z", 5, None]}},
                },
            ),
            {"x", "y", "z"},
        ),
        (ext_server("a/b", {"io.github.stacklok": {"img": {"tags": "x"}}}), set()),
        (ext_server("a/b", {"io.github.stacklok": {"tags": ["top-level"]}}), set()),
        (ext_server("a/b", {"io.github.stacklok": "x", "n": None, "m": {"k": 1}}), set()),
        (ext_server("a/b", "not an object"), set()),
        ({"name": "a/b", "_meta": []}, set()),
        ({"name": "a/b", "_meta": {"other": {"ns": {"a": {"tags": ["x"]}}}}}, set()),
        ({"name": "a/b"}, set()),
    ],
)
def test_server_tags(server: dict[str, Any], tags: set[str]) -> None:
    assert server_tags(server) == tags


def test_server_tags_of_the_samples() -> None:
    by_name = {s["name"]: server_tags(s) for s in fictional_servers()}
    assert by_name["official/metrics-sandbox"] == {
        "monitoring",
        "prometheus",
        "production",
        "experimental",
    }


def test_server_allowed_needs_name_and_tags() -> None:
    server = ext_server("official/a", {"io.github.stacklok": {"img": {"tags": ["prod"]}}})
    both = SourceFilter(names=pf(["official/*"]), tags=pf(["prod"]))
    assert server_allowed(server, both)
    assert not server_allowed(server, SourceFilter(names=pf(["other/*"]), tags=pf(["prod"])))
    assert not server_allowed(server, SourceFilter(names=pf(["official/*"]), tags=pf(["dev"])))
    assert server_allowed(server, None)
    assert server_allowed(server, SourceFilter())
    assert not server_allowed({"name": 5}, SourceFilter(names=pf(["*5"])))


# --- filter_hash -------------------------------------------------------------------------------


def test_filter_hash_is_stable_hex_sha256() -> None:
    digest = filter_hash(seed_filter())
    assert len(digest) == 64
    assert int(digest, 16) >= 0
    assert digest == filter_hash(seed_filter())
    assert digest == filter_hash(SourceFilter.model_validate(seed_filter().to_wire()))


def test_filters_with_the_same_effect_hash_alike() -> None:
    empty = filter_hash(None)
    assert filter_hash(SourceFilter()) == empty
    assert filter_hash(SourceFilter(names=pf(), tags=pf())) == empty
    assert filter_hash(SourceFilter.model_validate({"names": {"include": []}})) == empty


@pytest.mark.parametrize(
    "other",
    [
        SourceFilter(names=pf(["official/*"])),
        SourceFilter(names=pf(exclude=["official/*"])),
        SourceFilter(tags=pf(["official/*"])),
        SourceFilter(names=pf(["official/*", "x/*"])),
        SourceFilter(names=pf(["x/*", "official/*"])),  # order matters for invalid patterns
    ],
)
def test_filter_hash_changes_with_the_filter(other: SourceFilter) -> None:
    assert filter_hash(other) != filter_hash(None)


def test_filter_hashes_are_all_distinct() -> None:
    filters = [
        SourceFilter(names=pf(["a"])),
        SourceFilter(names=pf(exclude=["a"])),
        SourceFilter(tags=pf(["a"])),
        SourceFilter(tags=pf(exclude=["a"])),
        SourceFilter(names=pf(["a", "b"])),
        SourceFilter(names=pf(["b", "a"])),
    ]
    assert len({filter_hash(f) for f in filters}) == len(filters)


def test_skills_and_plugins_pass_the_name_filter_on_namespace_and_name_only() -> None:
    items = [
        {"namespace": "io.acme", "name": "pdf"},
        {"namespace": "io.acme", "name": "secret-notes"},
        {"namespace": "io.other", "name": "pdf"},
    ]
    f = SourceFilter.model_validate(
        {"names": {"include": ["io.acme/*"], "exclude": ["*/secret-*"]}, "tags": {"include": ["x"]}}
    )
    kept = apply_name_filter(items, f, key=item_key)
    assert kept == [items[0]]  # the tag filter does not apply to them (registry-server §4)
    tags_only = SourceFilter.model_validate({"tags": {"include": ["x"]}})
    assert apply_name_filter(items, tags_only, key=item_key) == items
