"""Claims: the string-or-list-of-strings maps carried by sources, registries, entries and
role rules, and the pure functions that match them against a caller's token claims."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

ClaimValue = Annotated[
    str | Annotated[list[Annotated[str, Field(max_length=256)]], Field(max_length=64)],
    Field(description="A claim value: a string, or a list of strings (any of which matches)."),
]
"""One claim value. Numbers, booleans and objects are rejected: they never match a token."""

Claims = dict[str, ClaimValue]
"""Claim key -> value. Keys keep their case (unlike ToolHive's viper, which lower-cases them)."""
