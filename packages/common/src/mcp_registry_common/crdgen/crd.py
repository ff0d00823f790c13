"""Build, render and write the MCPRegistry CustomResourceDefinition from the models."""

from __future__ import annotations

import copy
import functools
from pathlib import Path
from typing import Any

import yaml

from mcp_registry_common.crdgen.schema import CRDSchemaError, model_schema, to_structural
from mcp_registry_common.crdgen.structural import structural_violations, unbounded_cel_inputs
from mcp_registry_common.mcpregistry import (
    CRD_NAME,
    GROUP,
    KIND,
    LIST_KIND,
    PLURAL,
    SERVED_VERSIONS,
    SHORT_NAMES,
    SINGULAR,
    STORAGE_VERSION,
    MCPRegistry,
    MCPRegistrySpec,
    MCPRegistryStatus,
)

CRD_FILE_NAME = f"{GROUP}_{PLURAL}.yaml"
"""File name under crds/, as controller-gen would name it."""

HEADER = "# Generated from mcp_registry_common.mcpregistry by `hatch run gen-crd`. Do not edit.\n"

PRINTER_COLUMNS: list[dict[str, Any]] = [
    {"name": "Status", "type": "string", "jsonPath": ".status.phase"},
    {
        "name": "Ready",
        "type": "string",
        "jsonPath": ".status.conditions[?(@.type=='Ready')].status",
    },
    {"name": "Replicas", "type": "integer", "jsonPath": ".status.readyReplicas"},
    {"name": "URL", "type": "string", "jsonPath": ".status.url"},
    {
        "name": "Servers",
        "type": "integer",
        "jsonPath": ".status.syncStatus.serverCount",
        "priority": 1,
    },
    {
        "name": "Last Sync",
        "type": "date",
        "jsonPath": ".status.syncStatus.lastSyncTime",
        "priority": 1,
    },
    {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"},
]

_API_VERSION_DOC = (
    "APIVersion defines the versioned schema of this representation of an object. Servers "
    "should convert recognized schemas to the latest internal value, and may reject "
    "unrecognized values."
)
_KIND_DOC = (
    "Kind is a string value representing the REST resource this object represents. Servers "
    "may infer this from the endpoint the client submits requests to. In CamelCase."
)


def open_api_schema() -> dict[str, Any]:
    """The structural openAPIV3Schema of MCPRegistry; raises CRDSchemaError if it is not one."""
    root: dict[str, Any] = {
        "description": (MCPRegistry.__doc__ or KIND).strip(),
        "type": "object",
        "required": ["spec"],
        "properties": {
            "apiVersion": {"description": _API_VERSION_DOC, "type": "string"},
            "kind": {"description": _KIND_DOC, "type": "string"},
            "metadata": {"type": "object"},
            "spec": to_structural(model_schema(MCPRegistrySpec)),
            "status": to_structural(model_schema(MCPRegistryStatus)),
        },
    }
    problems = structural_violations(root) + unbounded_cel_inputs(root)
    if problems:
        raise CRDSchemaError("generated schema is not a valid CRD schema:\n" + "\n".join(problems))
    return root


@functools.cache
def _build() -> dict[str, Any]:
    schema = open_api_schema()
    versions: list[dict[str, Any]] = [
        {
            "name": name,
            "served": True,
            "storage": name == STORAGE_VERSION,
            "schema": {"openAPIV3Schema": copy.deepcopy(schema)},
            "subresources": {"status": {}},
            "additionalPrinterColumns": copy.deepcopy(PRINTER_COLUMNS),
        }
        for name in SERVED_VERSIONS
    ]
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": CRD_NAME, "labels": {"app.kubernetes.io/part-of": "mcp-registry"}},
        "spec": {
            "group": GROUP,
            "names": {
                "kind": KIND,
                "listKind": LIST_KIND,
                "plural": PLURAL,
                "singular": SINGULAR,
                "shortNames": list(SHORT_NAMES),
                "categories": ["toolhive"],
            },
            "scope": "Namespaced",
            # One schema under every version, so the API server's no-op conversion (it only
            # rewrites apiVersion) loses no field either way (docs/crd-versions.md).
            "conversion": {"strategy": "None"},
            "versions": versions,
        },
    }


def build_crd() -> dict[str, Any]:
    """The MCPRegistry CustomResourceDefinition as a fresh dict (safe to mutate)."""
    return copy.deepcopy(_build())


def render_crd_yaml() -> str:
    """The CRD as deterministic YAML (sorted keys, header comment, trailing newline)."""
    body = yaml.safe_dump(build_crd(), sort_keys=True, allow_unicode=True, width=100)
    return HEADER + body


def write_crd(path: str | Path) -> None:
    """Write render_crd_yaml() to `path`, creating parent directories."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_crd_yaml(), encoding="utf-8")
