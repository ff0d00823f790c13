"""Roles and claim matching as toolhive-registry-server does them (internal/auth/roles.go,
internal/service/db/claims_filter.go), including the seed authz example and §11 scenario 4."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from mcp_registry_common.claims import (
    Role,
    claim_strings,
    claims_subset,
    claims_visible,
    resolve_roles,
    rule_matches,
)

REPO = Path(__file__).resolve().parents[3]
SEED = REPO / "examples"
ALL = frozenset(Role)


def seed_roles() -> dict[str, list[dict[str, object]]]:
    """`authz.roles` of shared/seed/examples/11-authz.yaml."""
    manifest = yaml.safe_load((SEED / "11-authz.yaml").read_text())
    roles: dict[str, list[dict[str, object]]] = manifest["spec"]["authConfig"]["authz"]["roles"]
    return roles


def test_role_values() -> None:
    assert [role.value for role in Role] == [
        "superAdmin",
        "manageSources",
        "manageRegistries",
        "manageEntries",
    ]
    assert Role("manageEntries") is Role.MANAGE_ENTRIES
    assert Role.SUPER_ADMIN == "superAdmin"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("a", frozenset({"a"})),
        ("", frozenset({""})),
        (["a", "b", "a"], frozenset({"a", "b"})),
        ([], frozenset()),
        (("a",), frozenset({"a"})),
        (["a", 1], None),
        ([None], None),
        (1, None),
        (True, None),
        (None, None),
        ({"a": "b"}, None),
    ],
)
def test_claim_strings(value: object, expected: frozenset[str] | None) -> None:
    assert claim_strings(value) == expected


# --- role rules --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "token", "expected"),
    [
        ({"role": "admin"}, {"role": "admin"}, True),
        ({"role": "admin"}, {"role": ["user", "admin"]}, True),  # token array: any value
        ({"role": ["admin", "owner"]}, {"role": "owner"}, True),  # rule array: any value
        ({"org": "acme", "role": "admin"}, {"org": "acme", "role": "admin", "x": 1}, True),
        ({"org": "acme", "role": "admin"}, {"org": "acme"}, False),  # every key needed
        ({"org": "acme", "role": "admin"}, {"org": "other", "role": "admin"}, False),
        ({}, {"role": "admin"}, False),  # empty rule never matches
        ({"role": []}, {"role": "admin"}, False),  # empty rule value never matches
        ({"role": "admin"}, {"Role": "admin"}, False),  # keys are case-sensitive
        ({"role": "admin"}, {"role": "Admin"}, False),
        ({"level": "1"}, {"level": 1}, False),  # non-string token values never match
        ({"admin": "true"}, {"admin": True}, False),
        ({"role": "admin"}, {"role": {"admin": True}}, False),
        ({"role": "admin"}, {"role": None}, False),
        ({"role": "admin"}, {"role": [1, "admin"]}, True),  # string items of a token array
        ({"role": "admin"}, {}, False),
    ],
)
def test_rule_matches(rule: dict[str, object], token: dict[str, object], expected: bool) -> None:
    assert rule_matches(rule, token) is expected


def test_no_authz_block_grants_every_role() -> None:
    assert resolve_roles(None, {}) == ALL
    assert resolve_roles(None, {"sub": "anyone"}) == ALL


@pytest.mark.parametrize(
    ("token", "expected"),
    [
        ({"org": "acme", "role": "admin"}, {Role.MANAGE_SOURCES, Role.MANAGE_REGISTRIES}),
        ({"org": "acme", "role": ["admin", "writer"]},
         {Role.MANAGE_SOURCES, Role.MANAGE_REGISTRIES, Role.MANAGE_ENTRIES}),
        ({"role": "writer"}, {Role.MANAGE_ENTRIES}),
        ({"org": "other", "role": "writer"}, {Role.MANAGE_ENTRIES}),
        ({"role": "super-admin"}, set(ALL)),  # superAdmin implies all
        ({"org": "other", "role": "admin"}, set()),
        ({"role": "admin"}, set()),  # org missing
        ({"org": "acme"}, set()),
        ({}, set()),
    ],
)  # fmt: skip
def test_seed_authz_example_roles(token: dict[str, object], expected: set[Role]) -> None:
    assert resolve_roles(seed_roles(), token) == frozenset(expected)


def test_resolve_roles_edge_cases() -> None:
    token = {"role": "admin"}
    assert resolve_roles({}, token) == frozenset()  # an authz block without roles
    assert resolve_roles({"manageSources": []}, token) == frozenset()
    assert resolve_roles({"manageSources": None}, token) == frozenset()
    assert resolve_roles({"manageSources": [{}]}, token) == frozenset()
    assert resolve_roles({Role.MANAGE_SOURCES: [{"role": "admin"}]}, token) == {Role.MANAGE_SOURCES}
    # any rule of the list grants the role
    rules = [{"role": "nobody"}, {"role": "admin"}]
    assert resolve_roles({"manageEntries": rules}, token) == {Role.MANAGE_ENTRIES}
    assert resolve_roles({"unknownRole": [{"role": "admin"}]}, token) == frozenset()
    assert resolve_roles({"superadmin": [{"role": "admin"}]}, token) == frozenset()


# --- claim gates -------------------------------------------------------------------------------

CALLER = {"sub": "u1", "org": "acme", "team": ["platform", "data"], "level": 3}


@pytest.mark.parametrize(
    ("resource", "caller", "super_admin", "expected"),
    [
        ({"org": "acme"}, None, False, True),  # no caller claims: auth off or anonymous
        (None, None, False, True),
        ({"org": "other"}, CALLER, True, True),  # superAdmin bypass
        (None, CALLER, True, True),
        (None, CALLER, False, False),  # unclaimed: default deny
        ({}, CALLER, False, False),
        ({"org": "acme"}, CALLER, False, True),
        ({"org": "other"}, CALLER, False, False),
        ({"org": "acme", "team": "platform"}, CALLER, False, True),
        ({"org": "acme", "team": "security"}, CALLER, False, False),  # AND across keys
        ({"team": ["security", "data"]}, CALLER, False, True),  # OR within arrays
        ({"region": "eu"}, CALLER, False, False),  # key missing on the caller
        ({"team": []}, CALLER, False, True),  # [] only needs the key
        ({"region": []}, CALLER, False, False),
        ({"level": []}, CALLER, False, True),  # presence, whatever the caller's type
        ({"level": "3"}, CALLER, False, False),  # non-string caller value never matches
        ({"org": 1}, CALLER, False, False),  # bad resource types fail closed
        ({"org": ["acme", 1]}, CALLER, False, False),
        ({"org": None}, CALLER, False, False),
        ({"org": {"a": "b"}}, CALLER, False, False),
        ({"Org": "acme"}, CALLER, False, False),  # case-sensitive keys
        ({"org": "acme"}, {}, False, False),  # empty (non-None) caller claims are checked
    ],
)
def test_claims_visible(
    resource: dict[str, Any] | None,
    caller: dict[str, Any] | None,
    super_admin: bool,
    expected: bool,
) -> None:
    assert claims_visible(resource, caller, super_admin=super_admin) is expected


@pytest.mark.parametrize(
    ("new", "caller", "super_admin", "expected"),
    [
        ({"org": "acme"}, None, False, True),
        ({"org": "other"}, CALLER, True, True),
        ({"org": "acme"}, CALLER, False, True),
        ({"team": "platform"}, CALLER, False, True),
        ({"team": ["platform", "data"]}, CALLER, False, True),  # caller holds both
        ({"team": ["platform", "security"]}, CALLER, False, False),  # AND within arrays
        ({"org": "acme", "team": ["data"]}, CALLER, False, True),
        ({"org": "acme", "region": "eu"}, CALLER, False, False),
        ({"team": []}, CALLER, False, True),
        ({"team": 5}, CALLER, False, False),
        (None, CALLER, False, False),  # unclaimed resources: only superAdmin may create them
        ({}, CALLER, False, False),
        ({}, CALLER, True, True),
        ({}, None, False, True),
    ],
)
def test_claims_subset(
    new: dict[str, Any] | None, caller: dict[str, Any] | None, super_admin: bool, expected: bool
) -> None:
    assert claims_subset(new, caller, super_admin=super_admin) is expected


def test_scenario_4_array_claims_or_for_reads_and_for_publish() -> None:
    """registry-server.md §11 scenario 4."""
    entry = {"team": ["platform", "data"]}
    platform_writer = {"sub": "w1", "role": "writer", "team": "platform"}
    data_writer = {"sub": "w2", "role": "writer", "team": ["data"]}
    both_teams = {"sub": "w3", "role": "writer", "team": ["platform", "data", "ops"]}
    outsider = {"sub": "o", "role": "writer", "team": "security"}
    # reads: visible to either team
    assert claims_visible(entry, platform_writer)
    assert claims_visible(entry, data_writer)
    assert not claims_visible(entry, outsider)
    # publish with team:[platform,data]: a platform-only writer is refused (403)
    assert not claims_subset(entry, platform_writer)
    assert not claims_subset(entry, data_writer)
    assert claims_subset(entry, both_teams)
    assert claims_subset({"team": "platform"}, platform_writer)


def test_seed_authz_example_registry_gate() -> None:
    """Registry `platform` of 11-authz.yaml carries org=acme, team=platform."""
    registry = {"org": "acme", "team": "platform"}
    assert claims_visible(registry, {"org": "acme", "team": "platform", "role": "writer"})
    assert not claims_visible(registry, {"org": "acme", "team": "data", "role": "admin"})
    assert claims_visible(registry, {"role": "super-admin"}, super_admin=True)
