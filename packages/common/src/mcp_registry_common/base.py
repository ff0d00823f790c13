"""Pydantic base classes: camelCase aliases for the Kubernetes/ToolHive wire format."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel


class WireModel(BaseModel):
    """A model whose fields are camelCase on the wire and snake_case in Python.

    Unknown keys are rejected: the Kubernetes API server rejects them too (strict field
    validation), and a typo must never be silently ignored in a manifest.
    """

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
        frozen=True,
    )

    def to_wire(self) -> dict[str, object]:
        """Dump with camelCase keys and without unset optional fields."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)
