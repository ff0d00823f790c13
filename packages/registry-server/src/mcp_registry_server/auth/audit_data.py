"""The request data an audit event may carry (`audit.includeRequestData`): redacted, truncated."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from mcp_registry_common.redaction import REDACTED, is_secret_key, redact_value

DEFAULT_MAX_DATA_SIZE = 1024
"""`audit.maxDataSize` when unset or 0 (ToolHive's default)."""
_SECRET_VALUE_KEYS = frozenset({"value", "default"})
"""Keys of a server.json input (environment variable, header) whose `isSecret` is true."""


@dataclass(frozen=True, slots=True)
class AuditData:
    """A body as logged: the redacted JSON value, or a string cut to the size limit."""

    value: Any
    truncated: bool


def audit_data(raw: bytes, *, max_size: int) -> AuditData:
    """`raw` as an audit event's `data`: JSON with secret-looking values redacted, re-encoded;
    if that is longer than `max_size` bytes, its first `max_size` bytes as a string. A body
    that is not JSON is never logged verbatim (it could be anything), only its size."""
    limit = max_size or DEFAULT_MAX_DATA_SIZE
    try:
        document = json.loads(raw)
    except ValueError:
        return AuditData(value=f"<non-JSON body, {len(raw)} bytes>", truncated=False)
    encoded = json.dumps(redact(document), ensure_ascii=False, separators=(",", ":"))
    if len(encoded.encode()) <= limit:
        return AuditData(value=json.loads(encoded), truncated=False)
    cut = encoded.encode()[:limit].decode("utf-8", errors="ignore")
    return AuditData(value=cut, truncated=True)


def redact(value: Any) -> Any:
    """`value` with the values of secret-looking keys (`is_secret_key`, and of inputs marked
    `isSecret`) replaced by `REDACTED` and credentials in URLs redacted, at any depth. Flags
    (`isSecret: true`) and nulls stay."""
    if isinstance(value, list):
        return [redact(item) for item in value]
    if not isinstance(value, dict):
        return redact_value(value)
    secret_input = value.get("isSecret") is True
    result: dict[str, Any] = {}
    for key, item in value.items():
        hidden = is_secret_key(key) or (secret_input and key in _SECRET_VALUE_KEYS)
        flag = item is None or isinstance(item, bool)
        result[key] = REDACTED if hidden and not flag else redact(item)
    return result
