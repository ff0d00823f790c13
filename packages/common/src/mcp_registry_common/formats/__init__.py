"""Registry data formats: the ToolHive legacy file, the upstream (server.json) file, detection,
legacy -> upstream conversion, the limits of one document and the parse + validate step every
sync runs."""

from mcp_registry_common.formats.detect import RegistryFormat, detect_format
from mcp_registry_common.formats.errors import RegistryFormatError
from mcp_registry_common.formats.legacy import image_to_server, legacy_to_upstream, remote_to_server
from mcp_registry_common.formats.limits import (
    DEFAULT_DOCUMENT_LIMITS,
    DocumentLimits,
    RegistryLimitError,
    value_count_bound,
)
from mcp_registry_common.formats.parse import ParsedRegistry, ServerSink, parse_registry
from mcp_registry_common.formats.skills import (
    ExtensionKind,
    item_key,
    validate_item,
    validate_items,
)
from mcp_registry_common.formats.upstream import (
    NAME_PATTERN,
    PUBLISHER_PROVIDED_KEY,
    SERVER_SCHEMA_URL,
    TOOLHIVE_NAMESPACE,
    UPSTREAM_SCHEMA_URL,
    looks_like_version_range,
    validate_server,
)

__all__ = [
    "DEFAULT_DOCUMENT_LIMITS",
    "NAME_PATTERN",
    "PUBLISHER_PROVIDED_KEY",
    "SERVER_SCHEMA_URL",
    "TOOLHIVE_NAMESPACE",
    "UPSTREAM_SCHEMA_URL",
    "DocumentLimits",
    "ExtensionKind",
    "ParsedRegistry",
    "RegistryFormat",
    "RegistryFormatError",
    "RegistryLimitError",
    "ServerSink",
    "detect_format",
    "image_to_server",
    "item_key",
    "legacy_to_upstream",
    "looks_like_version_range",
    "parse_registry",
    "remote_to_server",
    "validate_item",
    "validate_items",
    "validate_server",
    "value_count_bound",
]
