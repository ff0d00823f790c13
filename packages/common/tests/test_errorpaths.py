"""Pydantic errors rendered as `camelCase.path[0]: message` lines."""

from __future__ import annotations

import pytest
from mcp_registry_common.claims import Claims
from mcp_registry_common.durations import GoDuration
from mcp_registry_common.errorpaths import (
    FieldPathError,
    format_loc,
    pattern_key,
    problem_line,
    validation_problems,
)
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic.alias_generators import to_camel


class Leaf(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, extra="forbid")

    sync_interval: GoDuration = "1m"
    claims: Claims = Field(default_factory=dict)
    low: int = 0
    high: int = 0

    @model_validator(mode="after")
    def _ordered(self) -> Leaf:
        if self.low > self.high:
            raise FieldPathError([(("low",), "must not exceed high"), (("high",), "too small")])
        return self


class Root(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel)

    leaves: list[Leaf]
    by_name: dict[str, Leaf] = Field(default_factory=dict)


def problems(data: object, missing_messages: dict[str, str] | None = None) -> list[str]:
    with pytest.raises(ValidationError) as caught:
        Root.model_validate(data)
    return validation_problems(caught.value, missing_messages=missing_messages)


@pytest.mark.parametrize(
    ("loc", "text"),
    [
        ((), ""),
        (("sources", 0, "syncPolicy"), "sources[0].syncPolicy"),
        (("claims", "io.example/team"), 'claims["io.example/team"]'),
        ((0, "a"), "[0].a"),
    ],
)
def test_format_loc(loc: tuple[str | int, ...], text: str) -> None:
    assert format_loc(loc) == text


def test_pattern_key_and_problem_line() -> None:
    assert pattern_key(("sources", 3, "git", "auth")) == "sources[*].git.auth"
    assert problem_line((), "bad") == "bad"
    assert problem_line(("a", 1), "bad") == "a[1]: bad"


def test_paths_use_aliases_and_indexes() -> None:
    assert problems({"leaves": [{}, {"syncInterval": "1d"}]}) == [
        "leaves[1].syncInterval: invalid duration: use Go duration syntax such as "
        "'30s', '15m', '1h30m'"
    ]


def test_union_member_tags_are_not_part_of_the_path() -> None:
    assert problems({"leaves": [{"claims": {"team": 3}}]}) == [
        "leaves[0].claims.team: Input should be a valid string",
        "leaves[0].claims.team: Input should be a valid list",
    ]


def test_field_path_error_expands_to_one_problem_per_entry() -> None:
    assert problems({"leaves": [], "byName": {"x y": {"low": 2, "high": 1}}}) == [
        'byName["x y"].low: must not exceed high',
        'byName["x y"].high: too small',
    ]


def test_missing_extra_and_type_errors() -> None:
    assert problems(
        {"byName": {"a": {"extra": 1}, "b": "leaf"}},
        missing_messages={"leaves": "at least one leaf is required"},
    ) == [
        "leaves: at least one leaf is required",
        "byName.a.extra: unknown key",
        "byName.b: must be a mapping, got string",
    ]
    assert problems({"leaves": [{"low": None}], "byName": {}})[0] == (
        "leaves[0].low: Input should be a valid integer"
    )
    assert problems({}) == ["leaves: required key is missing"]
