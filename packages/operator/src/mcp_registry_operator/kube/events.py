"""Record events.k8s.io/v1 Events about an object; a failed event never fails the caller."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Literal

import structlog
from kubernetes_asyncio import client

from .calls import DEFAULT_TIMEOUT, call_json, describe, operation
from .errors import KubeApiError
from .resources import EVENTS

log = structlog.get_logger(__name__)


def build_event(
    regarding: Mapping[str, Any],
    *,
    reason: str,
    note: str,
    action: str,
    event_type: Literal["Normal", "Warning"],
    controller: str,
    instance: str,
    now: datetime,
) -> dict[str, Any]:
    """The Event object (pure): named after the object, pointing at it by uid."""
    meta = regarding.get("metadata") or {}
    return {
        "apiVersion": "events.k8s.io/v1",
        "kind": "Event",
        "metadata": {
            "name": f"{meta.get('name', 'object')}.{secrets.token_hex(8)}",
            "namespace": meta.get("namespace"),
        },
        "eventTime": now.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "reportingController": controller,
        "reportingInstance": instance,
        "action": action,
        "reason": reason,
        "note": note[:1024],
        "type": event_type,
        "regarding": {
            "apiVersion": regarding.get("apiVersion"),
            "kind": regarding.get("kind"),
            "namespace": meta.get("namespace"),
            "name": meta.get("name"),
            "uid": meta.get("uid"),
            "resourceVersion": meta.get("resourceVersion"),
        },
    }


async def emit_event(
    api: client.ApiClient,
    regarding: Mapping[str, Any],
    *,
    reason: str,
    note: str,
    action: str,
    event_type: Literal["Normal", "Warning"] = "Normal",
    controller: str,
    instance: str,
    request_timeout: float = DEFAULT_TIMEOUT,
) -> bool:
    """Create an Event; returns False (and logs) when the API refused it."""
    body = build_event(
        regarding,
        reason=reason,
        note=note,
        action=action,
        event_type=event_type,
        controller=controller,
        instance=instance,
        now=datetime.now(UTC),
    )
    namespace = body["metadata"]["namespace"]
    try:
        await call_json(
            operation(api, "create", EVENTS, namespace=namespace),
            body,
            what=describe("create", EVENTS, namespace, body["metadata"]["name"]),
            request_timeout=request_timeout,
        )
    except KubeApiError as exc:
        log.warning("event_not_recorded", reason=reason, error=str(exc))
        return False
    return True
