"""A local Kubernetes API server double (REST + watch) for kubernetes-asyncio and kubectl tests."""

from .faults import RecordedRequest
from .resources import BUILTINS, ResourceType, types_from_crd
from .server import KubeApiDouble
from .status import ApiError
from .store import Admit, Store

__all__ = [
    "BUILTINS",
    "Admit",
    "ApiError",
    "KubeApiDouble",
    "RecordedRequest",
    "ResourceType",
    "Store",
    "types_from_crd",
]
