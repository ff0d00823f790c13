"""The resource types the API double serves: built-ins plus those registered from CRD dicts."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

VERBS = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")


@dataclass(frozen=True)
class ResourceType:
    """One served group/version/plural with what the double needs to know about it."""

    group: str
    version: str
    kind: str
    plural: str
    has_status: bool = False
    custom: bool = False
    short_names: tuple[str, ...] = ()
    printer_columns: tuple[Mapping[str, Any], ...] = ()
    """CRD `additionalPrinterColumns` of this version; built-ins get Name and Age only."""
    categories: tuple[str, ...] = field(default=())
    namespaced: bool = True

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def group_version(self) -> str:
        return self.api_version

    @property
    def singular(self) -> str:
        return self.kind.lower()

    @property
    def store_key(self) -> tuple[str, str]:
        """Objects are stored per group and plural; one served version per resource."""
        return (self.group, self.plural)


BUILTINS: tuple[ResourceType, ...] = (
    ResourceType(
        "", "v1", "Namespace", "namespaces", has_status=True, short_names=("ns",), namespaced=False
    ),
    ResourceType("", "v1", "ConfigMap", "configmaps", short_names=("cm",)),
    ResourceType("", "v1", "Secret", "secrets"),
    ResourceType("", "v1", "Service", "services", has_status=True, short_names=("svc",)),
    ResourceType("", "v1", "ServiceAccount", "serviceaccounts", short_names=("sa",)),
    ResourceType("", "v1", "Pod", "pods", has_status=True, short_names=("po",)),
    ResourceType("", "v1", "Event", "events", short_names=("ev",)),
    ResourceType(
        "apps", "v1", "Deployment", "deployments", has_status=True, short_names=("deploy",)
    ),
    ResourceType("rbac.authorization.k8s.io", "v1", "Role", "roles"),
    ResourceType("rbac.authorization.k8s.io", "v1", "RoleBinding", "rolebindings"),
    ResourceType("coordination.k8s.io", "v1", "Lease", "leases"),
    ResourceType("events.k8s.io", "v1", "Event", "events", short_names=("ev",)),
)


class UnsupportedCRDError(ValueError):
    """The CRD dict lacks a field the double needs, or asks for something it cannot serve."""


def types_from_crd(crd: Mapping[str, Any]) -> list[ResourceType]:
    """The served versions of a namespaced apiextensions.k8s.io/v1 CRD, as resource types."""
    spec = crd.get("spec") or {}
    names = spec.get("names") or {}
    if spec.get("scope", "Namespaced") != "Namespaced":
        raise UnsupportedCRDError(f"CRD {crd.get('metadata', {}).get('name')}: only Namespaced")
    try:
        group, kind, plural = spec["group"], names["kind"], names["plural"]
    except KeyError as exc:
        raise UnsupportedCRDError(f"CRD is missing spec.{exc.args[0]}") from exc
    out = []
    for version in spec.get("versions") or []:
        if not version.get("served", True):
            continue
        out.append(
            ResourceType(
                group,
                version["name"],
                kind,
                plural,
                has_status="status" in (version.get("subresources") or {}),
                custom=True,
                short_names=tuple(names.get("shortNames") or ()),
                printer_columns=tuple(version.get("additionalPrinterColumns") or ()),
                categories=tuple(names.get("categories") or ()),
            )
        )
    return out


class ResourceTypes:
    """A lookup of the served resource types by group, version and plural."""

    def __init__(self, types: Iterable[ResourceType] = BUILTINS) -> None:
        self._types: dict[tuple[str, str, str], ResourceType] = {}
        for rt in types:
            self.add(rt)

    def add(self, rt: ResourceType) -> None:
        self._types[(rt.group, rt.version, rt.plural)] = rt

    def find(self, group: str, version: str, plural: str) -> ResourceType | None:
        return self._types.get((group, version, plural))

    def all(self) -> list[ResourceType]:
        return list(self._types.values())

    def group_versions(self) -> dict[str, list[str]]:
        """Every non-core group with its served versions, in registration order."""
        out: dict[str, list[str]] = {}
        for rt in self._types.values():
            if rt.group and rt.version not in out.setdefault(rt.group, []):
                out[rt.group].append(rt.version)
        return out

    def in_group_version(self, group: str, version: str) -> list[ResourceType]:
        return [rt for rt in self._types.values() if (rt.group, rt.version) == (group, version)]
