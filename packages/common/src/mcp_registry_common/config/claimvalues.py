"""Claim maps in a server config: ToolHive's value rules (string or list of strings), per key."""

from __future__ import annotations

from typing import Annotated

from pydantic import BeforeValidator

from mcp_registry_common.claims import Claims
from mcp_registry_common.errorpaths import FieldPathError, Loc, type_name


def check_claim_map(value: object) -> object:
    """Reject non-string claim values with one problem per bad key or list element.

    Keys keep their case: ToolHive's viper lower-cases them (so `preferredUsername` never
    matches a token), we do not. Anything that is not a mapping is left to pydantic.
    """
    if not isinstance(value, dict):
        return value
    problems: list[tuple[Loc, str]] = []
    for key, item in value.items():
        if isinstance(item, str):
            continue
        if not isinstance(item, list):
            problems.append(
                ((str(key),), f"value must be a string or array of strings, got {type_name(item)}")
            )
            continue
        problems.extend(
            ((str(key), index), f"array element must be a string, got {type_name(element)}")
            for index, element in enumerate(item)
            if not isinstance(element, str)
        )
    if problems:
        raise FieldPathError(problems)
    return value


ConfigClaims = Annotated[Claims, BeforeValidator(check_claim_map)]
"""Claims as written in config.yaml: `{key: "value" | ["v1", "v2"]}`, keys case-sensitive."""
