"""`limit` and `continue` on lists, as the API server pages them: items in key order, a
`continue` token and `remainingItemCount` while more remain. Unlike etcd, the double does not
serve later pages from the first page's snapshot: a page reflects the store when it is read."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from typing import Any

from .status import ApiError


def _token(offset: int, rv: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"o": offset, "rv": rv}).encode()).decode()


def _offset(token: str) -> int:
    try:
        value = json.loads(base64.urlsafe_b64decode(token.encode()))
        return int(value["o"])
    except (binascii.Error, ValueError, KeyError, TypeError) as exc:
        raise ApiError(400, "BadRequest", f"continue key is not valid: {exc}") from exc


def paginate(
    items: list[dict[str, Any]], rv: int, query: Mapping[str, str]
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The page `query` asks for, and the list metadata to send with it."""
    start = _offset(query["continue"]) if query.get("continue") else 0
    limit = int(query.get("limit") or 0)
    metadata: dict[str, Any] = {"resourceVersion": str(rv)}
    if limit <= 0:
        return items[start:], metadata
    page = items[start : start + limit]
    remaining = len(items) - start - len(page)
    if remaining > 0:
        metadata["continue"] = _token(start + len(page), rv)
        metadata["remainingItemCount"] = remaining
    return page, metadata
