"""The only layer that talks to the Kubernetes API: kubernetes-asyncio wrappers, a verb each."""

from kubernetes_asyncio.client import ApiClient

from .errors import (
    AlreadyExistsError,
    ConflictError,
    ForbiddenError,
    GoneError,
    InvalidError,
    KubeApiError,
    NotFoundError,
    ServerError,
    TooManyRequestsError,
    UnreachableError,
)
from .resources import (
    CONFIG_MAPS,
    DEPLOYMENTS,
    EVENTS,
    LEASES,
    PODS,
    ROLE_BINDINGS,
    ROLES,
    SECRETS,
    SERVICE_ACCOUNTS,
    SERVICES,
    Resource,
)

__all__ = [
    "CONFIG_MAPS",
    "DEPLOYMENTS",
    "EVENTS",
    "LEASES",
    "PODS",
    "ROLES",
    "ROLE_BINDINGS",
    "SECRETS",
    "SERVICES",
    "SERVICE_ACCOUNTS",
    "AlreadyExistsError",
    "ApiClient",
    "ConflictError",
    "ForbiddenError",
    "GoneError",
    "InvalidError",
    "KubeApiError",
    "NotFoundError",
    "Resource",
    "ServerError",
    "TooManyRequestsError",
    "UnreachableError",
]
