"""Claims: the string-or-list-of-strings maps carried by sources, registries, entries and
role rules, and the pure functions that match them against a caller's token claims."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import Annotated, Final, TypeVar

from pydantic import Field

ClaimValue = Annotated[
    str | Annotated[list[Annotated[str, Field(max_length=256)]], Field(max_length=64)],
    Field(description="A claim value: a string, or a list of strings (any of which matches)."),
]
"""One claim value. Numbers, booleans and objects are rejected: they never match a token."""

Claims = dict[str, ClaimValue]
"""Claim key -> value. Keys keep their case (unlike ToolHive's viper, which lower-cases them)."""


class Role(StrEnum):
    """The four fixed authorization roles (toolhive-registry-server internal/auth/roles.go)."""

    SUPER_ADMIN = "superAdmin"
    MANAGE_SOURCES = "manageSources"
    MANAGE_REGISTRIES = "manageRegistries"
    MANAGE_ENTRIES = "manageEntries"


ALL_ROLES: Final = frozenset(Role)
"""What a caller holds when no authz block is configured, and what superAdmin implies."""

_ROLE_VALUES: Final = frozenset(role.value for role in Role)
_RoleKey = TypeVar("_RoleKey", bound=str)  # Role | str, but any str subtype as a mapping key


def claim_strings(value: object) -> frozenset[str] | None:
    """A claim value as a set: a string gives {s}, a list of strings its set; anything else
    (numbers, booleans, objects, null, lists holding non-strings) is None and never matches."""
    if isinstance(value, str):
        return frozenset((value,))
    if isinstance(value, list | tuple) and all(isinstance(item, str) for item in value):
        return frozenset(value)
    return None


def _token_strings(value: object) -> frozenset[str]:
    """A token claim as ToolHive reads it: a string, or the string items of an array."""
    if isinstance(value, str):
        return frozenset((value,))
    if isinstance(value, list | tuple):
        return frozenset(item for item in value if isinstance(item, str))
    return frozenset()


def rule_matches(rule: Mapping[str, object], token: Mapping[str, object]) -> bool:
    """A role rule matches when it is non-empty and EVERY key is in the token with at least one
    value in common (keys are case-sensitive; an empty rule or empty rule value never matches)."""
    if not rule:
        return False
    for key, required in rule.items():
        if key not in token:
            return False
        wanted = claim_strings(required)
        if not wanted or wanted.isdisjoint(_token_strings(token[key])):
            return False
    return True


def resolve_roles(
    roles: Mapping[_RoleKey, Sequence[Mapping[str, object]] | None] | None,
    token: Mapping[str, object],
) -> frozenset[Role]:
    """The caller's roles. No authz block (None) grants all four; otherwise a role is granted
    when ANY of its rules matches, and superAdmin implies every role. Keys are Role members or
    their string values (a config's `dict[RoleName, ...]` fits); unknown names grant nothing."""
    if roles is None:
        return ALL_ROLES
    granted: set[Role] = set()
    for name, rules in roles.items():
        if name not in _ROLE_VALUES:
            continue
        if any(rule_matches(rule, token) for rule in rules or ()):
            granted.add(Role(name))
    return ALL_ROLES if Role.SUPER_ADMIN in granted else frozenset(granted)


def claims_visible(
    resource: Mapping[str, object] | None,
    caller: Mapping[str, object] | None,
    *,
    super_admin: bool = False,
) -> bool:
    """Read rule (OR within arrays). True when there are no caller claims (anonymous, or authz
    off) or the caller is superAdmin. Otherwise a resource without claims is hidden
    (default deny), and every resource key must be in the caller's claims with a value in
    common; a resource value `[]` only needs the key; a malformed resource value denies."""
    return _claims_gate(resource, caller, super_admin=super_admin, subset=False)


def claims_subset(
    new: Mapping[str, object] | None,
    caller: Mapping[str, object] | None,
    *,
    super_admin: bool = False,
) -> bool:
    """Write rule (AND within arrays): the caller must hold every value of every key of the
    claims being set. Same short-circuits as `claims_visible`, so with caller claims present and
    no superAdmin, empty or missing `new` claims are refused (ToolHive's default deny)."""
    return _claims_gate(new, caller, super_admin=super_admin, subset=True)


def _claims_gate(
    resource: Mapping[str, object] | None,
    caller: Mapping[str, object] | None,
    *,
    super_admin: bool,
    subset: bool,
) -> bool:
    if caller is None or super_admin:
        return True
    if not resource:
        return False
    for key, value in resource.items():
        required = claim_strings(value)
        if required is None or key not in caller:
            return False
        if not required:
            continue
        have = _token_strings(caller[key])
        if not (required <= have if subset else not required.isdisjoint(have)):
            return False
    return True
