"""Turn a cached MCPRegistry object into the common model, or an error naming each bad field."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mcp_registry_common.errorpaths import validation_problems
from mcp_registry_common.mcpregistry import API_VERSION, KIND, MCPRegistry, parse_mcpregistry
from pydantic import ValidationError


class InvalidSpecError(ValueError):
    """The object does not validate against the MCPRegistry model; `problems` are
    `path: message` lines (e.g. `spec.sources[0].git.repository: ...`)."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))


def parse_cached(obj: Mapping[str, Any]) -> MCPRegistry:
    """Validate metadata and spec; the status (ours) is not part of the user's input."""
    doc = {
        "apiVersion": API_VERSION,
        "kind": KIND,
        "metadata": obj.get("metadata") or {},
        "spec": obj.get("spec"),
    }
    try:
        return parse_mcpregistry(doc)
    except ValidationError as exc:
        raise InvalidSpecError(validation_problems(exc)) from None
