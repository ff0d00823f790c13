"""Write rules of the API double's store that need no store: what a Secret's `stringData`
becomes, what generation tracks, how admission failures and list-merge limits are answered."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from .patching import Owners, leaf_paths, ownable
from .resources import ResourceType
from .status import ApiError

Obj = dict[str, Any]


def fold_string_data(rt: ResourceType, obj: Obj) -> Obj:
    """A core Secret's write-only `stringData` merged into `data` (base64), as the API does."""
    if (rt.group, rt.plural) == ("", "secrets") and "stringData" in obj:
        plain = obj.pop("stringData") or {}
        data = dict(obj.get("data") or {})
        data.update({k: base64.b64encode(str(v).encode()).decode() for k, v in plain.items()})
        obj["data"] = data
    return obj


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def tracked_content(obj: Mapping[str, Any]) -> Obj:
    """What generation tracks: everything but metadata, status and the type fields."""
    skip = ("metadata", "status", "apiVersion", "kind")
    return {k: v for k, v in obj.items() if k not in skip}


def invalid_error(rt: ResourceType, name: str, exc: Exception) -> ApiError:
    """Turn an admission failure into the 422 (or 400) the real API server answers."""
    to_status = getattr(exc, "to_status", None)
    if callable(to_status):
        body = to_status()
        return ApiError(body["code"], body["reason"], body["message"], details=body.get("details"))
    causes = [
        {"reason": "FieldValueInvalid", "message": m, "field": f}
        for f, m in getattr(exc, "causes", [])
    ]
    text = ", ".join(f"{c['field']}: {c['message']}" for c in causes)
    return ApiError(
        422,
        "Invalid",
        f'{rt.kind}.{rt.group} "{name}" is invalid: [{text}]',
        details={"name": name, "group": rt.group, "kind": rt.kind, "causes": causes},
    )


def refuse_shared_lists(rt: ResourceType, intent: Obj, *, manager: str, owners: Owners) -> None:
    """Built-in lists (containers, ports, env, volumes…) merge by key on the real server; the
    double treats every list as atomic, so a second manager applying a list of a built-in
    object that another manager applied would get a wrong answer: refuse it loudly."""
    lists = {
        path for path in leaf_paths(ownable(intent)) if isinstance(value_at(intent, path), list)
    }
    for other, owned in owners.items():
        shared = sorted(lists & owned)
        if other != manager and shared:
            raise ApiError(
                501,
                "NotImplemented",
                f"the API double treats lists atomically: {manager!r} applying "
                f"{'.'.join(shared[0])} of a {rt.kind} that {other!r} applied needs the real "
                "server's merge by key (see e2e/realcluster)",
            )


def value_at(obj: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        obj = obj.get(key) if isinstance(obj, dict) else None
    return obj
