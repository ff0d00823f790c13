"""Name and tag filters applied to a source's servers at sync time (ToolHive semantics:
globs where `*` crosses `/`, exact tags, exclude wins, include is any-match)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from mcp_registry_common.base import WireModel

Pattern = Annotated[str, Field(min_length=1, max_length=256)]


class PatternFilter(WireModel):
    """Include/exclude lists. Exclude wins; a non-empty include list must match at least once."""

    include: list[Pattern] = Field(default_factory=list, max_length=100)
    exclude: list[Pattern] = Field(default_factory=list, max_length=100)


class SourceFilter(WireModel):
    """`filter:` of a source. Servers must pass both the name and the tag filter."""

    names: PatternFilter | None = Field(
        default=None, description="Glob patterns on the upstream server name; `*` also matches `/`."
    )
    tags: PatternFilter | None = Field(
        default=None, description="Exact tag strings from the servers' publisher-provided `tags`."
    )
