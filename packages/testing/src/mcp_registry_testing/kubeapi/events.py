"""One Event storage seen through two APIs, as on the real server: an events.k8s.io/v1 Event
the operator writes is also listed as a core/v1 Event (what `kubectl describe` reads)."""

from __future__ import annotations

from typing import Any


def core_event(event: dict[str, Any]) -> dict[str, Any]:
    """The core/v1 view of an events.k8s.io/v1 Event (field names as the API server maps them)."""
    meta = event["metadata"]
    return {
        "metadata": {"name": meta["name"], "namespace": meta.get("namespace", "")},
        "involvedObject": dict(event.get("regarding") or {}),
        "related": event.get("related"),
        "reason": event.get("reason", ""),
        "message": event.get("note", ""),
        "type": event.get("type", ""),
        "action": event.get("action", ""),
        "eventTime": event.get("eventTime"),
        "reportingComponent": event.get("reportingController", ""),
        "reportingInstance": event.get("reportingInstance", ""),
        "source": {"component": event.get("deprecatedSource", {}).get("component", "")},
        "count": event.get("deprecatedCount", 0),
        "firstTimestamp": event.get("deprecatedFirstTimestamp"),
        "lastTimestamp": event.get("deprecatedLastTimestamp"),
    }
