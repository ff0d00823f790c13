"""A source written back from the admin API's view keeps the credentials the view hid.

`GET /v1/sources` shows a source's URLs redacted (`https://REDACTED@host/r.json?sig=REDACTED`).
A client that reads a source, changes something else and `PUT`s it back sends those redacted
URLs: each one that is exactly the redacted form of the stored source's same URL means "as
stored" and keeps the stored URL; any other URL carrying the marker is refused (400), since
storing it would silently replace a credential with the marker.
"""

from __future__ import annotations

from typing import Any

from mcp_registry_common.config import SourceConfig
from mcp_registry_common.redaction import RedactedUrlError, restore_url

from mcp_registry_server.service.errors import InvalidRequestError

URL_FIELDS = (("git", "repository"), ("api", "endpoint"), ("file", "url"))
"""(type block, field) of every URL a source config holds."""


def with_stored_urls(new: SourceConfig, stored: SourceConfig | None) -> SourceConfig:
    """`new` with each redacted URL that the stored source's URL matches replaced by the stored
    one; InvalidRequestError naming the field for any other URL carrying the marker."""
    updates: dict[str, Any] = {}
    for kind, field in URL_FIELDS:
        block = getattr(new, kind)
        submitted = getattr(block, field) if block is not None else None
        if submitted is None:
            continue
        old_block = getattr(stored, kind) if stored is not None else None
        old = getattr(old_block, field) if old_block is not None else None
        try:
            kept = restore_url(submitted, old)
        except RedactedUrlError as exc:
            raise InvalidRequestError(f"invalid request body: {kind}.{field} {exc}") from None
        if kept != submitted:
            updates[kind] = block.model_copy(update={field: kept})
    return new.model_copy(update=updates) if updates else new
