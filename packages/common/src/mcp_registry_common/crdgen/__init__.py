"""CRD generation: pydantic models -> structural openAPIV3Schema -> CustomResourceDefinition."""

from mcp_registry_common.crdgen.crd import (
    CRD_FILE_NAME,
    PRINTER_COLUMNS,
    build_crd,
    open_api_schema,
    render_crd_yaml,
    write_crd,
)
from mcp_registry_common.crdgen.reference import (
    REFERENCE_FILE_NAME,
    render_reference,
    write_reference,
)
from mcp_registry_common.crdgen.schema import (
    CRDJsonSchema,
    CRDSchemaError,
    model_schema,
    to_structural,
)
from mcp_registry_common.crdgen.structural import (
    iter_nodes,
    structural_violations,
    unbounded_cel_inputs,
)

__all__ = [
    "CRD_FILE_NAME",
    "PRINTER_COLUMNS",
    "REFERENCE_FILE_NAME",
    "CRDJsonSchema",
    "CRDSchemaError",
    "build_crd",
    "iter_nodes",
    "model_schema",
    "open_api_schema",
    "render_crd_yaml",
    "render_reference",
    "structural_violations",
    "to_structural",
    "unbounded_cel_inputs",
    "write_crd",
    "write_reference",
]
